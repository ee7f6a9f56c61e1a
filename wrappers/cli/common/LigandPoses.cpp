// SPDX-License-Identifier: MIT
#include "LigandPoses.h"
#include "ElementSymbol.h"
#include <sstream>

using namespace AffinityCli;

std::string LigandPoses::topologyMismatch() const {
    if (poses.empty())
        return "";
    const std::vector<int>& first = poses[0].atomicNumbers;
    for (size_t p = 1; p < poses.size(); p++) {
        const std::vector<int>& other = poses[p].atomicNumbers;
        std::stringstream msg;
        if (other.size() != first.size()) {
            msg << "pose " << p + 1 << " (record " << firstRecord + (int)p << ") has " << other.size()
                << " atoms; expected " << first.size() << ", as pose 1 has";
            return msg.str();
        }
        for (size_t i = 0; i < first.size(); i++)
            if (other[i] != first[i]) {
                msg << "pose " << p + 1 << " (record " << firstRecord + (int)p << ") has " << elementSymbol(other[i])
                    << " as atom " << i + 1 << "; expected " << elementSymbol(first[i])
                    << ", as in pose 1 (all poses of a ligand need the same atoms in the same order)";
                return msg.str();
            }
    }
    return "";
}
