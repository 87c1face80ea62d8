// A forecaster that replays a forecasts.csv (backtest.h): re-scoring saved
// forecasts (this project's or another tool's) on any range of origins,
// with no model run.
#include <charconv>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "ehcpsim/backtest.h"
#include "ehcpsim/csv.h"
#include "ehcpsim/error.h"

namespace ehcpsim::calibrate {

Forecaster forecasts_file_forecaster(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ScenarioError(SourceLocation{path, "", 0, 0}, "cannot read the forecasts file");
    std::ostringstream buffer;
    buffer << in.rdbuf();
    const std::string text = buffer.str();
    std::vector<std::string> header;
    {
        std::istringstream h(forecasts_header);
        std::string name;
        while (std::getline(h, name, ',')) header.push_back(name);
    }
    std::vector<Diagnostic> problems;
    csv::Conventions conventions;
    conventions.drop_trailing_empty_fields = true;
    csv::Table table(text, header, conventions, [&](int line, int column, const std::string& message) {
        problems.push_back({{path, "", line, column}, message});
    });
    using Key = std::pair<std::string, int>;
    auto answers = std::make_shared<std::map<Key, std::vector<QuantileForecast>>>();
    if (table.read_header()) {
        while (const std::optional<csv::Row> row = table.next()) {
            const auto& f = row->fields;
            const auto number = [&](std::size_t i, auto& out) {
                const std::string& t = f[i].text;
                const auto r = std::from_chars(t.data(), t.data() + t.size(), out);
                if (t.empty() || r.ec != std::errc() || r.ptr != t.data() + t.size()) {
                    problems.push_back({{path, header[i], row->line, f[i].column}, "'" + t + "' is not a number"});
                    return false;
                }
                return true;
            };
            QuantileForecast q;
            int origin = 0;
            bool ok = number(1, origin) && number(2, q.year) && number(3, q.horizon) && number(6, q.mean);
            for (std::size_t k = 0; ok && k < q.quantiles.size(); ++k) ok = number(7 + k, q.quantiles[k]);
            if (!ok) continue;
            q.series = f[4].text;
            q.breakdown = f[5].text;
            (*answers)[{f[0].text, origin}].push_back(std::move(q));
            if (problems.size() > 20) break;
        }
    }
    if (!problems.empty()) throw ScenarioError(std::move(problems));
    return [answers](const Panel&, const std::string& la_code, int origin, int horizon) {
        std::vector<QuantileForecast> out;
        if (const auto it = answers->find({la_code, origin}); it != answers->end())
            for (const QuantileForecast& f : it->second)
                if (f.horizon <= horizon) out.push_back(f);
        return out;
    };
}

}  // namespace ehcpsim::calibrate
