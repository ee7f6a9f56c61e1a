// SPDX-License-Identifier: MIT
#include "internal/ZipRecords.h"
#include <cstdint>
#include <stdexcept>
#include <zlib.h>

using namespace AffinityPlugin;

namespace {

const uint32_t EndOfCentralDirectory = 0x06054b50, Zip64EndLocator = 0x07064b50, Zip64End = 0x06064b50,
               CentralEntry = 0x02014b50, LocalHeader = 0x04034b50;

/** Little-endian fields of the archive, every read checked against its end. */
class ByteReader {
public:
    explicit ByteReader(const std::string& b) : bytes(b) {}
    uint64_t field(uint64_t offset, int size) const {
        if (offset > bytes.size() || (uint64_t)size > bytes.size() - offset)
            throw std::runtime_error("a zip structure at byte " + std::to_string(offset) +
                                     " lies past the end of the file (" + std::to_string(bytes.size()) + " bytes)");
        uint64_t value = 0;
        for (int i = size - 1; i >= 0; i--)
            value = value << 8 | (unsigned char)bytes[offset + i];
        return value;
    }
    std::string text(uint64_t offset, uint64_t size) const {
        (void)field(offset, 0);
        if (size > bytes.size() - offset)
            throw std::runtime_error("a zip record of " + std::to_string(size) + " bytes at byte " +
                                     std::to_string(offset) + " lies past the end of the file (" +
                                     std::to_string(bytes.size()) + " bytes)");
        return bytes.substr(offset, size);
    }
    uint64_t size() const {
        return bytes.size();
    }

private:
    const std::string& bytes;
};

uint64_t findEndOfCentralDirectory(const ByteReader& in) {
    // The end record (22 bytes) is followed only by its comment, of at most 65535 bytes.
    if (in.size() < 22)
        throw std::runtime_error("the file has " + std::to_string(in.size()) + " bytes, too few for a zip archive");
    const uint64_t last = in.size() - 22, first = last > 65535 ? last - 65535 : 0;
    for (uint64_t at = last + 1; at-- > first;)
        if (in.field(at, 4) == EndOfCentralDirectory && at + 22 + in.field(at + 20, 2) == in.size())
            return at;
    throw std::runtime_error("no zip end-of-central-directory record (not a zip archive, or cut short)");
}

std::string inflateRecord(const std::string& compressed, uint64_t expectedSize, const std::string& name) {
    std::string out(expectedSize, '\0');
    z_stream stream{};
    if (inflateInit2(&stream, -MAX_WBITS) != Z_OK)
        throw std::runtime_error("cannot start zlib to read record " + name);
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
    stream.avail_in = (uInt)compressed.size();
    stream.next_out = reinterpret_cast<Bytef*>(out.data());
    stream.avail_out = (uInt)out.size();
    const int status = inflate(&stream, Z_FINISH);
    const uint64_t produced = stream.total_out;
    inflateEnd(&stream);
    if (status != Z_STREAM_END || produced != expectedSize)
        throw std::runtime_error("record " + name + " does not inflate to its " + std::to_string(expectedSize) +
                                 " bytes (its deflate stream is damaged)");
    return out;
}

/** Sizes and offset of a central directory entry, from its zip64 extra field where they overflow. */
void readZip64Fields(const ByteReader& in, uint64_t extra, uint64_t extraSize, uint64_t& uncompressed,
                     uint64_t& compressed, uint64_t& offset) {
    for (uint64_t at = extra; at + 4 <= extra + extraSize;) {
        const uint64_t id = in.field(at, 2), size = in.field(at + 2, 2);
        if (id == 1) {
            uint64_t field = at + 4;
            for (uint64_t* value : {&uncompressed, &compressed, &offset})
                if (*value == 0xffffffff) {
                    if (field + 8 > at + 4 + size)
                        throw std::runtime_error("a zip64 extra field is shorter than its entry needs");
                    *value = in.field(field, 8);
                    field += 8;
                }
            return;
        }
        at += 4 + size;
    }
}

} // namespace

ZipRecords::ZipRecords(const std::string& archive) {
    const ByteReader in(archive);
    const uint64_t end = findEndOfCentralDirectory(in);
    uint64_t entries = in.field(end + 10, 2), directorySize = in.field(end + 12, 4), directory = in.field(end + 16, 4);
    if (entries == 0xffff || directorySize == 0xffffffff || directory == 0xffffffff) {
        if (end < 20 || in.field(end - 20, 4) != Zip64EndLocator)
            throw std::runtime_error("the zip end record asks for zip64 fields, but there is no zip64 locator");
        const uint64_t end64 = in.field(end - 20 + 8, 8);
        if (in.field(end64, 4) != Zip64End)
            throw std::runtime_error("no zip64 end-of-central-directory record at byte " + std::to_string(end64));
        entries = in.field(end64 + 32, 8);
        directorySize = in.field(end64 + 40, 8);
        directory = in.field(end64 + 48, 8);
    }
    if (directory > end || directorySize > end - directory)
        throw std::runtime_error("the zip central directory (" + std::to_string(directorySize) + " bytes at byte " +
                                 std::to_string(directory) + ") does not lie before its end record");
    uint64_t at = directory;
    // Each record's data must lie before the next one's local header: overlapping records would
    // let one damaged length make two names read the same bytes.
    std::map<uint64_t, uint64_t> spans;
    for (uint64_t i = 0; i < entries; i++) {
        if (in.field(at, 4) != CentralEntry)
            throw std::runtime_error("zip central directory entry " + std::to_string(i + 1) + " of " +
                                     std::to_string(entries) + " is damaged (no signature at byte " +
                                     std::to_string(at) + ")");
        const uint64_t flags = in.field(at + 8, 2), method = in.field(at + 10, 2), crc = in.field(at + 16, 4);
        uint64_t compressed = in.field(at + 20, 4), uncompressed = in.field(at + 24, 4);
        const uint64_t nameSize = in.field(at + 28, 2), extraSize = in.field(at + 30, 2),
                       commentSize = in.field(at + 32, 2);
        uint64_t local = in.field(at + 42, 4);
        const std::string name = in.text(at + 46, nameSize);
        readZip64Fields(in, at + 46 + nameSize, extraSize, uncompressed, compressed, local);
        at += 46 + nameSize + extraSize + commentSize;
        if (at > directory + directorySize)
            throw std::runtime_error("the zip central directory runs past its stated size");
        if (flags & 1)
            throw std::runtime_error("record " + name + " is encrypted");
        if (method != 0 && method != 8)
            throw std::runtime_error("record " + name + " uses zip compression method " + std::to_string(method) +
                                     "; expected 0 (stored) or 8 (deflate)");
        if (in.field(local, 4) != LocalHeader || in.text(local + 30, in.field(local + 26, 2)) != name)
            throw std::runtime_error("the local header of record " + name + " (byte " + std::to_string(local) +
                                     ") is damaged or names another record");
        const uint64_t data = local + 30 + in.field(local + 26, 2) + in.field(local + 28, 2);
        if (data > directory || compressed > directory - data)
            throw std::runtime_error("record " + name + " (" + std::to_string(compressed) + " bytes at byte " +
                                     std::to_string(data) + ") runs into the central directory");
        spans[local] = data + compressed;
        std::string contents = in.text(data, compressed);
        if (method == 8)
            contents = inflateRecord(contents, uncompressed, name);
        else if (compressed != uncompressed)
            throw std::runtime_error("stored record " + name + " has " + std::to_string(compressed) +
                                     " bytes but states " + std::to_string(uncompressed));
        const uint64_t actual =
            crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(contents.data()), (uInt)contents.size());
        if (actual != crc)
            throw std::runtime_error("record " + name + " is damaged: its CRC-32 is " + std::to_string(actual) +
                                     "; the zip directory expects " + std::to_string(crc));
        if (!records.emplace(name, std::move(contents)).second)
            throw std::runtime_error("the zip archive holds two records named " + name);
    }
    if (at != directory + directorySize)
        throw std::runtime_error("the zip central directory holds more than its " + std::to_string(entries) +
                                 " entries");
    uint64_t previousEnd = 0;
    for (const auto& [start, stop] : spans) {
        if (start < previousEnd)
            throw std::runtime_error("two zip records overlap at byte " + std::to_string(start));
        previousEnd = stop;
    }
}
