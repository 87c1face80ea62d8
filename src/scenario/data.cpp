// The [data] table: the stock and population CSV tables it names, read into
// the base year's stock by cell and the population by year and age.
#include "sections.h"

namespace ehcpsim::scenario_reading {

namespace {

std::string age_range_text(const Dimensions& dims) {
    return std::to_string(dims.min_age) + ".." + std::to_string(dims.max_age);
}

std::optional<int> csv_age(const CsvTable& csv, const CsvRow& row, std::size_t field, const Dimensions& dims) {
    const std::optional<std::int64_t> age = parse_integer(row.fields[field].text);
    if (!age) {
        csv.error(row, field, "expected an integer age, found " + shown(row.fields[field].text));
        return std::nullopt;
    }
    if (*age < dims.min_age || *age > dims.max_age) {
        csv.error(row, field, "age " + std::to_string(*age) + " is outside min_age..max_age (" +
                                  age_range_text(dims) + ")");
        return std::nullopt;
    }
    return static_cast<int>(*age);
}

std::optional<int> csv_name(const CsvTable& csv, const CsvRow& row, std::size_t field,
                            const std::vector<std::string>& names, const char* what) {
    const int index = index_of(names, row.fields[field].text);
    if (index < 0)
        csv.error(row, field, std::string("unknown ") + what + " " + shown(row.fields[field].text) + "; declared " +
                                  what + "s: " + list_text(names));
    if (index < 0) return std::nullopt;
    return index;
}

// A count: a whole number (written 12, 12.0 or "1,200") in 0..max_count;
// nullopt after reporting why not.
std::optional<std::int64_t> csv_count(const CsvTable& csv, const CsvRow& row, std::size_t field) {
    std::string why;
    const std::optional<std::string> plain = without_separators(row.fields[field], why);
    if (!plain) {
        csv.error(row, field, why);
        return std::nullopt;
    }
    std::optional<std::int64_t> count = parse_integer(*plain);
    const std::optional<double> real = count ? std::nullopt : parse_real(*plain);
    if (!count && real && *real == std::floor(*real) && std::abs(*real) <= max_count)
        count = static_cast<std::int64_t>(*real);
    if (!count) {
        if (real && std::abs(*real) > max_count)
            csv.error(row, field, "count " + shown(row.fields[field].text) + " is above " + max_count_text +
                                      ", the largest count the engine takes");
        else
            csv.error(row, field, "expected a non-negative integer count, found " + shown(row.fields[field].text));
        return std::nullopt;
    }
    if (*count < 0) {
        csv.error(row, field, "count must be >= 0, found " + std::to_string(*count));
        return std::nullopt;
    }
    if (static_cast<double>(*count) > max_count) {
        csv.error(row, field, "count " + std::to_string(*count) + " is above " + max_count_text +
                                  ", the largest count the engine takes");
        return std::nullopt;
    }
    return count;
}

std::vector<std::int64_t> read_stock(const CsvTable& csv, const std::string& text, const Dimensions& dims) {
    std::vector<std::int64_t> stock(dims.cells(), 0);
    const std::optional<std::vector<CsvRow>> rows = csv.rows(text);
    if (!rows) return stock;
    std::map<std::size_t, int> line_of_cell;
    double total = 0.0;
    for (const CsvRow& row : *rows) {
        const std::optional<int> age = csv_age(csv, row, 0, dims);
        const std::optional<int> need = csv_name(csv, row, 1, dims.needs, "need");
        const std::optional<int> placement = csv_name(csv, row, 2, dims.placements, "placement");
        const std::optional<std::int64_t> count = csv_count(csv, row, 3);
        if (!age || !need || !placement || !count) continue;
        const std::size_t cell = dims.cell(*age, *need, *placement);
        if (const auto seen = line_of_cell.find(cell); seen != line_of_cell.end()) {
            csv.error(row.line, 0, "",
                      "duplicate cell (age " + std::to_string(*age) + ", " + dims.needs[*need] + ", " +
                          dims.placements[*placement] + "): also on line " + std::to_string(seen->second));
            continue;
        }
        line_of_cell.emplace(cell, row.line);
        stock[cell] = *count;
        total += static_cast<double>(*count);
    }
    if (total > max_count)
        csv.error(0, 0, "count", "the stock adds up to " + rounded_text(total) + " plans, above " + max_count_text +
                                     ", the largest total the engine takes");
    return stock;
}

// An age label of a population table: "7", or an ONS open-ended group
// ("90+", "90 and over"), whose first age is returned with open = true.
std::optional<std::int64_t> population_age(std::string_view text, bool& open) {
    open = false;
    if (std::optional<std::int64_t> age = parse_integer(text)) return age;
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    for (std::string_view suffix : {"+", " and over", " and older", " plus"}) {
        if (lower.size() > suffix.size() && lower.ends_with(suffix)) {
            if (std::optional<std::int64_t> age =
                    parse_integer(trim(std::string_view(lower).substr(0, lower.size() - suffix.size())))) {
                open = true;
                return age;
            }
        }
    }
    return std::nullopt;
}

// The wide layout of a population table: "year" then one column per age
// (ONS tables put ages across): true when every other header is an age label.
bool is_wide_population_header(const CsvRow& header) {
    if (header.fields.size() < 2 || header.fields.front().text != "year") return false;
    for (std::size_t i = 1; i < header.fields.size(); ++i) {
        bool open = false;
        if (!population_age(header.fields[i].text, open)) return false;
    }
    return true;
}

// Population by year as listed, each year holding every age; then the step
// function filled in for base_year..base_year+horizon.
std::map<int, std::vector<double>> read_population(const CsvTable& csv, const std::string& text,
                                                   const Dimensions& dims, std::optional<int> base_year,
                                                   std::optional<int> horizon, Problems& problems) {
    std::map<int, std::vector<double>> filled;
    std::optional<CsvTable::Parsed> parsed = csv.parse(text, is_wide_population_header);
    if (!parsed) return filled;
    std::vector<CsvRow> rows;
    if (!parsed->other_layout) {
        rows = std::move(parsed->rows);
    } else {
        // year,0,1,...: one long row (year, age, population) per cell, located at the value.
        const std::vector<CsvField>& header = parsed->header.fields;
        for (CsvRow& wide : parsed->rows) {
            if (wide.fields.size() != header.size()) {
                csv.error(wide.line, 0, "",
                          "expected " + std::to_string(header.size()) + " fields (year and one per age, as in the "
                          "header), found " + std::to_string(wide.fields.size()));
                continue;
            }
            for (std::size_t i = 1; i < header.size(); ++i) {
                CsvField age = header[i];
                age.column = wide.fields[i].column;
                rows.push_back({wide.line, {wide.fields[0], age, wide.fields[i]}});
            }
        }
    }
    struct Listed {
        int first_line = 0;
        std::vector<std::optional<double>> by_age;
        std::vector<int> line_of_age;
    };
    std::map<int, Listed> listed;
    int ignored = 0;
    bool bad = false;
    for (const CsvRow& row : rows) {
        const std::optional<std::int64_t> year = parse_integer(row.fields[0].text);
        bool open = false;
        const std::optional<std::int64_t> age = population_age(row.fields[1].text, open);
        std::string why;
        const std::optional<std::string> plain = without_separators(row.fields[2], why);
        const double value = plain ? parse_real(*plain).value_or(std::nan("")) : std::nan("");
        const std::optional<double> population = std::isnan(value) ? std::nullopt : std::optional<double>(value);
        if (!year || *year < first_year || *year > last_year)
            csv.error(row, 0, "expected a year (" + std::to_string(first_year) + ".." + std::to_string(last_year) +
                                  "), found " + shown(row.fields[0].text));
        if (!age) csv.error(row, 1, "expected an integer age, found " + shown(row.fields[1].text));
        if (!plain)
            csv.error(row, 2, why);
        else if (!population)
            csv.error(row, 2, "expected a non-negative number, found " + shown(row.fields[2].text));
        else if (*population < 0.0)
            csv.error(row, 2, "population must be >= 0, found " + row.fields[2].text);
        else if (*population > max_count)
            csv.error(row, 2, "population " + row.fields[2].text + " is above " + max_count_text +
                                  ", the largest count the engine takes");
        const bool usable_value = value >= 0.0 && value <= max_count;
        bad = bad || !usable_value;
        if (!year || *year < first_year || *year > last_year || !age) {
            bad = true;
            continue;
        }
        if (*age < dims.min_age || *age > dims.max_age) {
            ++ignored;
            continue;
        }
        if (open) {
            csv.error(row, 1, "age " + shown(row.fields[1].text) + " is a group of every age from " +
                                  std::to_string(*age) + " up, but max_age is " + std::to_string(dims.max_age) +
                                  ": give single years of age up to max_age, or set max_age below " +
                                  std::to_string(*age) + " (the group is then ignored)");
            bad = true;
            continue;
        }
        Listed& entry = listed[static_cast<int>(*year)];
        if (entry.by_age.empty()) {
            entry.first_line = row.line;
            entry.by_age.resize(dims.ages());
            entry.line_of_age.resize(dims.ages());
        }
        const std::size_t slot = static_cast<std::size_t>(*age - dims.min_age);
        if (entry.by_age[slot]) {
            csv.error(row.line, 0, "",
                      "duplicate row for year " + std::to_string(*year) + ", age " + std::to_string(*age) +
                          ": also on line " + std::to_string(entry.line_of_age[slot]));
            bad = true;
            continue;
        }
        entry.by_age[slot] = usable_value ? value : 0.0;
        entry.line_of_age[slot] = row.line;
    }
    if (ignored > 0)
        problems.note({csv.file(), "age", 0, 0}, std::to_string(ignored) + " row(s) for ages outside min_age..max_age (" +
                                                     age_range_text(dims) + ") ignored");
    for (const auto& [year, entry] : listed) {
        std::vector<std::string> missing;
        double total = 0.0;
        for (int i = 0; i < dims.ages(); ++i) {
            if (!entry.by_age[i]) missing.push_back(std::to_string(dims.min_age + i));
            else total += *entry.by_age[i];
        }
        if (!missing.empty()) {
            csv.error(entry.first_line, 0, "age",
                      "year " + std::to_string(year) + " is missing age(s) " + list_text(missing) +
                          ": each listed year must give every age " + age_range_text(dims));
            bad = true;
        } else if (total > max_count) {
            csv.error(entry.first_line, 0, "population",
                      "the population of " + std::to_string(year) + " adds up to " + rounded_text(total) +
                          ", above " + max_count_text + ", the largest total the engine takes");
            bad = true;
        }
    }
    if (listed.empty()) {
        if (!bad) csv.error(0, 0, "", "no population rows for ages " + age_range_text(dims));
        return filled;
    }
    if (!base_year || !horizon || bad) return filled;
    if (listed.begin()->first > *base_year) {
        csv.error(listed.begin()->second.first_line, 0, "year",
                  "the first listed year " + std::to_string(listed.begin()->first) + " is after base_year " +
                      std::to_string(*base_year) + "; the population must be known from the base year");
        return filled;
    }
    for (int year = *base_year; year <= *base_year + *horizon; ++year) {
        const Listed& holding = std::prev(listed.upper_bound(year))->second;
        std::vector<double>& values = filled[year];
        for (const std::optional<double>& value : holding.by_age) values.push_back(*value);
    }
    return filled;
}

// A CSV named by a [data] key: its text, or a problem naming the path.
const std::string* data_file(Toml& toml, Files& files, const toml::table& data, std::string_view key,
                             std::string& display) {
    const std::string path = join_key("data", key);
    const toml::node* node = toml.required(data, key, "data");
    if (!node) return nullptr;
    const std::optional<std::string> name = toml.text(*node, path);
    if (!name) return nullptr;
    display = files.display(*name);
    const std::string* text = files.read(*name);
    if (!text)
        toml.error(toml.at(*node, path), "cannot read the file " + in_quotes(*name) + " (looked for " +
                                             in_quotes(display) + "; paths are relative to the scenario file): " +
                                             why_unreadable(display));
    return text;
}

}  // namespace

void read_data(Toml& toml, Files& files, const toml::table& root, const Header& header, Scenario& scenario) {
    scenario.stock.assign(scenario.dims.cells(), 0);
    const toml::table* data = toml.table(root, "data", "data", true);
    if (!data) return;
    toml.check_keys(*data, "data", {"stock", "population"});
    std::string display;
    if (const std::string* text = data_file(toml, files, *data, "stock", display)) {
        const CsvTable csv(display, {"age", "need", "placement", "count"}, toml.problems());
        scenario.stock = read_stock(csv, *text, scenario.dims);
    }
    if (const std::string* text = data_file(toml, files, *data, "population", display)) {
        const CsvTable csv(display, {"year", "age", "population"}, toml.problems());
        scenario.population =
            read_population(csv, *text, scenario.dims, header.base_year, header.horizon, toml.problems());
    }
}

}  // namespace ehcpsim::scenario_reading
