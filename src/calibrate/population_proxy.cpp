// England's population profile and plans (calibrate.h, EnglandProfile): the
// population proxy of an authority, England's SNPP age profile scaled by the
// authority's share of England's plans.
#include <algorithm>
#include <fstream>
#include <sstream>

#include "ehcpsim/calibrate.h"
#include "ehcpsim/error.h"

namespace ehcpsim::calibrate {

namespace {

std::vector<std::string> split(const std::string& line) {
    std::vector<std::string> out;
    std::string field;
    std::istringstream in(line);
    while (std::getline(in, field, ',')) out.push_back(field);
    return out;
}

}  // namespace

EnglandProfile EnglandProfile::read(const std::string& snpp_csv, const std::string& national_csv) {
    EnglandProfile profile;
    std::ifstream in(snpp_csv, std::ios::binary);
    if (!in) throw ScenarioError(SourceLocation{snpp_csv, "", 0, 0}, "cannot read England's population projection");
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (number == 1) {
            if (line != "area_code,area_name,year,age_band,population")
                throw ScenarioError(SourceLocation{snpp_csv, "", 1, 1},
                                    "header must be area_code,area_name,year,age_band,population");
            continue;
        }
        if (line.empty()) continue;
        const std::vector<std::string> f = split(line);
        int lo = 0, hi = 0, year = 0;
        double persons = 0.0;
        try {
            if (f.size() != 5) throw std::invalid_argument("fields");
            year = std::stoi(f[2]);
            const std::size_t dash = f[3].find('-');
            lo = std::stoi(f[3].substr(0, dash));
            hi = dash == std::string::npos ? lo : std::stoi(f[3].substr(dash + 1));
            persons = std::stod(f[4]);
        } catch (const std::exception&) {
            throw ScenarioError(SourceLocation{snpp_csv, "", number, 1},
                                "expected area_code,area_name,year,lo-hi,population");
        }
        profile.bands_[year].push_back({{lo, hi}, persons});
    }
    if (profile.bands_.empty())
        throw ScenarioError(SourceLocation{snpp_csv, "", 0, 0}, "England's population projection has no rows");
    const Panel national = Panel::read_file(national_csv);
    for (const std::string& code : national.authorities()) {
        profile.plans_ = national.series(code, "stock", "all");
        if (!profile.plans_.empty()) break;
    }
    return profile;
}

double EnglandProfile::population(int year, int age) const {
    auto it = bands_.lower_bound(year);
    if (it == bands_.end()) it = std::prev(bands_.end());
    else if (it->first != year && it != bands_.begin() && year > bands_.begin()->first) it = std::prev(it);
    for (const auto& [band, persons] : it->second)
        if (age >= band.first && age <= band.second) return persons / (band.second - band.first + 1);
    return 0.0;
}

std::optional<double> EnglandProfile::plans(int year) const {
    auto it = plans_.upper_bound(year);
    if (it == plans_.begin()) return std::nullopt;
    return std::prev(it)->second;
}

}  // namespace ehcpsim::calibrate
