// SPDX-License-Identifier: MIT
#include "OutputFile.h"
#include "PendingTemporaryFiles.h"
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <streambuf>
#include <sys/stat.h>
#include <unistd.h>

using namespace AffinityCli;

namespace {

// Follow a chain of symbolic links to the path that would be written, even when the last
// link dangles (realpath would fail there). Relative links are taken from their own folder.
std::string finalTarget(const std::string& path) {
    std::string current = path;
    for (int hops = 0; hops < 40; hops++) {
        struct stat info;
        if (lstat(current.c_str(), &info) != 0 || !S_ISLNK(info.st_mode))
            return current;
        std::vector<char> link(4096);
        const ssize_t length = readlink(current.c_str(), link.data(), link.size() - 1);
        if (length < 0)
            return current;
        const std::string destination(link.data(), (size_t)length);
        const size_t slash = current.find_last_of('/');
        current = destination[0] == '/' || slash == std::string::npos ? destination
                                                                      : current.substr(0, slash + 1) + destination;
    }
    throw std::runtime_error("too many levels of symbolic links");
}

std::string temporaryPathFor(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    const std::string folder = slash == std::string::npos ? "" : path.substr(0, slash + 1);
    const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    return folder + "." + name + ".partial-" + std::to_string(getpid());
}

} // namespace

/** A stream buffer over a file descriptor that keeps its first write error and drops what follows. */
class OutputFile::DescriptorBuffer : public std::streambuf {
public:
    explicit DescriptorBuffer(int descriptor) : descriptor(descriptor), space(1 << 16) {
        setp(space.data(), space.data() + space.size());
    }
    int error = 0;
    int flush() {
        const char* from = pbase();
        size_t left = (size_t)(pptr() - pbase());
        while (left > 0 && error == 0) {
            const ssize_t written = ::write(descriptor, from, left);
            if (written < 0 && errno == EINTR)
                continue;
            if (written <= 0) {
                error = written < 0 ? errno : EIO;
                break;
            }
            from += written;
            left -= (size_t)written;
        }
        setp(space.data(), space.data() + space.size());
        return error == 0 ? 0 : -1;
    }

protected:
    int_type overflow(int_type c) override {
        flush();
        if (!traits_type::eq_int_type(c, traits_type::eof())) {
            *pptr() = traits_type::to_char_type(c);
            pbump(1);
        }
        return traits_type::not_eof(c);
    }
    int sync() override {
        flush();
        return 0;
    }

private:
    int descriptor;
    std::vector<char> space;
};

OutputFile::OutputFile(const std::string& path, const std::string& label, Dash dash) : given(path), label(label) {
    if (dash == Dash::StandardOutput && path == "-") {
        standardOutput = true;
        target = path;
        openAnonymousTemporary();
        buffer = std::make_unique<DescriptorBuffer>(descriptor);
        out = std::make_unique<std::ostream>(buffer.get());
        return;
    }
    try {
        target = finalTarget(path);
    } catch (const std::exception& e) {
        fail(e.what(), 0);
    }
    struct stat info;
    const bool exists = stat(target.c_str(), &info) == 0;
    if (exists && S_ISDIR(info.st_mode))
        fail("it is a folder; expected a file", 0);
    throughDevice = exists && !S_ISREG(info.st_mode);
    if (throughDevice) {
        descriptor = open(target.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
        if (descriptor < 0)
            fail("cannot open it for writing", errno);
    } else {
        temporary = temporaryPathFor(target);
        slot = PendingTemporaryFiles::add(temporary);
        // Created exclusively: a leftover of an earlier process with this id is removed first.
        unlink(temporary.c_str());
        descriptor = open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (descriptor < 0) {
            const int error = errno;
            PendingTemporaryFiles::release(slot);
            slot = -1;
            fail("cannot create the temporary file " + temporary, error);
        }
        if (exists)
            fchmod(descriptor, info.st_mode & 07777); // the replacement keeps the file's permissions
    }
    buffer = std::make_unique<DescriptorBuffer>(descriptor);
    out = std::make_unique<std::ostream>(buffer.get());
}

OutputFile::~OutputFile() {
    if (descriptor >= 0)
        close(descriptor);
    if (!temporary.empty() && !committed)
        unlink(temporary.c_str());
    PendingTemporaryFiles::release(slot);
}

void OutputFile::openAnonymousTemporary() {
    const char* variable = std::getenv("TMPDIR");
    const std::string folder = variable != nullptr && *variable != '\0' ? variable : "/tmp";
    // A file with no name (O_TMPFILE): it disappears with the process, however that ends. Where
    // the file system cannot make one, a named file removed at once.
    descriptor = open(folder.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (descriptor < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
        std::string name = folder + "/.affinity-output-XXXXXX";
        descriptor = mkostemp(name.data(), O_CLOEXEC);
        if (descriptor >= 0)
            unlink(name.c_str());
    }
    if (descriptor < 0)
        fail("cannot create a temporary file in " + folder + " (TMPDIR) to hold it until the run ends", errno);
}

void OutputFile::copyToStandardOutput() {
    std::fflush(stdout); // whatever the program printed there comes first
    if (lseek(descriptor, 0, SEEK_SET) != 0)
        fail("cannot read back its temporary file", errno);
    std::vector<char> block(1 << 16);
    for (;;) {
        const ssize_t got = ::read(descriptor, block.data(), block.size());
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            fail("cannot read back its temporary file", errno);
        if (got == 0)
            return;
        for (ssize_t done = 0; done < got;) {
            const ssize_t written = ::write(STDOUT_FILENO, block.data() + done, (size_t)(got - done));
            if (written < 0 && errno == EINTR)
                continue;
            if (written <= 0)
                fail("cannot write to standard output", written < 0 ? errno : EIO);
            done += written;
        }
    }
}

std::ostream& OutputFile::stream() {
    return *out;
}

std::string OutputFile::describe() const {
    std::string name = label.empty() ? "output " + given : label + " " + given;
    if (standardOutput)
        name += " (standard output)";
    if (target != given)
        name += " (-> " + target + ")";
    return name;
}

void OutputFile::fail(const std::string& what, int error) const {
    throw std::runtime_error(describe() + ": " + what + (error ? std::string(": ") + std::strerror(error) : ""));
}

void OutputFile::check() {
    if (buffer && buffer->error)
        fail("cannot write", buffer->error);
}

void OutputFile::prepare() {
    if (prepared)
        return;
    out->flush();
    buffer->flush();
    check();
    if (standardOutput) { // kept open: commit() reads it back
        prepared = true;
        return;
    }
    // A device has nothing to sync (and /dev/null refuses fsync); a file must be on the disk
    // before it replaces the earlier one.
    if (!throughDevice && fsync(descriptor) != 0)
        fail("cannot sync " + temporary + " to the disk", errno);
    const int closed = close(descriptor);
    descriptor = -1;
    if (closed != 0)
        fail("cannot close " + (throughDevice ? target : temporary), errno);
    prepared = true;
}

void OutputFile::commit() {
    prepare();
    if (standardOutput && !committed) {
        copyToStandardOutput();
        close(descriptor);
        descriptor = -1;
    }
    if (committed || throughDevice || standardOutput) {
        committed = true;
        return;
    }
    if (std::rename(temporary.c_str(), target.c_str()) != 0)
        fail("cannot rename " + temporary + " to it", errno);
    committed = true;
    PendingTemporaryFiles::release(slot);
    slot = -1;
}

void AffinityCli::commitTogether(const std::vector<OutputFile*>& outputs) {
    for (OutputFile* output : outputs)
        output->prepare();
    // Standard output first, and with the signals free: a reader that stalls it can still be
    // interrupted, and a failure there replaces no file.
    std::string done;
    for (OutputFile* output : outputs)
        if (output->toStandardOutput()) {
            try {
                output->commit();
            } catch (const std::exception& e) {
                throw std::runtime_error(std::string(e.what()) + "; no output file was replaced");
            }
            done += " " + output->path() + " (standard output)";
        }
    PendingTemporaryFiles::SignalBlock block;
    for (OutputFile* output : outputs) {
        if (output->toStandardOutput())
            continue;
        try {
            output->commit();
        } catch (const std::exception& e) {
            throw std::runtime_error(std::string(e.what()) +
                                     (done.empty()
                                          ? "; no output was replaced"
                                          : "; already in place:" + done + "; the others keep their earlier content"));
        }
        done += " " + output->path();
    }
}
