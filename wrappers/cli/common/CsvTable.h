// SPDX-License-Identifier: MIT
#ifndef AFFINITY_CLI_CSV_TABLE_H_
#define AFFINITY_CLI_CSV_TABLE_H_

#include <string>
#include <vector>

namespace AffinityCli {

/**
 * A CSV file read whole, as spreadsheets and the tools' own outputs write it (RFC 4180):
 * fields separated by commas, a field in double quotes may hold commas, line breaks and
 * doubled quotes; an optional UTF-8 byte-order mark; LF or CRLF line ends. Unquoted fields
 * are trimmed of spaces. Blank lines and lines that start with '#' are skipped. The first
 * line that is left is the header. Every CSV the tools write (affinity-rescore's --out,
 * affinity-train's --predictions and --log) reads back through it.
 */
class CsvTable {
public:
    /** One data row: its fields and the line of the file it starts on. */
    struct Row {
        std::vector<std::string> fields;
        int line = 0;
    };

    /**
     * @param path  the file
     * @param what  what the file is, for messages ("the targets file")
     * @throws OpenMMException naming the file for one that cannot be opened, has no header, an
     *         unterminated quote, or a row with more fields than the header
     */
    static CsvTable read(const std::string& path, const std::string& what);
    /** The index of a column by name (case-insensitive), or -1. */
    int column(const std::string& name) const;
    /** The index of a column, or an OpenMMException that names the file, the header and the column. */
    int requireColumn(const std::string& name) const;
    const std::vector<std::string>& header() const {
        return names;
    }
    const std::vector<Row>& rows() const {
        return data;
    }
    /** A row's field in a column ("" where the row is short or the column is -1). */
    static const std::string& field(const Row& row, int column);
    /** "FILE line N", for messages about a row. */
    std::string where(const Row& row) const;
    /**
     * A row's field as a finite number.
     *
     * @throws OpenMMException naming the file, line, column and text otherwise
     */
    double number(const Row& row, int column) const;
    /**
     * A field as RFC 4180 writes it: as it is, or in double quotes (quotes doubled) when it
     * holds a comma, a quote or a line break, so that read gives it back.
     */
    static std::string quoted(const std::string& text);
    const std::string& getPath() const {
        return path;
    }

private:
    std::string path;
    std::vector<std::string> names;
    std::vector<Row> data;
};

} // namespace AffinityCli

#endif
