// The scenario `serve` edits (serve_edits.h): keys changed in place in the
// TOML text at the source positions toml++ reports, validated by the reader.
#include "ehcpsim/serve_edits.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <optional>
#include <sstream>

#include <toml++/toml.h>

#include "ehcpsim/ambition.h"

namespace ehcpsim {

namespace {

using Json = nlohmann::ordered_json;

std::vector<std::string> split(const std::string& text, char by) {
    std::vector<std::string> parts;
    std::string part;
    for (char c : text) {
        if (c == by) {
            parts.push_back(part);
            part.clear();
        } else {
            part += c;
        }
    }
    parts.push_back(part);
    return parts;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines = split(text, '\n');
    return lines;
}

std::string join_lines(const std::vector<std::string>& lines) {
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i) out += (i ? "\n" : "") + lines[i];
    return out;
}

// The byte offset of a toml++ position (1-based line, column counted in
// code points) in `text`.
std::size_t offset_of(const std::string& text, const toml::source_position& at) {
    std::size_t offset = 0;
    for (toml::source_index line = 1; line < at.line; ++line) {
        const std::size_t next = text.find('\n', offset);
        if (next == std::string::npos) return text.size();
        offset = next + 1;
    }
    for (toml::source_index column = 1; column < at.column && offset < text.size(); ++column) {
        ++offset;  // past the lead byte, then past its continuation bytes
        while (offset < text.size() && (static_cast<unsigned char>(text[offset]) & 0xC0) == 0x80) ++offset;
    }
    return offset;
}

bool bare_key(const std::string& key) {
    return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

std::string quoted(const std::string& text) {
    std::string out = "\"";
    for (unsigned char c : text) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        case '\r': out += "\\r"; break;
        default:
            if (c < 0x20 || c == 0x7F) {
                char code[8];
                std::snprintf(code, sizeof code, "\\u%04X", c);
                out += code;
            } else {
                out += static_cast<char>(c);
            }
        }
    }
    return out + "\"";
}

std::string key_text(const std::string& key) { return bare_key(key) ? key : quoted(key); }

Json json_of(const toml::node& node) {
    if (const auto* table = node.as_table()) {
        // In the order written (toml++ keeps keys sorted), so an edit sent back
        // keeps the text's order.
        std::vector<std::pair<std::string, const toml::node*>> entries;
        for (const auto& [key, value] : *table) entries.emplace_back(std::string(key.str()), &value);
        std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
            const auto& x = a.second->source().begin;
            const auto& y = b.second->source().begin;
            return x.line != y.line ? x.line < y.line : x.column < y.column;
        });
        Json out = Json::object();
        for (const auto& [key, value] : entries) out[key] = json_of(*value);
        return out;
    }
    if (const auto* array = node.as_array()) {
        Json out = Json::array();
        for (const auto& value : *array) out.push_back(json_of(value));
        return out;
    }
    if (const auto* v = node.as_string()) return v->get();
    if (const auto* v = node.as_integer()) return v->get();
    if (const auto* v = node.as_floating_point()) return v->get();
    if (const auto* v = node.as_boolean()) return v->get();
    return nullptr;  // dates and times: no scenario key takes one
}

const toml::table* mitigation_named(const toml::table& root, const std::string& name) {
    const toml::array* list = root["mitigations"].as_array();
    if (!list) return nullptr;
    for (const auto& element : *list) {
        const toml::table* table = element.as_table();
        if (table && table->get_as<std::string>("name") && table->get_as<std::string>("name")->get() == name)
            return table;
    }
    return nullptr;
}

// The mitigations switched off: each a run of lines starting with the
// prefix whose first line is "[[mitigations]]", by name.
struct OffBlock {
    std::size_t first_line = 0;  // 0-based
    std::size_t lines = 0;
    std::string name;
    toml::table doc;  // the block alone, parsed (moved, not copied: a copy loses the source positions)
    const toml::table& table() const { return *doc["mitigations"][0].as_table(); }
};

std::vector<OffBlock> off_blocks(const std::string& text) {
    const std::string prefix = mitigation_off_prefix;
    const std::vector<std::string> lines = lines_of(text);
    std::vector<OffBlock> blocks;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (lines[i].rfind(prefix + "[[mitigations]]", 0) != 0) continue;
        OffBlock block;
        block.first_line = i;
        std::string body;
        std::size_t j = i;
        for (; j < lines.size() && lines[j].rfind(prefix, 0) == 0; ++j) {
            if (j > i && lines[j].rfind(prefix + "[", 0) == 0) break;  // the next block
            body += lines[j].substr(prefix.size()) + "\n";
        }
        block.lines = j - i;
        try {
            block.doc = toml::parse(body);
        } catch (const toml::parse_error&) {
            continue;  // not a block this editor wrote
        }
        if (!block.doc["mitigations"][0].as_table()) continue;
        if (const auto* name = block.table().get_as<std::string>("name")) block.name = name->get();
        if (!block.name.empty()) blocks.push_back(std::move(block));
        i = j - 1;
    }
    return blocks;
}

toml::table parse_valid(const std::string& text) {
    try {
        return toml::parse(text);
    } catch (const toml::parse_error& e) {  // the reader reports it, located, when the text is loaded
        throw EditError("", std::string("the scenario is not valid TOML: ") + std::string(e.description()));
    }
}

}  // namespace

std::string toml_value_text(const Json& value, const std::string& field) {
    switch (value.type()) {
    case Json::value_t::boolean: return value.get<bool>() ? "true" : "false";
    case Json::value_t::number_integer: return std::to_string(value.get<std::int64_t>());
    case Json::value_t::number_unsigned: return std::to_string(value.get<std::uint64_t>());
    case Json::value_t::number_float: {
        const double x = value.get<double>();
        char buffer[64];
        const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, x);
        std::string text(buffer, ec == std::errc() ? end : buffer);
        if (text.find_first_of(".eEn") == std::string::npos) text += ".0";  // a TOML float, not an integer
        return text;
    }
    case Json::value_t::string: return quoted(value.get<std::string>());
    case Json::value_t::array: {
        std::string out = "[";
        for (std::size_t i = 0; i < value.size(); ++i) out += (i ? ", " : "") + toml_value_text(value[i], field);
        return out + "]";
    }
    case Json::value_t::object: {
        if (value.empty()) return "{}";
        std::string out = "{ ";
        bool first = true;
        for (const auto& [key, item] : value.items()) {
            out += (first ? "" : ", ") + key_text(key) + " = " + toml_value_text(item, field);
            first = false;
        }
        return out + " }";
    }
    default: throw EditError(field, "a value is needed (a number, text, true/false, a list or a table), not null");
    }
}

std::vector<std::string> problem_lines(const ScenarioError& error) {
    std::vector<std::string> lines;
    for (const Diagnostic& d : error.problems()) {
        const std::string where = format_location(d.where);
        lines.push_back((where.empty() ? "" : where + ": ") + d.message);
    }
    return lines;
}

EditableScenario EditableScenario::open(const std::string& path) {
    if (path.empty()) {
        const auto& files = default_scenario_files();
        std::map<std::string, std::string> tables;
        for (std::size_t i = 1; i < files.size(); ++i) tables[files[i].path] = files[i].text;
        EditableScenario s = from_text(files.front().path, files.front().text, {}, std::move(tables));
        s.load();
        return s;
    }
    load_scenario(path);  // a missing or bad file: the same error as `validate` gives
    std::ifstream in(path, std::ios::binary);
    if (!in) throw RuntimeError("cannot read the scenario " + path);
    std::ostringstream text;
    text << in.rdbuf();
    return from_text(path, text.str(), std::filesystem::path(path).parent_path());
}

EditableScenario EditableScenario::from_text(std::string display, std::string text, std::filesystem::path directory,
                                             std::map<std::string, std::string> files) {
    EditableScenario s;
    s.display_ = std::move(display);
    s.directory_ = std::move(directory);
    s.files_ = std::move(files);
    s.original_ = text;
    s.text_ = std::move(text);
    return s;
}

ScenarioSet EditableScenario::load_text(const std::string& text) const {
    return load_scenario(display_, text, [this](const std::string& name) -> std::optional<std::string> {
        if (!files_.empty()) {
            const auto it = files_.find(name);
            if (it == files_.end()) return std::nullopt;
            return it->second;
        }
        const std::filesystem::path path = std::filesystem::path(name).is_absolute() ? std::filesystem::path(name)
                                                                                    : directory_ / name;
        std::ifstream in(path, std::ios::binary);
        if (!in) return std::nullopt;
        std::ostringstream body;
        body << in.rdbuf();
        return body.str();
    });
}

ScenarioSet EditableScenario::load() const { return load_text(text_); }

void EditableScenario::replace_text(const std::string& text) {
    load_text(text);  // throws, leaving the text as it was
    text_ = text;
}

void EditableScenario::apply(const std::string& path, const Json& value) {
    const std::vector<std::string> keys = split(path, '.');
    if (path.empty() || std::any_of(keys.begin(), keys.end(), [](const std::string& k) { return k.empty(); }))
        throw EditError(path, "an edit names a key such as demand.growth or mitigations.NAME.target");
    const toml::table root = parse_valid(text_);
    std::string edited = text_;

    // On or off: comment the block out, or back in.
    if (keys.size() == 3 && keys[0] == "mitigations" && keys[2] == "enabled") {
        if (!value.is_boolean()) throw EditError(path, "enabled is true or false");
        const bool on = value.get<bool>();
        std::vector<std::string> lines = lines_of(edited);
        if (const toml::table* table = mitigation_named(root, keys[1])) {
            if (on) return;
            std::size_t first = table->source().begin.line, last = first;
            for (const auto& [key, node] : *table) last = std::max<std::size_t>(last, node.source().end.line);
            for (std::size_t line = first; line <= last && line <= lines.size(); ++line)
                lines[line - 1] = mitigation_off_prefix + lines[line - 1];
        } else {
            const std::vector<OffBlock> blocks = off_blocks(edited);
            const auto it = std::find_if(blocks.begin(), blocks.end(), [&](const OffBlock& b) { return b.name == keys[1]; });
            if (it == blocks.end()) throw EditError(path, "the scenario has no mitigation named '" + keys[1] + "'");
            if (!on) return;
            const std::size_t cut = std::string(mitigation_off_prefix).size();
            for (std::size_t line = it->first_line; line < it->first_line + it->lines; ++line)
                lines[line] = lines[line].substr(cut);
        }
        edited = join_lines(lines);
        replace_text(edited);
        return;
    }

    // Walk to the table that holds the last key.
    const toml::table* parent = &root;
    std::size_t i = 0;
    if (keys[0] == "mitigations") {
        if (keys.size() < 3) throw EditError(path, "a mitigation's key is mitigations.NAME.KEY");
        parent = mitigation_named(root, keys[1]);
        if (!parent) {
            const std::vector<OffBlock> blocks = off_blocks(text_);
            const bool off = std::any_of(blocks.begin(), blocks.end(), [&](const OffBlock& b) { return b.name == keys[1]; });
            throw EditError(path, off ? "the mitigation '" + keys[1] + "' is switched off: switch it on to edit it"
                                      : "the scenario has no mitigation named '" + keys[1] + "'");
        }
        i = 2;
    }
    for (; i + 1 < keys.size(); ++i) {
        const toml::node* next = parent->get(keys[i]);
        if (!next || !next->is_table())
            throw EditError(path, "the scenario has no table " + path.substr(0, path.rfind('.')) +
                                      " (the editor changes keys the scenario has, and adds a key only to a table it has)");
        parent = next->as_table();
    }
    const std::string& last = keys.back();
    const std::string new_text = toml_value_text(value, path);
    if (const toml::node* node = parent->get(last)) {
        const std::size_t begin = offset_of(edited, node->source().begin);
        const std::size_t end = offset_of(edited, node->source().end);
        edited.replace(begin, end - begin, new_text);
    } else if (parent->is_inline()) {
        const std::size_t end = offset_of(edited, parent->source().end);  // one past '}'
        const std::size_t brace = edited.rfind('}', end);
        if (brace == std::string::npos) throw EditError(path, "cannot add a key to this inline table");
        std::size_t before = brace;
        while (before > 0 && edited[before - 1] == ' ') --before;
        const bool empty = before > 0 && edited[before - 1] == '{';
        edited.replace(before, brace - before, (empty ? " " : ", ") + key_text(last) + " = " + new_text + " ");
    } else if (parent != &root && offset_of(edited, parent->source().begin) < edited.size() &&
               edited[offset_of(edited, parent->source().begin)] == '[') {
        // A table with a header: the new key on the line after it.
        const std::size_t header_end = edited.find('\n', offset_of(edited, parent->source().begin));
        const std::string line = key_text(last) + " = " + new_text;
        if (header_end == std::string::npos) edited += "\n" + line;
        else edited.insert(header_end + 1, line + "\n");
    } else {
        throw EditError(path, "the scenario has no key " + path + " and the editor cannot add it here; edit the "
                              "TOML text instead");
    }
    replace_text(edited);
}

Json EditableScenario::describe() const {
    const ScenarioSet set = load();
    const toml::table root = parse_valid(text_);
    Json out;
    out["name"] = set.name;
    out["description"] = set.description;
    out["file"] = display_;
    out["seed"] = set.default_seed;
    out["replicates"] = set.default_replicates;
    const Scenario& base = set.variants.front();
    out["base_year"] = base.base_year;
    out["horizon"] = base.horizon;
    out["edited"] = text_ != original_;
    Json variants = Json::array();
    for (const Scenario& v : set.variants)
        variants.push_back({{"name", v.variant},
                            {"description", v.description},
                            {"level", std::string(ambition_level_name(v.level))},
                            {"compare_to", v.compare_to}});
    out["variants"] = variants;

    const std::vector<std::string> editable = {"start_year", "ramp", "target", "stretch", "annual_cost",
                                               "cost_on_high_needs_block"};
    const auto mitigation_json = [&](const toml::table& table, bool enabled) {
        Json m;
        m["name"] = table.get_as<std::string>("name") ? table.get_as<std::string>("name")->get() : "";
        m["kind"] = table.get_as<std::string>("kind") ? table.get_as<std::string>("kind")->get() : "";
        m["description"] =
            table.get_as<std::string>("description") ? table.get_as<std::string>("description")->get() : "";
        m["enabled"] = enabled;
        Json fields = Json::object();
        for (const std::string& key : editable)
            if (const toml::node* node = table.get(key)) fields[key] = json_of(*node);
        m["fields"] = fields;
        return m;
    };
    Json mitigations = Json::array();
    if (const toml::array* list = root["mitigations"].as_array())
        for (const auto& element : *list)
            if (const toml::table* table = element.as_table()) mitigations.push_back(mitigation_json(*table, true));
    for (const OffBlock& block : off_blocks(text_)) mitigations.push_back(mitigation_json(block.table(), false));
    out["mitigations"] = mitigations;

    Json trend = Json::object();
    for (const char* key : {"growth", "growth_long_run", "persistence", "shock_sd"})
        if (const toml::node* node = root["demand"][key].node()) trend[key] = json_of(*node);
    out["trend"] = trend;

    Json capacity = Json::array();
    if (const toml::table* table = root["capacity"].as_table())
        for (const auto& [key, node] : *table) {
            const toml::table* entry = node.as_table();
            if (!entry || !entry->get("places")) continue;
            Json c;
            c["name"] = std::string(key.str());
            c["places"] = json_of(*entry->get("places"));
            if (const auto* overflow = entry->get_as<std::string>("overflow")) c["overflow"] = overflow->get();
            capacity.push_back(c);
        }
    out["capacity"] = capacity;
    return out;
}

}  // namespace ehcpsim
