// The SEN2 panel: official (or an authority's own) statistics on EHC plans as
// one long table, `la_code,la_name,year,measure,breakdown,value`, read with
// every problem located (file, line, column, column name), and queried by
// authority, measure and breakdown. A panel can be cut at a forecast origin so
// that nothing dated after the origin can be seen (docs/backtest.md states
// what that means for stocks and for flows). Calibrate and backtest read
// their data only through this type.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ehcpsim::calibrate {

// One component of a breakdown: `age:7` is {"age", "7"}.
struct BreakdownPart {
    std::string dimension;  // age, need, placement, or another lower-case name
    std::string value;      // as written: 7, 5-10, ASD, special_maintained, unknown
    bool operator==(const BreakdownPart&) const = default;
};

// A breakdown key: `all` (no parts) or parts joined by '|', such as
// `age:7|need:ASD|placement:special_maintained` (an authority's own finer
// data). Parts are kept sorted by dimension, so `need:ASD|age:7` and
// `age:7|need:ASD` are the same key; a dimension appears at most once.
class Breakdown {
public:
    Breakdown() = default;  // all
    // nullopt with `why` set when the text is not a breakdown.
    static std::optional<Breakdown> parse(std::string_view text, std::string& why);

    bool is_all() const { return parts_.empty(); }
    const std::vector<BreakdownPart>& parts() const { return parts_; }
    // The value of one dimension (`placement` of `age:7|placement:ap` is "ap").
    std::optional<std::string> value_of(std::string_view dimension) const;
    // The canonical text: `all`, or the sorted parts joined by '|'.
    std::string text() const;

private:
    std::vector<BreakdownPart> parts_;
};

// An age value of a breakdown: `7` is [7, 7], `5-10` is [5, 10]; nullopt for
// `unknown` or anything that is not an age.
struct AgeRange {
    int lo = 0;
    int hi = 0;
};
std::optional<AgeRange> parse_age(std::string_view value);

// How a measure is dated: a stock by its January census year, everything else
// (flows in a calendar year, population at 30 June) by a date later in the
// year, after that year's census. The strict cut rests on this.
enum class Dating { census, in_year };
Dating dating_of(std::string_view measure);

// year -> value, ascending.
using Series = std::map<int, double>;

// The first and last year of something, inclusive.
struct YearSpan {
    int first = 0;
    int last = 0;
};

class Panel {
public:
    // Reads a panel file. Problems in the file are thrown as one ScenarioError
    // listing each (file:line:column: column: message), a file that cannot be
    // read likewise; at most 20 problems are listed.
    static Panel read_file(const std::string& path);
    // The same from text already read; `name` is the file named in messages.
    static Panel read_text(const std::string& text, const std::string& name);
    static Panel read_stream(std::istream& in, const std::string& name);

    // Authority codes, sorted.
    std::vector<std::string> authorities() const;
    bool has_authority(const std::string& la_code) const { return authorities_.count(la_code) > 0; }
    // The name the panel gives the authority (empty when it has none).
    std::string name_of(const std::string& la_code) const;

    // year -> value of one series; empty when the panel has no such rows.
    Series series(const std::string& la_code, const std::string& measure, const std::string& breakdown) const;
    std::optional<double> value(const std::string& la_code, int year, const std::string& measure,
                                const std::string& breakdown) const;
    // The measures an authority has, and the breakdowns (canonical text) of
    // one measure, sorted.
    std::vector<std::string> measures(const std::string& la_code) const;
    std::vector<std::string> breakdowns(const std::string& la_code, const std::string& measure) const;

    // Number of rows (cells with a value).
    std::size_t size() const { return rows_; }
    // The years of the rows dated by census (stocks) or in the year (flows);
    // nullopt when there are none.
    std::optional<YearSpan> years(Dating dating) const;

    // The panel as it was known at origin Y (the January census of Y is the
    // last one used): stocks of years <= Y and measures dated in the year
    // (flows, population) of years <= Y - 1. Rows of later years are not
    // copied, so whatever reads the result cannot see them.
    Panel cut_after(int origin) const;
    // The origin a panel was cut at, nullopt for a panel as read.
    std::optional<int> cut_origin() const { return cut_origin_; }

private:
    struct Authority {
        std::string name;
        // (measure, canonical breakdown) -> series
        std::map<std::pair<std::string, std::string>, Series> series;
    };
    std::map<std::string, Authority> authorities_;
    std::size_t rows_ = 0;
    std::optional<int> cut_origin_;
};

}  // namespace ehcpsim::calibrate
