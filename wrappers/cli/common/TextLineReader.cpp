// SPDX-License-Identifier: MIT
#include "TextLineReader.h"
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

using namespace AffinityCli;

namespace {
constexpr size_t ChunkBytes = 1 << 16;

/**
 * read(2) rather than fread: on a pipe or FIFO (a docking program writing into the tool) it
 * returns what has arrived instead of waiting for a whole chunk, so each ligand is scored as
 * soon as its records are in. -1 on an error (errno set), 0 at the end.
 */
ssize_t readSome(int descriptor, char* into, size_t bytes) {
    ssize_t got;
    do
        got = ::read(descriptor, into, bytes);
    while (got < 0 && errno == EINTR);
    return got;
}
} // namespace

/** A zlib inflate stream, and whether it stands between gzip members. */
struct TextLineReader::Inflater {
    z_stream stream;
    bool betweenMembers = false;
    long long members = 0;
    Inflater() {
        std::memset(&stream, 0, sizeof(stream));
    }
    ~Inflater() {
        inflateEnd(&stream);
    }
};

TextLineReader::TextLineReader(const std::string& path, Compression compression, size_t maxLineBytes)
    : gzipped(compression == Compression::Gzip), undecided(compression == Compression::GzipIfMagic),
      maxLineBytes(maxLineBytes), raw(ChunkBytes), text(ChunkBytes) {
    // "-" is standard input, duplicated so that closing this reader leaves descriptor 0 alone.
    descriptor = path == "-" ? ::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0) : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (descriptor < 0) {
        problem = (path == "-" ? "cannot read standard input: " : "cannot open the file: ") +
                  std::string(std::strerror(errno));
        return;
    }
    if (gzipped)
        startInflating();
}

void TextLineReader::startInflating() {
    inflater = std::make_unique<Inflater>();
    // 16 + MAX_WBITS: a gzip header and trailer (CRC-32 and length) around the deflate data.
    if (inflateInit2(&inflater->stream, 16 + MAX_WBITS) != Z_OK) {
        problem = "zlib cannot start decompressing";
        ended = true;
    }
}

bool TextLineReader::detectCompression() {
    undecided = false;
    rawAt = rawEnd = 0;
    while (rawEnd < 2) {
        const ssize_t got = readSome(descriptor, raw.data() + rawEnd, raw.size() - rawEnd);
        if (got < 0) {
            ended = true;
            problem = "reading the file failed: " + std::string(std::strerror(errno));
            return false;
        }
        if (got == 0)
            break;
        rawEnd += (size_t)got;
        consumed += (uint64_t)got;
    }
    if (rawEnd >= 2 && (unsigned char)raw[0] == 0x1f && (unsigned char)raw[1] == 0x8b) {
        // gzip's magic bytes: the bytes read are the start of the stream fillGzip inflates.
        gzipped = true;
        startInflating();
        return !ended;
    }
    // Plain text: the bytes read are the first text.
    std::memcpy(text.data(), raw.data(), rawEnd);
    textAt = 0;
    textEnd = rawEnd;
    rawAt = rawEnd = 0;
    if (textEnd == 0)
        ended = true;
    return textEnd > 0;
}

TextLineReader::~TextLineReader() {
    if (descriptor >= 0)
        ::close(descriptor);
}

bool TextLineReader::fill() {
    if (ended)
        return false;
    if (undecided && (!detectCompression() || !gzipped))
        return textEnd > textAt;
    if (gzipped)
        return fillGzip();
    const ssize_t got = readSome(descriptor, text.data(), text.size());
    textAt = 0;
    textEnd = got > 0 ? (size_t)got : 0;
    consumed += textEnd;
    if (got <= 0) {
        ended = true;
        if (got < 0)
            problem = "reading the file failed: " + std::string(std::strerror(errno));
        return false;
    }
    return true;
}

bool TextLineReader::fillGzip() {
    z_stream& z = inflater->stream;
    textAt = textEnd = 0;
    while (textEnd == 0) {
        if (rawAt == rawEnd) {
            const ssize_t got = readSome(descriptor, raw.data(), raw.size());
            rawEnd = got > 0 ? (size_t)got : 0;
            rawAt = 0;
            consumed += rawEnd;
            if (got <= 0) {
                ended = true;
                if (got < 0)
                    problem = "reading the file failed: " + std::string(std::strerror(errno));
                else if (!inflater->betweenMembers)
                    problem = inflater->members == 0 && z.total_in == 0
                                  ? "the gzip file holds no data"
                                  : "the gzip stream is cut short (it ends without its trailer; the file "
                                    "is truncated)";
                return false;
            }
        }
        if (inflater->betweenMembers) {
            // After a complete member, only another gzip member may follow.
            // Zero padding after the last member (as tape and some writers leave) is ignored, as gzip does.
            const unsigned char first = (unsigned char)raw[rawAt];
            if (first == 0) {
                rawAt++;
                continue;
            }
            if (first != 0x1f) {
                ended = true;
                problem = "bytes that are not gzip data follow the gzip stream (after " +
                          std::to_string(inflater->members) + " member(s))";
                return false;
            }
            inflateReset(&z);
            inflater->betweenMembers = false;
        }
        z.next_in = reinterpret_cast<Bytef*>(raw.data() + rawAt);
        z.avail_in = (uInt)(rawEnd - rawAt);
        z.next_out = reinterpret_cast<Bytef*>(text.data());
        z.avail_out = (uInt)text.size();
        const int rc = inflate(&z, Z_NO_FLUSH);
        rawAt = rawEnd - z.avail_in;
        textEnd = text.size() - z.avail_out;
        if (rc == Z_STREAM_END) {
            inflater->members++;
            inflater->betweenMembers = true;
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            // Z_DATA_ERROR covers a bad header, corrupt data and a CRC or length mismatch
            // ("incorrect data check", "incorrect length check").
            ended = true;
            problem = "the gzip stream is damaged (zlib: " + std::string(z.msg != nullptr ? z.msg : zError(rc)) +
                      ", after " + std::to_string(z.total_out) + " decompressed bytes)";
            return textEnd > 0;
        }
    }
    return true;
}

bool TextLineReader::next(std::string& line) {
    line.clear();
    tooLong = false;
    bool any = false;
    for (;;) {
        if (textAt == textEnd && !fill()) {
            if (textAt == textEnd) {
                // A last line without a line end is still a line; an error after it is reported
                // by the next call, so that the line's record can be checked first.
                if (!any)
                    return false;
                break;
            }
        }
        any = true;
        const char* start = text.data() + textAt;
        const char* newline = static_cast<const char*>(std::memchr(start, '\n', textEnd - textAt));
        const size_t length = newline != nullptr ? size_t(newline - start) : textEnd - textAt;
        const size_t room = line.size() < maxLineBytes ? maxLineBytes - line.size() : 0;
        if (length > room)
            tooLong = true;
        line.append(start, length < room ? length : room);
        textAt += length;
        if (newline != nullptr) {
            textAt++;
            break;
        }
    }
    if (!line.empty() && line.back() == '\r')
        line.pop_back();
    lines++;
    return true;
}
