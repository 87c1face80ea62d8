// Tables to worksheets with libxlsxwriter, temp-then-rename (workbook.h).
#include "ehcpsim/workbook.h"

#include <unistd.h>

#include <xlsxwriter.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>

#include "ehcpsim/error.h"

namespace ehcpsim {
namespace {

const char* number_format(CellFormat format) {
    switch (format) {
        case CellFormat::pounds:
        case CellFormat::thousands:
            return "\xC2\xA3#,##0";  // £#,##0
        case CellFormat::percent:
            return "0.0%";
        case CellFormat::count:
            return "#,##0";
        case CellFormat::decimal:
            return "0.000";
        case CellFormat::general:
        case CellFormat::text:
            break;
    }
    return nullptr;
}

// Excel's rules for a tab name: 1-31 characters, none of []:*?/\, unique
// (case-insensitively) in the workbook.
std::string sheet_name(const std::string& wanted, std::set<std::string>& used) {
    std::string name;
    for (char c : wanted) name += std::string("[]:*?/\\").find(c) == std::string::npos ? c : '_';
    if (name.empty()) name = "Sheet";
    const auto lower = [](std::string text) {
        for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return text;
    };
    std::string candidate = name.substr(0, 31);
    for (int n = 2; used.count(lower(candidate)); ++n) {
        const std::string suffix = " (" + std::to_string(n) + ")";
        candidate = name.substr(0, 31 - suffix.size()) + suffix;
    }
    used.insert(lower(candidate));
    return candidate;
}

std::size_t text_width(const std::string& text) {  // UTF-8 code points
    return static_cast<std::size_t>(std::count_if(
        text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// The workbook being written; closed (and freed) exactly once.
class Book {
public:
    explicit Book(const std::string& path) : book_(workbook_new(path.c_str())) {}
    ~Book() {
        if (book_) workbook_close(book_);
    }
    Book(const Book&) = delete;
    Book& operator=(const Book&) = delete;
    lxw_workbook* get() const { return book_; }
    lxw_error close() {
        lxw_workbook* book = book_;
        book_ = nullptr;
        return workbook_close(book);
    }

private:
    lxw_workbook* book_;
};

void check(lxw_error error, const std::string& what) {
    if (error != LXW_NO_ERROR) throw RuntimeError(what + ": " + lxw_strerror(error));
}

void write_sheet(lxw_workbook* book, const Table& table, std::set<std::string>& used, const std::string& file) {
    if (table.columns.empty()) throw std::invalid_argument("table '" + table.sheet + "' has no columns");
    const std::string name = sheet_name(table.sheet, used);
    lxw_worksheet* sheet = workbook_add_worksheet(book, name.c_str());
    if (!sheet) throw RuntimeError("cannot add the sheet '" + name + "' to " + file);
    lxw_format* title = workbook_add_format(book);
    format_set_bold(title);
    format_set_font_size(title, 13);
    lxw_format* header = workbook_add_format(book);
    format_set_bold(header);
    format_set_text_wrap(header);
    format_set_bottom(header, LXW_BORDER_THIN);
    lxw_format* note = workbook_add_format(book);
    format_set_italic(note);
    std::vector<lxw_format*> formats;
    for (const Column& column : table.columns) {
        lxw_format* format = nullptr;
        if (const char* pattern = number_format(column.format)) {
            format = workbook_add_format(book);
            format_set_num_format(format, pattern);
        }
        formats.push_back(format);
    }
    const std::string where = "cannot write the sheet '" + name + "' of " + file;
    check(worksheet_write_string(sheet, 0, 0, table.title.c_str(), title), where);
    std::vector<std::size_t> widths(table.columns.size(), 0);
    for (std::size_t c = 0; c < table.columns.size(); ++c) {
        check(worksheet_write_string(sheet, 1, static_cast<lxw_col_t>(c), table.columns[c].header.c_str(), header),
              where);
        widths[c] = text_width(table.columns[c].header);
    }
    for (std::size_t r = 0; r < table.rows.size(); ++r) {
        const std::vector<Cell>& row = table.rows[r];
        if (row.size() > table.columns.size())
            throw std::invalid_argument("a row of table '" + table.sheet + "' has more cells than columns");
        const auto at = static_cast<lxw_row_t>(r + 2);
        for (std::size_t c = 0; c < row.size(); ++c) {
            const auto col = static_cast<lxw_col_t>(c);
            if (const double* number = std::get_if<double>(&row[c])) {
                if (std::isfinite(*number)) {
                    check(worksheet_write_number(sheet, at, col, *number, formats[c]), where);
                    widths[c] = std::max<std::size_t>(widths[c], 12);
                }
            } else if (const std::string* text = std::get_if<std::string>(&row[c])) {
                check(worksheet_write_string(sheet, at, col, text->c_str(), nullptr), where);
                widths[c] = std::max(widths[c], text_width(*text));
            }
        }
    }
    auto at = static_cast<lxw_row_t>(table.rows.size() + 3);
    for (const std::string& line : table.notes)
        check(worksheet_write_string(sheet, at++, 0, line.c_str(), note), where);
    for (std::size_t c = 0; c < table.columns.size(); ++c) {
        const double width = table.columns[c].width > 0
                                 ? table.columns[c].width
                                 : std::clamp(static_cast<double>(widths[c]) + 2.0, 8.0, 48.0);
        check(worksheet_set_column(sheet, static_cast<lxw_col_t>(c), static_cast<lxw_col_t>(c), width, nullptr),
              where);
    }
    worksheet_freeze_panes(sheet, 2, 0);
}

}  // namespace

void write_workbook(const std::filesystem::path& path, const std::vector<Table>& tables) {
    const std::string file = path.string();
    const std::filesystem::path temporary = file + ".tmp-" + std::to_string(getpid());
    std::error_code ignored;
    try {
        Book book(temporary.string());
        if (!book.get()) throw RuntimeError("cannot start the workbook " + file);
        std::set<std::string> used;
        for (const Table& table : tables) write_sheet(book.get(), table, used, file);
        const lxw_error error = book.close();
        if (error != LXW_NO_ERROR)
            throw RuntimeError("cannot write the workbook " + file + " (" + lxw_strerror(error) +
                               "; no such directory, disk full, or no permission?)");
    } catch (...) {
        std::filesystem::remove(temporary, ignored);
        throw;
    }
    std::error_code error;
    std::filesystem::rename(temporary, path, error);
    if (error) {
        std::filesystem::remove(temporary, ignored);
        throw RuntimeError("cannot rename " + temporary.string() + " to " + file + ": " + error.message());
    }
}

}  // namespace ehcpsim
