// The DSG deficit management plan export (summary --dsg): written, parsed back
// and checked against the summary and against the file's own values.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <sstream>
#include <stdexcept>

#include "ehcpsim/summary.h"
#include "output_test_support.h"

namespace ehcpsim {
namespace {

using namespace output_testing;

constexpr double nan_value = std::numeric_limits<double>::quiet_NaN();

class Dsg : public ScratchDir {};

// 37 replicates, 4 years; "lower" (unmitigated), "target" (compared with
// lower) and "orphan" (compared with a variant the file does not hold).
RunInfo dsg_info() {
    RunInfo info = small_info(37);
    info.variants = {"lower", "target", "orphan"};
    info.levels = {"none", "target", "stretch"};
    info.compare_to = {"", "lower", "gone"};
    info.parameter_names = {{}, {}, {}};
    return info;
}

// Spend varies by replicate (a fixed scramble), funding by year only; the
// in-year deficit is spend - funding and the cumulative deficit its running
// sum from an opening 0.5m. "target" spends 3% less. Two values are NaN:
// lower's in-year deficit in replicate 5, year 1, and target's cumulative
// deficit in replicate 3, year 2 (so those replicates drop out of the pairs).
void fill_money(ResultBlock& block, const RunInfo& info, std::int64_t count, double shift) {
    const std::size_t years = info.years.size();
    for (std::size_t v = 0; v < info.variants.size(); ++v) {
        auto& m = block.variants[v].metrics;
        for (std::size_t r = 0; r < static_cast<std::size_t>(count); ++r) {
            double cumulative = 0.5e6;
            for (std::size_t y = 0; y < years; ++y) {
                const double scramble = static_cast<double>((r * 7919 + y * 104729 + v * 31) % 1000);
                const double spend = (1e6 + 2e4 * static_cast<double>(y) + 150.5 * scramble + shift) * (v == 1 ? 0.97 : 1.0);
                const double funding = 1.01e6 + 1e4 * static_cast<double>(y) + shift;
                const std::size_t i = r * years + y;
                m[m_spend][i] = spend;
                m[m_funding][i] = funding;
                m[m_in_year_deficit][i] = spend - funding;
                cumulative += spend - funding;
                m[m_cumulative_deficit][i] = cumulative;
            }
        }
    }
    if (count > 5) {
        block.variants[0].metrics[m_in_year_deficit][5 * years + 1] = nan_value;
        block.variants[1].metrics[m_cumulative_deficit][3 * years + 2] = nan_value;
    }
}

void write_dsg(const std::string& path, const RunInfo& info, bool with_expected) {
    ResultWriter writer(path, info, false);
    if (with_expected) {
        ResultBlock expected = synthetic_block(info, 0, 1);
        fill_money(expected, info, 1, 123.25);
        writer.write_expected(expected);
    }
    ResultBlock block = synthetic_block(info, 0, info.replicates);
    fill_money(block, info, info.replicates, 0.0);
    writer.write(block);
    writer.finish();
}

std::string dsg_csv(const Summary& summary) {
    std::ostringstream out;
    PrintOptions options;
    options.dsg = true;
    print_summary(summary, SummaryFormat::csv, out, options);
    return out.str();
}

// A parsed row: the text fields and the 9 numbers (mean, 7 quantiles,
// deterministic); an empty field reads as NaN.
struct Parsed {
    std::vector<std::string> text;  // variant, level, compare_to, financial_year, year, line
    std::vector<double> numbers;
};

std::vector<Parsed> parse(const std::string& csv, std::string& header) {
    std::istringstream in(csv);
    std::getline(in, header);
    std::vector<Parsed> rows;
    for (std::string line; std::getline(in, line);) {
        std::vector<std::string> fields;
        std::stringstream fields_in(line);
        for (std::string field; std::getline(fields_in, field, ',');) fields.push_back(field);
        if (!line.empty() && line.back() == ',') fields.push_back("");
        EXPECT_EQ(fields.size(), 15u) << line;
        Parsed row;
        row.text.assign(fields.begin(), fields.begin() + 6);
        for (std::size_t i = 6; i < fields.size(); ++i) {
            row.numbers.push_back(fields[i].empty() ? nan_value : std::strtod(fields[i].c_str(), nullptr));
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

// Mean (replicate order) and type-7 quantiles of the values that are not NaN.
std::vector<double> statistics(const std::vector<double>& values) {
    std::vector<double> kept;
    double sum = 0.0;
    for (double x : values) {
        if (std::isnan(x)) continue;
        sum += x;
        kept.push_back(x);
    }
    std::vector<double> result = {sum / static_cast<double>(kept.size())};
    std::sort(kept.begin(), kept.end());
    for (double p : summary_probabilities) result.push_back(quantile_sorted(kept, p));
    return result;
}

// Column y of a [replicate, year] metric, mapped.
template <typename F>
std::vector<double> column(const std::vector<double>& values, std::size_t years, std::size_t y, F f) {
    std::vector<double> out;
    for (std::size_t r = 0; r * years < values.size(); ++r) out.push_back(f(values[r * years + y]));
    return out;
}

void expect_same(double a, double b, const std::string& where) {
    if (std::isnan(a) || std::isnan(b)) {
        EXPECT_TRUE(std::isnan(a) && std::isnan(b)) << where << ": " << a << " vs " << b;
    } else {
        EXPECT_EQ(a, b) << where;
    }
}

const SeriesSummary& series(const Summary& summary, std::size_t v, const std::string& label) {
    for (const SeriesSummary& s : summary.variants[v].series) {
        if (s.label == label) return s;
    }
    throw std::logic_error("no series " + label);
}

TEST(FinancialYear, LabelIsTheYearItEnds) {
    EXPECT_EQ(financial_year(2023), "2022-23");
    EXPECT_EQ(financial_year(2010), "2009-10");
    EXPECT_EQ(financial_year(2000), "1999-00");
    EXPECT_EQ(financial_year(2101), "2100-01");
}

TEST_F(Dsg, ExportParsesBackAndMatchesTheSummaryAndTheFile) {
    const RunInfo info = dsg_info();
    write_dsg(path("run.h5"), info, true);
    const ResultReader reader(path("run.h5"));
    const Summary summary = summarise(reader);
    std::string header;
    const std::vector<Parsed> rows = parse(dsg_csv(summary), header);
    EXPECT_EQ(header, "variant,level,compare_to,financial_year,year,line,mean,p5,p10,p25,p50,p75,p90,p95,deterministic");

    // One row per variant, year and line, in that order: 4 lines for the
    // unmitigated variant, 6 for each mitigated one.
    const std::size_t years = info.years.size();
    ASSERT_EQ(rows.size(), years * (4 + 6 + 6));
    ASSERT_EQ(summary.dsg.size(), rows.size());
    std::size_t i = 0;
    for (std::size_t v = 0; v < 3; ++v) {
        for (std::size_t y = 0; y < years; ++y) {
            for (std::size_t k = 0; k < (v == 0 ? 4u : 6u); ++k, ++i) {
                const auto& t = rows[i].text;
                EXPECT_EQ(t[0], info.variants[v]);
                EXPECT_EQ(t[1], info.levels[v]);
                EXPECT_EQ(t[2], info.compare_to[v]);
                EXPECT_EQ(t[3], financial_year(info.years[y]));
                EXPECT_EQ(t[4], std::to_string(info.years[y]));
                EXPECT_EQ(t[5], dsg_lines[k]);
                // The CSV holds the struct's numbers exactly.
                const DsgRow& s = summary.dsg[i];
                EXPECT_EQ(s.line, dsg_lines[k]);
                expect_same(rows[i].numbers[0], s.mean, t[5]);
                for (std::size_t q = 0; q < 7; ++q) expect_same(rows[i].numbers[1 + q], s.quantiles[q], t[5]);
                expect_same(rows[i].numbers[8], s.deterministic, t[5]);
            }
        }
    }
    EXPECT_EQ(rows[0].text[3], "2022-23");

    const auto find = [&](const std::string& variant, std::size_t y, const std::string& line) -> const Parsed& {
        for (const Parsed& row : rows) {
            if (row.text[0] == variant && row.text[4] == std::to_string(info.years[y]) && row.text[5] == line) return row;
        }
        throw std::logic_error("no row " + variant + " " + line);
    };
    const auto negate = [](double x) { return -x; };
    for (std::size_t v = 0; v < 3; ++v) {
        const std::string& variant = info.variants[v];
        const std::vector<double> in_year = reader.read_metric(variant, m_in_year_deficit);
        const std::vector<double> cumulative = reader.read_metric(variant, m_cumulative_deficit);
        const std::vector<double> spend = reader.read_metric(variant, m_spend);
        const std::vector<double> expected_in_year = reader.read_expected(variant, m_in_year_deficit);
        const std::vector<double> expected_cumulative = reader.read_expected(variant, m_cumulative_deficit);
        for (std::size_t y = 0; y < years; ++y) {
            const std::string where = variant + " " + std::to_string(info.years[y]);
            // Spend and funding are the summary's series, number for number.
            for (const auto& [line, metric] : {std::pair<std::string, std::string>{"high_needs_spend", "spend"},
                                               std::pair<std::string, std::string>{"funding", "funding"}}) {
                const Parsed& row = find(variant, y, line);
                const SeriesSummary& s = series(summary, v, metric);
                expect_same(row.numbers[0], s.mean[y], where + " " + line);
                for (std::size_t q = 0; q < 7; ++q) expect_same(row.numbers[1 + q], s.quantiles[q][y], where + " " + line);
                expect_same(row.numbers[8], reader.read_expected(variant, MetricId(metric_index(metric)))[y], where + " " + line);
            }
            // Positions: the statistics of the negated deficits, exactly; the
            // mean is minus the deficit's mean, and each quantile minus the
            // deficit's opposite quantile (p5 of the position is the p95
            // deficit: the bad tail), up to rounding.
            for (const auto& [line, metric, values, expected] :
                 {std::tuple{"in_year_position", "in_year_deficit", &in_year, &expected_in_year},
                  std::tuple{"cumulative_position", "cumulative_deficit", &cumulative, &expected_cumulative}}) {
                const Parsed& row = find(variant, y, line);
                const std::vector<double> want = statistics(column(*values, years, y, negate));
                for (std::size_t q = 0; q < 8; ++q) expect_same(row.numbers[q], want[q], where + " " + line);
                const SeriesSummary& deficit = series(summary, v, metric);
                EXPECT_EQ(row.numbers[0], -deficit.mean[y]) << where;
                for (std::size_t q = 0; q < 7; ++q) {
                    EXPECT_NEAR(row.numbers[1 + q], -deficit.quantiles[6 - q][y], 1e-9 * std::fabs(deficit.mean[y]))
                        << where << " " << line;
                }
                EXPECT_EQ(row.numbers[8], -(*expected)[y]) << where;
            }
            // In-year position = funding - spend.
            const Parsed& position = find(variant, y, "in_year_position");
            std::vector<double> funding_minus_spend;
            const std::vector<double> funding = reader.read_metric(variant, m_funding);
            for (std::size_t r = 0; r < 37; ++r) {
                const double x = in_year[r * years + y];
                funding_minus_spend.push_back(std::isnan(x) ? nan_value : funding[r * years + y] - spend[r * years + y]);
            }
            EXPECT_EQ(statistics(funding_minus_spend)[4], position.numbers[4]) << where;
        }
    }

    // Savings of "target" against "lower", replicate by replicate.
    const std::vector<double> lower_in_year = reader.read_metric("lower", m_in_year_deficit);
    const std::vector<double> target_in_year = reader.read_metric("target", m_in_year_deficit);
    const std::vector<double> lower_cumulative = reader.read_metric("lower", m_cumulative_deficit);
    const std::vector<double> target_cumulative = reader.read_metric("target", m_cumulative_deficit);
    for (std::size_t y = 0; y < years; ++y) {
        for (const auto& [line, a, b, metric] :
             {std::tuple{"mitigation_saving_in_year", &lower_in_year, &target_in_year, "in_year_deficit"},
              std::tuple{"mitigation_cumulative_saving", &lower_cumulative, &target_cumulative, "cumulative_deficit"}}) {
            std::vector<double> saving;
            for (std::size_t r = 0; r < 37; ++r) {
                const double x = (*a)[r * years + y], z = (*b)[r * years + y];
                saving.push_back(std::isnan(x) || std::isnan(z) ? nan_value : x - z);
            }
            const Parsed& row = find("target", y, line);
            const std::vector<double> want = statistics(saving);
            for (std::size_t q = 0; q < 8; ++q) expect_same(row.numbers[q], want[q], line);
            EXPECT_EQ(row.numbers[8], reader.read_expected("lower", MetricId(metric_index(metric)))[y] -
                                          reader.read_expected("target", MetricId(metric_index(metric)))[y]);
            EXPECT_GT(row.numbers[0], 0.0);
        }
    }
    // At the horizon the cumulative saving is the DBV opportunity.
    const Parsed& horizon = find("target", years - 1, "mitigation_cumulative_saving");
    ASSERT_EQ(summary.dbv.bounds.size(), 1u);
    const Opportunity& opportunity = summary.dbv.bounds[0].opportunities[0];
    EXPECT_EQ(horizon.numbers[0], opportunity.statistics.mean);
    EXPECT_EQ(horizon.numbers[1], opportunity.statistics.p5);
    EXPECT_EQ(horizon.numbers[4], opportunity.statistics.p50);
    EXPECT_EQ(horizon.numbers[7], opportunity.statistics.p95);
    EXPECT_EQ(horizon.numbers[8], opportunity.deterministic);

    // "orphan" has its saving lines, with no value: its comparator is not in the file.
    for (std::size_t y = 0; y < years; ++y) {
        for (const char* line : {"mitigation_saving_in_year", "mitigation_cumulative_saving"}) {
            for (double x : find("orphan", y, line).numbers) EXPECT_TRUE(std::isnan(x)) << line;
        }
        EXPECT_FALSE(std::isnan(find("orphan", y, "cumulative_position").numbers[0]));
    }
}

TEST_F(Dsg, WithoutExpectedDatasetsTheDeterministicColumnIsEmpty) {
    write_dsg(path("run.h5"), dsg_info(), false);
    const Summary summary = summarise(ResultReader(path("run.h5")));
    std::string header;
    const std::vector<Parsed> rows = parse(dsg_csv(summary), header);
    ASSERT_FALSE(rows.empty());
    for (const Parsed& row : rows) {
        EXPECT_TRUE(std::isnan(row.numbers[8])) << row.text[0] << " " << row.text[5];
    }
    EXPECT_EQ(dsg_csv(summary).find(",-0,"), std::string::npos);
}

TEST_F(Dsg, CsvOnlyAndAlone) {
    write_dsg(path("run.h5"), dsg_info(), true);
    const Summary summary = summarise(ResultReader(path("run.h5")));
    std::ostringstream out;
    PrintOptions options;
    options.dsg = true;
    EXPECT_THROW(print_summary(summary, SummaryFormat::table, out, options), std::invalid_argument);
    EXPECT_THROW(print_summary(summary, SummaryFormat::json, out, options), std::invalid_argument);
    for (const auto other : {&PrintOptions::scap, &PrintOptions::places, &PrintOptions::dbv, &PrintOptions::drivers}) {
        PrintOptions two = options;
        two.*other = true;
        EXPECT_THROW(print_summary(summary, SummaryFormat::csv, out, two), std::invalid_argument);
    }
    EXPECT_NO_THROW(print_summary(summary, SummaryFormat::csv, out, options));
}

}  // namespace
}  // namespace ehcpsim
