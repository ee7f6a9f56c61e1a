// SPDX-License-Identifier: MIT
#include "LigandEvaluation.h"
#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace AffinityRescore {

namespace {

// Host byte order: the ranks of one run share the machine kind.
template <typename T> void put(std::string& out, T value) {
    out.append(reinterpret_cast<const char*>(&value), sizeof(T));
}

void putText(std::string& out, const std::string& text) {
    put<uint64_t>(out, text.size());
    out += text;
}

class ByteReader {
public:
    explicit ByteReader(const std::string& bytes) : bytes(bytes) {}
    bool done() const {
        return at == bytes.size();
    }
    template <typename T> T get() {
        need(sizeof(T));
        T value;
        std::memcpy(&value, bytes.data() + at, sizeof(T));
        at += sizeof(T);
        return value;
    }
    std::string text() {
        const uint64_t size = get<uint64_t>();
        need(size);
        std::string value = bytes.substr(at, size);
        at += size;
        return value;
    }

private:
    void need(uint64_t size) const {
        if (bytes.size() - at < size)
            throw std::runtime_error("the ligand results from another rank end early (" + std::to_string(bytes.size()) +
                                     " bytes)");
    }
    const std::string& bytes;
    size_t at = 0;
};

} // namespace

std::string encodeEvaluations(const std::vector<LigandEvaluation>& evaluations) {
    std::string out;
    for (const LigandEvaluation& o : evaluations) {
        putText(out, o.problem);
        put<int32_t>(out, o.pocketAtoms);
        put<uint64_t>(out, o.energiesKJ.size());
        for (double e : o.energiesKJ)
            put<double>(out, e);
        putText(out, o.domain.ligand);
        putText(out, o.domain.warning);
        put<uint64_t>(out, o.domain.pose.size());
        for (const std::string& flags : o.domain.pose)
            putText(out, flags);
    }
    return out;
}

void decodeEvaluations(const std::string& bytes, std::vector<LigandEvaluation>& evaluations) {
    ByteReader in(bytes);
    while (!in.done()) {
        LigandEvaluation o;
        o.problem = in.text();
        o.pocketAtoms = in.get<int32_t>();
        o.energiesKJ.resize(in.get<uint64_t>());
        for (double& e : o.energiesKJ)
            e = in.get<double>();
        o.domain.ligand = in.text();
        o.domain.warning = in.text();
        o.domain.pose.resize(in.get<uint64_t>());
        for (std::string& flags : o.domain.pose)
            flags = in.text();
        evaluations.push_back(std::move(o));
    }
}

} // namespace AffinityRescore
