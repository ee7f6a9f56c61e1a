// SPDX-License-Identifier: MIT
#include "CsvTable.h"
#include "openmm/OpenMMException.h"
#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <sstream>

using OpenMM::OpenMMException;

namespace AffinityCli {

namespace {

std::string trim(const std::string& text) {
    const size_t first = text.find_first_not_of(" \t");
    if (first == std::string::npos)
        return "";
    return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return (char)std::tolower(c); });
    return text;
}

/** Split the whole text into records of fields; a record remembers the line it starts on. */
std::vector<CsvTable::Row> parseRecords(const std::string& text, const std::string& path) {
    std::vector<CsvTable::Row> records;
    CsvTable::Row record;
    std::string field;
    bool quoted = false, wasQuoted = false, atRecordStart = true;
    int line = 1, quoteLine = 0;
    record.line = 1;
    auto endField = [&]() {
        record.fields.push_back(wasQuoted ? field : trim(field));
        field.clear();
        wasQuoted = false;
    };
    auto endRecord = [&]() {
        endField();
        const bool blank = record.fields.size() == 1 && record.fields[0].empty();
        const bool comment = !record.fields.empty() && !record.fields[0].empty() && record.fields[0][0] == '#';
        if (!blank && !comment)
            records.push_back(record);
        record = CsvTable::Row();
        record.line = line;
        atRecordStart = true;
    };
    for (size_t i = 0; i < text.size(); i++) {
        const char c = text[i];
        if (quoted) {
            if (c == '"') {
                if (i + 1 < text.size() && text[i + 1] == '"') {
                    field += '"';
                    i++;
                } else
                    quoted = false;
            } else {
                if (c == '\n')
                    line++;
                field += c;
            }
            continue;
        }
        if (c == '"' && trim(field).empty()) {
            quoted = wasQuoted = true;
            quoteLine = line;
            field.clear();
        } else if (c == ',') {
            endField();
        } else if (c == '\n') {
            line++;
            endRecord();
        } else if (c == '\r') {
            if (!(i + 1 < text.size() && text[i + 1] == '\n'))
                field += c;
        } else {
            // A comment line is kept whole, commas included, and dropped at its end.
            if (atRecordStart && c == '#' && record.fields.empty() && field.empty()) {
                while (i + 1 < text.size() && text[i + 1] != '\n')
                    i++;
                field = "#";
                continue;
            }
            field += c;
        }
        atRecordStart = false;
    }
    if (quoted)
        throw OpenMMException(path + " line " + std::to_string(quoteLine) +
                              ": a quoted field is not closed; expected a closing '\"'");
    if (!field.empty() || !record.fields.empty())
        endRecord();
    return records;
}

} // namespace

CsvTable CsvTable::read(const std::string& path, const std::string& what) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw OpenMMException("cannot open " + what + " " + path);
    std::stringstream contents;
    contents << in.rdbuf();
    std::string text = contents.str();
    if (text.compare(0, 3, "\xEF\xBB\xBF") == 0)
        text.erase(0, 3);
    CsvTable table;
    table.path = path;
    std::vector<Row> records = parseRecords(text, path);
    if (records.empty())
        throw OpenMMException(what + " " + path + " is empty; expected a header line and rows");
    table.names = records.front().fields;
    for (size_t r = 1; r < records.size(); r++) {
        if (records[r].fields.size() > table.names.size())
            throw OpenMMException(table.where(records[r]) + ": the row has " +
                                  std::to_string(records[r].fields.size()) + " fields; expected at most " +
                                  std::to_string(table.names.size()) + ", as in the header");
        table.data.push_back(std::move(records[r]));
    }
    return table;
}

int CsvTable::column(const std::string& name) const {
    for (size_t i = 0; i < names.size(); i++)
        if (lower(names[i]) == lower(name))
            return (int)i;
    return -1;
}

int CsvTable::requireColumn(const std::string& name) const {
    const int index = column(name);
    if (index < 0) {
        std::string header;
        for (const std::string& n : names)
            header += (header.empty() ? "" : ",") + n;
        throw OpenMMException(path + ": the header is '" + header + "'; expected a column '" + name + "'");
    }
    return index;
}

std::string CsvTable::quoted(const std::string& text) {
    if (text.find_first_of(",\"\r\n") == std::string::npos)
        return text;
    std::string quoted = "\"";
    for (char c : text) {
        if (c == '"')
            quoted += '"';
        quoted += c;
    }
    return quoted + "\"";
}

const std::string& CsvTable::field(const Row& row, int column) {
    static const std::string empty;
    return column >= 0 && column < (int)row.fields.size() ? row.fields[column] : empty;
}

std::string CsvTable::where(const Row& row) const {
    return path + " line " + std::to_string(row.line);
}

double CsvTable::number(const Row& row, int column) const {
    const std::string& text = field(row, column);
    size_t used = 0;
    double value = std::nan("");
    try {
        value = std::stod(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (text.empty() || used != text.size() || !std::isfinite(value))
        throw OpenMMException(where(row) + ": the " + names[column] + " is '" + text + "'; expected a finite number");
    return value;
}

} // namespace AffinityCli
