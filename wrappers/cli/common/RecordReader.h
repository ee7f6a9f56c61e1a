// SPDX-License-Identifier: MIT
#ifndef AFFINITY_CLI_RECORD_READER_H_
#define AFFINITY_CLI_RECORD_READER_H_

#include "TextLineReader.h"
#include "TextRecord.h"
#include <string>
#include <vector>

namespace AffinityCli {

/**
 * Splits a molecule file (plain or gzip) into records by its layout, one at a time, so that
 * Open Babel is given one bounded record and never the file: SDF records end with "$$$$",
 * MOL2 records start with "@<TRIPOS>MOLECULE", PDB and PDBQT records end with ENDMDL (or
 * END), a MODEL line opening one.
 *
 * A record that breaks a limit (a line over MaxLineBytes, the record over maxRecordBytes),
 * whose structure disagrees with itself (RecordDamage.h), or that the file ends inside, is
 * returned with its damage set; the records after it are read on, since the boundaries are
 * found here and not by the parser that failed. A stream error (a damaged or truncated gzip
 * stream, a read error) ends the file: the record being read, or an empty record if none
 * was, carries it as damage, and next() returns false after it.
 */
class RecordReader {
public:
    RecordReader(const std::string& path, bool gzipped, RecordLayout layout, size_t maxRecordBytes)
        : RecordReader(path, gzipped ? Compression::Gzip : Compression::Plain, layout, maxRecordBytes) {}
    /** The path "-" reads standard input (TextLineReader). */
    RecordReader(const std::string& path, Compression compression, RecordLayout layout, size_t maxRecordBytes);
    /** Whether the file could be opened; when not, openError() says why. */
    bool isOpen() const {
        return lines.isOpen();
    }
    const std::string& openError() const {
        return lines.error();
    }
    /** Read the next record; false when the file holds no more. */
    bool next(TextRecord& record);
    /** The bytes of the file consumed so far (compressed bytes, for gzip). */
    uint64_t bytesRead() const {
        return lines.bytesRead();
    }
    /** How many lines the file has given so far. */
    long long linesRead() const {
        return lines.lineNumber();
    }

private:
    /** Take the next line into `line` (the one held back first); false at the end. */
    bool nextLine(std::string& line, long long& number);
    /** Add a line to the record being read, within the limits. */
    void add(const std::string& line, long long number);
    /** The layout's structural check and the record's own title. */
    void finishRecord(TextRecord& record, bool complete);

    TextLineReader lines;
    RecordLayout layout;
    size_t maxRecordBytes;
    bool finished = false;
    int records = 0;
    // The line that begins the next record (MOL2, PDB), read while ending this one.
    bool haveHeldLine = false;
    std::string heldLine;
    long long heldNumber = 0;
    // The record being read.
    std::vector<std::string> recordLines;
    long long firstLine = 0;
    size_t recordBytes = 0;
    std::string damage;
};

} // namespace AffinityCli

#endif
