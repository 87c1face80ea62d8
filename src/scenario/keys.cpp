// A scenario's keys and one key moved from a new scenario into an old one
// (scenario_keys.h): the TOML flattened with toml++, and written back with
// its formatter.
#include "ehcpsim/scenario_keys.h"

#include <charconv>
#include <map>
#include <sstream>
#include <variant>

#include "toml_access.h"

namespace ehcpsim {

namespace {

using scenario_reading::is_distribution_table;

// A step down a document: a table's key or an array's index.
using Step = std::variant<std::string, std::size_t>;

struct Leaf {
    std::vector<Step> path;
    const toml::node* node = nullptr;
};

std::string key_text(const std::vector<Step>& path) {
    std::string text;
    for (const Step& step : path) {
        // Built with += : GCC 12 warns falsely (-Wrestrict, bug 105329) on "literal" + std::string.
        if (const auto* name = std::get_if<std::string>(&step)) {
            if (!text.empty()) text += '.';
            text += *name;
        } else {
            text += '[';
            text += std::to_string(std::get<std::size_t>(step));
            text += ']';
        }
    }
    return text;
}

// The node at `path`, or null.
const toml::node* find(const toml::node* node, const std::vector<Step>& path) {
    for (const Step& step : path) {
        if (!node) return nullptr;
        if (const auto* name = std::get_if<std::string>(&step)) {
            const toml::table* table = node->as_table();
            node = table ? table->get(*name) : nullptr;
        } else {
            const toml::array* array = node->as_array();
            const std::size_t i = std::get<std::size_t>(step);
            node = array && i < array->size() ? array->get(i) : nullptr;
        }
    }
    return node;
}

bool array_of_tables(const toml::node& node) {
    const toml::array* array = node.as_array();
    return array && !array->empty() && array->is_array_of_tables();
}

// The leaves of `node` at `path`; `other` is the same place in the other
// document (null if absent there), so arrays of tables are followed only
// where both have them at the same length.
void flatten(const toml::node& node, const toml::node* other, std::vector<Step>& path, std::map<std::string, Leaf>& out) {
    if (node.is_table() && !is_distribution_table(node) && !path.empty() &&
        (!other || (other->is_table() && !is_distribution_table(*other)))) {
        for (auto&& [key, child] : *node.as_table()) {
            path.emplace_back(std::string(key.str()));
            flatten(child, find(other, {path.back()}), path, out);
            path.pop_back();
        }
        return;
    }
    if (path.empty()) {  // the document itself
        for (auto&& [key, child] : *node.as_table()) {
            path.emplace_back(std::string(key.str()));
            flatten(child, other ? find(other, {path.back()}) : nullptr, path, out);
            path.pop_back();
        }
        return;
    }
    if (array_of_tables(node) && other && array_of_tables(*other) &&
        node.as_array()->size() == other->as_array()->size()) {
        for (std::size_t i = 0; i < node.as_array()->size(); ++i) {
            path.emplace_back(i);
            flatten(*node.as_array()->get(i), other->as_array()->get(i), path, out);
            path.pop_back();
        }
        return;
    }
    out[key_text(path)] = Leaf{path, &node};
}

std::string one_line(const toml::node& node) {
    if (const auto* x = node.as_floating_point()) {  // shortest text that reads back (0.015, not 0.01499...)
        char buffer[64];
        const auto result = std::to_chars(buffer, buffer + sizeof buffer, x->get());
        return std::string(buffer, result.ptr);
    }
    std::ostringstream text;
    node.visit([&](const auto& n) { text << toml::toml_formatter(n, toml::format_flags::none); });
    std::string line;
    for (char c : text.str()) line += c == '\n' ? ' ' : c;
    return line;
}

toml::table parse(const SourceFile& source) {
    try {
        return toml::parse(source.text, source.path);
    } catch (const toml::parse_error& error) {
        throw ScenarioError(SourceLocation{source.path, "", static_cast<int>(error.source().begin.line),
                                           static_cast<int>(error.source().begin.column)},
                            "TOML syntax error: " + std::string(error.description()));
    }
}

std::map<std::string, Leaf> leaves(const toml::table& document, const toml::table& other) {
    std::map<std::string, Leaf> out;
    std::vector<Step> path;
    flatten(document, &other, path, out);
    return out;
}

std::map<std::string, const SourceFile*> files_of(const std::vector<SourceFile>& sources) {
    std::map<std::string, const SourceFile*> files;
    for (std::size_t i = 1; i < sources.size(); ++i) files["file:" + sources[i].path] = &sources[i];
    return files;
}

std::string first_line_differing(const std::string& a, const std::string& b) {
    std::istringstream x(a), y(b);
    std::string p, q;
    for (int line = 1;; ++line) {
        const bool more_x = static_cast<bool>(std::getline(x, p)), more_y = static_cast<bool>(std::getline(y, q));
        if (!more_x && !more_y) return "";
        if (more_x != more_y || p != q) return "differs from line " + std::to_string(line);
    }
}

}  // namespace

std::vector<KeyDifference> differing_keys(const std::vector<SourceFile>& old_sources,
                                          const std::vector<SourceFile>& new_sources) {
    if (old_sources.empty() || new_sources.empty()) throw std::invalid_argument("differing_keys: no scenario");
    const toml::table old_doc = parse(old_sources.front()), new_doc = parse(new_sources.front());
    const auto old_leaves = leaves(old_doc, new_doc), new_leaves = leaves(new_doc, old_doc);
    std::map<std::string, KeyDifference> found;
    for (const auto& [key, leaf] : old_leaves) {
        const auto there = new_leaves.find(key);
        const std::string old_value = one_line(*leaf.node);
        const std::string new_value = there == new_leaves.end() ? "" : one_line(*there->second.node);
        if (there == new_leaves.end() || old_value != new_value)
            found[key] = {key, old_value, new_value, true, there != new_leaves.end()};
    }
    for (const auto& [key, leaf] : new_leaves)
        if (!old_leaves.count(key)) found[key] = {key, "", one_line(*leaf.node), false, true};
    const auto old_files = files_of(old_sources), new_files = files_of(new_sources);
    for (const auto& [key, file] : old_files) {
        const auto there = new_files.find(key);
        if (there == new_files.end())
            found[key] = {key, std::to_string(file->text.size()) + " bytes", "", true, false};
        else if (there->second->text != file->text)
            found[key] = {key, first_line_differing(file->text, there->second->text), "", true, true};
    }
    for (const auto& [key, file] : new_files)
        if (!old_files.count(key)) found[key] = {key, "", std::to_string(file->text.size()) + " bytes", false, true};
    std::vector<KeyDifference> out;
    for (auto& [key, difference] : found) out.push_back(std::move(difference));
    return out;
}

std::vector<SourceFile> with_key_of(const std::vector<SourceFile>& old_sources,
                                    const std::vector<SourceFile>& new_sources, const std::string& key) {
    std::vector<SourceFile> out = old_sources;
    if (key.rfind("file:", 0) == 0) {
        const std::string path = key.substr(5);
        std::erase_if(out, [&](const SourceFile& s) { return &s != &out.front() && s.path == path; });
        for (std::size_t i = 1; i < new_sources.size(); ++i)
            if (new_sources[i].path == path) out.push_back(new_sources[i]);
        return out;
    }
    toml::table old_doc = parse(old_sources.front());
    const toml::table new_doc = parse(new_sources.front());
    const auto old_leaves = leaves(old_doc, new_doc), new_leaves = leaves(new_doc, old_doc);
    const auto in_old = old_leaves.find(key), in_new = new_leaves.find(key);
    if (in_old == old_leaves.end() && in_new == new_leaves.end())
        throw std::invalid_argument("with_key_of: no key '" + key + "' in either scenario");
    const std::vector<Step>& path = in_new != new_leaves.end() ? in_new->second.path : in_old->second.path;
    // Down to the parent, making the tables the old document lacks.
    toml::node* node = &old_doc;
    for (std::size_t i = 0; i + 1 < path.size(); ++i) {
        if (const auto* name = std::get_if<std::string>(&path[i])) {
            toml::table& table = *node->as_table();
            if (!table.contains(*name)) table.insert(*name, toml::table{});
            node = table.get(*name);
        } else {
            node = node->as_array()->get(std::get<std::size_t>(path[i]));
        }
    }
    const std::string& last = std::get<std::string>(path.back());  // leaves end in a table's key
    toml::table& parent = *node->as_table();
    if (in_new == new_leaves.end())
        parent.erase(last);
    else
        in_new->second.node->visit([&](const auto& value) { parent.insert_or_assign(last, value); });
    std::ostringstream text;
    text << old_doc;
    out.front().text = text.str();
    return out;
}

FileReader sources_reader(const std::vector<SourceFile>& sources) {
    return [sources](const std::string& path) -> std::optional<std::string> {
        for (std::size_t i = 1; i < sources.size(); ++i)
            if (sources[i].path == path) return sources[i].text;
        return std::nullopt;
    };
}

}  // namespace ehcpsim
