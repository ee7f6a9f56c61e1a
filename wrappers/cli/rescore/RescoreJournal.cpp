// SPDX-License-Identifier: MIT
#include "RescoreJournal.h"
#include "ContentDigest.h"
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <unistd.h>

using namespace AffinityRescore;

namespace {

const std::string Magic = "affinity-rescore journal 1\n";

// Fields as "LENGTH:BYTES", one after the other: any byte may be in a field.
std::string encodeFields(const std::vector<std::string>& fields) {
    std::string payload;
    for (const std::string& field : fields)
        payload += std::to_string(field.size()) + ":" + field;
    return payload;
}

bool decodeFields(const std::string& payload, std::vector<std::string>& fields) {
    fields.clear();
    size_t at = 0;
    while (at < payload.size()) {
        const size_t colon = payload.find(':', at);
        if (colon == std::string::npos || colon == at || colon - at > 19)
            return false;
        const unsigned long long length = std::strtoull(payload.substr(at, colon - at).c_str(), nullptr, 10);
        if (length > payload.size() - colon - 1)
            return false;
        fields.push_back(payload.substr(colon + 1, (size_t)length));
        at = colon + 1 + (size_t)length;
    }
    return true;
}

std::string digestOf(const std::string& payload) {
    ContentDigest digest;
    digest.add(payload.data(), payload.size());
    return digest.hex();
}

// Read one framed record; false at the end of the file or at a record that is not whole and
// intact (the tail a killed process left).
bool readRecord(std::istream& in, std::vector<std::string>& fields) {
    std::string frame;
    if (!std::getline(in, frame) || in.eof())
        return false;
    char digest[17] = {};
    unsigned long long length = 0;
    if (std::sscanf(frame.c_str(), "record %llu %16s", &length, digest) != 2 || length > (1ull << 34))
        return false;
    std::string payload((size_t)length, '\0');
    if (!in.read(&payload[0], (std::streamsize)length) || in.get() != '\n')
        return false;
    return digestOf(payload) == digest && decodeFields(payload, fields);
}

std::string shown(const std::string& value) {
    return value.size() > 200 ? "'" + value.substr(0, 200) + "...'" : "'" + value + "'";
}

} // namespace

RescoreJournal::RescoreJournal(const std::string& path, const Identity& identity) : file(path) {
    descriptor = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0666);
    if (descriptor < 0)
        throw std::runtime_error("the journal " + path + " cannot be created: " + std::strerror(errno));
    if (::write(descriptor, Magic.data(), Magic.size()) != (ssize_t)Magic.size())
        throw std::runtime_error("the journal " + path + " cannot be written: " + std::strerror(errno));
    std::vector<std::string> fields;
    for (const auto& [name, value] : identity) {
        fields.push_back(name);
        fields.push_back(value);
    }
    writeRecord(fields);
}

RescoreJournal RescoreJournal::resume(const std::string& path, const Identity& identity) {
    RescoreJournal journal;
    journal.file = path;
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("--resume: the journal " + path + " cannot be opened: " + std::strerror(errno));
    std::string magic(Magic.size(), '\0');
    std::vector<std::string> fields;
    if (!in.read(&magic[0], (std::streamsize)magic.size()) || magic != Magic || !readRecord(in, fields) ||
        fields.size() % 2 != 0)
        throw std::runtime_error("--resume: " + path + " is not an affinity-rescore journal");
    Identity written;
    for (size_t i = 0; i + 1 < fields.size(); i += 2)
        written.emplace_back(fields[i], fields[i + 1]);
    for (const auto& [name, value] : identity) {
        std::string before = "(none)";
        for (const auto& [writtenName, writtenValue] : written)
            if (writtenName == name)
                before = shown(writtenValue);
        if (before != shown(value))
            throw std::runtime_error("--resume: the journal " + path + " is of another run: its " + name + " is " +
                                     before + ", this run's is " + shown(value) +
                                     "; resume with the same inputs, options and model, or remove the journal to "
                                     "start afresh");
    }
    // The ligands: whole records up to the first torn one, which is cut off.
    std::streamoff end = in.tellg();
    while (readRecord(in, fields)) {
        journal.doneCount++;
        end = in.tellg();
    }
    in.clear();
    in.seekg(0, std::ios::end);
    journal.tornRecord = in.tellg() != end;
    in.close();
    if (journal.tornRecord && truncate(path.c_str(), (off_t)end) != 0)
        throw std::runtime_error("--resume: cannot cut the torn last record off the journal " + path + ": " +
                                 std::strerror(errno));
    journal.replay.open(path, std::ios::binary);
    journal.replay.seekg(0);
    journal.replay.read(&magic[0], (std::streamsize)magic.size());
    readRecord(journal.replay, fields);
    journal.openForAppend();
    return journal;
}

RescoreJournal::RescoreJournal(RescoreJournal&& other) noexcept
    : file(std::move(other.file)), descriptor(other.descriptor), replay(std::move(other.replay)),
      doneCount(other.doneCount), replayed(other.replayed), tornRecord(other.tornRecord) {
    other.descriptor = -1;
}

RescoreJournal::~RescoreJournal() {
    if (descriptor >= 0)
        close(descriptor);
}

void RescoreJournal::openForAppend() {
    descriptor = open(file.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (descriptor < 0)
        throw std::runtime_error("the journal " + file + " cannot be written: " + std::strerror(errno));
}

bool RescoreJournal::nextDone(LigandOutcome& outcome) {
    if (replayed >= doneCount)
        return false;
    std::vector<std::string> fields;
    if (!readRecord(replay, fields))
        throw std::runtime_error("the journal " + file + " changed while it was read");
    outcome = LigandOutcome::fromFields(fields);
    replayed++;
    return true;
}

void RescoreJournal::writeRecord(const std::vector<std::string>& fields) {
    const std::string payload = encodeFields(fields);
    const std::string record =
        "record " + std::to_string(payload.size()) + " " + digestOf(payload) + "\n" + payload + "\n";
    // One write() per record: O_APPEND puts it at the end whole, or (disk full) in part, which
    // the digest then shows.
    size_t done = 0;
    while (done < record.size()) {
        const ssize_t written = ::write(descriptor, record.data() + done, record.size() - done);
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0)
            throw std::runtime_error("the journal " + file +
                                     " cannot be written: " + std::strerror(written < 0 ? errno : EIO));
        done += (size_t)written;
    }
}

void RescoreJournal::append(const LigandOutcome& outcome) {
    writeRecord(outcome.toFields());
}

void RescoreJournal::remove() {
    if (descriptor >= 0)
        close(descriptor);
    descriptor = -1;
    replay.close();
    ::unlink(file.c_str());
}
