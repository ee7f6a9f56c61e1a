// SPDX-License-Identifier: MIT
#ifndef AFFINITY_CLI_TEXT_LINE_READER_H_
#define AFFINITY_CLI_TEXT_LINE_READER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace AffinityCli {

/** How a file's bytes are stored. */
enum class Compression {
    Plain,
    Gzip,
    /** gzip when the file starts with gzip's magic bytes (1f 8b), else plain: for stdin and pipes. */
    GzipIfMagic
};

/**
 * Reads a text file line by line, plain or gzip-compressed (decompressed with zlib here, so
 * that every stream error is seen: a corrupt block, a CRC or length mismatch, a stream cut
 * before its trailer, bytes after it that are not another gzip member).
 *
 * Lines are returned without their line end ("\n" or "\r\n") and at most maxLineBytes long:
 * the rest of a longer line is read and dropped, and the line is flagged, so that memory
 * stays bounded and no over-long line is ever handed on.
 *
 * A read error ends the file: next() returns false and error() says what happened. The path
 * "-" reads standard input (once: it cannot be read again).
 */
class TextLineReader {
public:
    /** @param gzipped  whether the file is gzip-compressed */
    TextLineReader(const std::string& path, bool gzipped, size_t maxLineBytes)
        : TextLineReader(path, gzipped ? Compression::Gzip : Compression::Plain, maxLineBytes) {}
    TextLineReader(const std::string& path, Compression compression, size_t maxLineBytes);
    ~TextLineReader();
    TextLineReader(const TextLineReader&) = delete;
    TextLineReader& operator=(const TextLineReader&) = delete;

    /** Whether the file could be opened; when not, error() says why. */
    bool isOpen() const {
        return descriptor >= 0;
    }
    /** Read the next line; false at the end of the file or on an error (then error() is set). */
    bool next(std::string& line);
    /** Whether the last line returned was longer than maxLineBytes (and so was cut). */
    bool lastLineTooLong() const {
        return tooLong;
    }
    /** The 1-based number of the last line returned. */
    long long lineNumber() const {
        return lines;
    }
    /** Why reading stopped before the end of the file, or "". */
    const std::string& error() const {
        return problem;
    }
    /** The bytes of the file consumed so far (compressed bytes, for gzip). */
    uint64_t bytesRead() const {
        return consumed;
    }

private:
    /** Refill `text` with the next bytes of the (decompressed) file; false at its end or on an error. */
    bool fill();
    bool fillGzip();
    void startInflating();
    /** For GzipIfMagic: read the first bytes and decide; false when the file ends or fails first. */
    bool detectCompression();

    int descriptor = -1;
    bool gzipped;
    bool undecided; // GzipIfMagic before the first bytes were read
    size_t maxLineBytes;
    std::string problem;
    uint64_t consumed = 0;
    long long lines = 0;
    bool tooLong = false, ended = false;
    std::vector<char> raw;  // bytes read from the file, not yet decompressed
    std::vector<char> text; // decompressed bytes not yet returned as lines
    size_t rawAt = 0, rawEnd = 0, textAt = 0, textEnd = 0;
    struct Inflater;
    std::unique_ptr<Inflater> inflater;
};

} // namespace AffinityCli

#endif
