// SPDX-License-Identifier: MIT
#include "ComplexCache.h"
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

namespace fs = std::filesystem;

namespace AffinityTrain {

namespace {

const char Magic[8] = {'A', 'F', 'C', 'P', 'L', 'X', '0', '1'};

/** A file's identity for the key: its absolute path, size and modification time. */
std::string fileIdentity(const std::string& path) {
    std::error_code error;
    const fs::path absolute = fs::absolute(path, error).lexically_normal();
    std::stringstream id;
    id << absolute.string() << "|" << fs::file_size(path, error) << "|"
       << fs::last_write_time(path, error).time_since_epoch().count();
    return id.str();
}

uint64_t fnv1a(const std::string& text) {
    uint64_t hash = 1469598103934665603ull;
    for (unsigned char c : text) {
        hash ^= c;
        hash *= 1099511628211ull;
    }
    return hash;
}

template <class T> void put(std::ostream& out, const T& value) {
    out.write(reinterpret_cast<const char*>(&value), sizeof(T));
}

void putString(std::ostream& out, const std::string& text) {
    put<uint64_t>(out, text.size());
    out.write(text.data(), (std::streamsize)text.size());
}

/** Reads what write() wrote, refusing anything that does not add up. */
class EntryReader {
public:
    explicit EntryReader(std::istream& in) : in(in) {}
    template <class T> T get() {
        T value;
        if (!in.read(reinterpret_cast<char*>(&value), sizeof(T)))
            throw std::runtime_error("it ends early");
        return value;
    }
    uint64_t count(uint64_t limit) {
        const uint64_t n = get<uint64_t>();
        if (n > limit)
            throw std::runtime_error("it holds a count of " + std::to_string(n) + ", more than any entry can");
        return n;
    }
    std::string string() {
        std::string text(count(1 << 20), '\0');
        if (!in.read(&text[0], (std::streamsize)text.size()))
            throw std::runtime_error("it ends early");
        return text;
    }
    template <class T> std::vector<T> vector(uint64_t n) {
        std::vector<T> values(n);
        if (n > 0 && !in.read(reinterpret_cast<char*>(values.data()), (std::streamsize)(n * sizeof(T))))
            throw std::runtime_error("it ends early");
        return values;
    }

private:
    std::istream& in;
};

std::vector<PoseFileLigand> readEntry(const std::string& file, const std::string& key) {
    std::ifstream in(file, std::ios::binary);
    EntryReader reader(in);
    char magic[8];
    if (!in.read(magic, 8) || !std::equal(magic, magic + 8, Magic))
        throw std::runtime_error("it is not a complex cache entry of this version");
    if (reader.string() != key)
        throw std::runtime_error("it was written for other files or settings");
    const uint64_t ligands = reader.count(1 << 24);
    std::vector<PoseFileLigand> result;
    for (uint64_t l = 0; l < ligands; l++) {
        const std::string title = reader.string();
        const int32_t firstRecord = reader.get<int32_t>(), pocketAtoms = reader.get<int32_t>();
        const uint64_t atoms = reader.count(1 << 24), poses = reader.count(1 << 24);
        if (pocketAtoms < 0 || (uint64_t)pocketAtoms >= atoms || poses == 0)
            throw std::runtime_error("ligand '" + title + "' has inconsistent counts");
        std::vector<int32_t> numbers = reader.vector<int32_t>(atoms);
        std::vector<uint8_t> mask = reader.vector<uint8_t>(atoms);
        std::vector<double> positions = reader.vector<double>(atoms * 3 * poses);
        std::vector<double> scores = reader.vector<double>(poses);
        for (int32_t z : numbers)
            if (z < 1 || z > 118)
                throw std::runtime_error("ligand '" + title + "' has atomic number " + std::to_string(z));
        for (double x : positions)
            if (!std::isfinite(x))
                throw std::runtime_error("ligand '" + title + "' has a non-finite coordinate");
        PoseFileLigand ligand(AffinityPlugin::PoseEnsemble(std::vector<int>(numbers.begin(), numbers.end()),
                                                           std::vector<bool>(mask.begin(), mask.end())));
        ligand.poses.addPoses(positions.data(), (int)poses);
        ligand.title = title;
        ligand.firstRecord = firstRecord;
        ligand.pocketAtoms = pocketAtoms;
        ligand.dockingScores = std::move(scores);
        result.push_back(std::move(ligand));
    }
    if (in.peek() != std::ifstream::traits_type::eof())
        throw std::runtime_error("it has bytes after its last ligand");
    return result;
}

void writeEntry(const std::string& file, const std::string& key, const std::vector<PoseFileLigand>& ligands) {
    const std::string temporary = file + ".tmp." + std::to_string(getpid());
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        out.write(Magic, 8);
        putString(out, key);
        put<uint64_t>(out, ligands.size());
        for (const PoseFileLigand& ligand : ligands) {
            putString(out, ligand.title);
            put<int32_t>(out, ligand.firstRecord);
            put<int32_t>(out, ligand.pocketAtoms);
            put<uint64_t>(out, (uint64_t)ligand.poses.getNumAtoms());
            put<uint64_t>(out, (uint64_t)ligand.poses.getNumPoses());
            for (int z : ligand.poses.getAtomicNumbers())
                put<int32_t>(out, z);
            for (bool m : ligand.poses.getLigandMask())
                put<uint8_t>(out, m ? 1 : 0);
            const std::vector<double>& positions = ligand.poses.getPositions();
            out.write(reinterpret_cast<const char*>(positions.data()),
                      (std::streamsize)(positions.size() * sizeof(double)));
            out.write(reinterpret_cast<const char*>(ligand.dockingScores.data()),
                      (std::streamsize)(ligand.dockingScores.size() * sizeof(double)));
        }
        if (!out.flush())
            throw std::runtime_error("cannot write " + temporary);
    }
    std::error_code error;
    fs::rename(temporary, file, error);
    if (error) {
        fs::remove(temporary, error);
        throw std::runtime_error("cannot rename " + temporary + " to " + file);
    }
}

} // namespace

ComplexCache::ComplexCache(std::string directory) : directory(std::move(directory)) {}

std::vector<PoseFileLigand> ComplexCache::complexes(const std::string& receptor, const std::string& poses,
                                                    const std::string& settings,
                                                    const std::function<std::vector<PoseFileLigand>()>& build,
                                                    std::ostream& notes) {
    if (directory.empty())
        return build();
    const std::string key = "receptor=" + fileIdentity(receptor) + "\nposes=" + fileIdentity(poses) + "\n" + settings;
    char name[32];
    std::snprintf(name, sizeof(name), "%016llx.complexes", (unsigned long long)fnv1a(key));
    const std::string file = (fs::path(directory) / name).string();
    if (fs::exists(file)) {
        try {
            return readEntry(file, key);
        } catch (const std::exception& e) {
            notes << "affinity-train: note: the cache entry " << file << " for " << poses << " is not used ("
                  << e.what() << "); it is built again\n";
        }
    }
    std::vector<PoseFileLigand> built = build();
    try {
        std::error_code error;
        fs::create_directories(directory, error);
        writeEntry(file, key, built);
    } catch (const std::exception& e) {
        notes << "affinity-train: note: the complexes of " << poses << " could not be cached: " << e.what() << "\n";
    }
    return built;
}

} // namespace AffinityTrain
