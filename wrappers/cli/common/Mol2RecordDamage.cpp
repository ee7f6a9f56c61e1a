// SPDX-License-Identifier: MIT
// The structure of a MOL2 record: the MOLECULE section's atom and bond counts against the
// ATOM and BOND sections, each section once, bonds between atoms that exist. A record cut
// inside its atoms or bonds, or two records run together, shows here.
#include "RecordDamage.h"
#include <cstdlib>
#include <map>
#include <sstream>

using namespace AffinityCli;

namespace {

std::vector<std::string> words(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> result;
    std::string word;
    while (in >> word)
        result.push_back(word);
    return result;
}

bool isCount(const std::string& word, long& value) {
    if (word.empty() || word.find_first_not_of("0123456789") != std::string::npos)
        return false;
    value = std::strtol(word.c_str(), nullptr, 10);
    return true;
}

} // namespace

std::string AffinityCli::mol2RecordDamage(const std::vector<std::string>& lines, long long firstLine) {
    auto lineName = [&](size_t i) { return "line " + std::to_string(firstLine + (long long)i); };
    std::map<std::string, size_t> sectionLine;
    std::string section;
    long atoms = -1, bonds = -1, atomLines = 0, bondLines = 0, moleculeLines = 0;
    for (size_t i = 0; i < lines.size(); i++) {
        const std::string& line = lines[i];
        if (startsWith(line, "@<TRIPOS>")) {
            section = trimmed(line.substr(9));
            if (sectionLine.count(section))
                return lineName(i) + " starts a second " + section + " section (the first is on " +
                       lineName(sectionLine[section]) + "); two records may have run together";
            sectionLine[section] = i;
            continue;
        }
        const std::vector<std::string> fields = words(line);
        if (fields.empty() || fields[0][0] == '#')
            continue;
        if (section == "MOLECULE") {
            // The name, then "num_atoms [num_bonds [num_subst ...]]".
            if (++moleculeLines == 2) {
                if (!isCount(fields[0], atoms) || (fields.size() > 1 && !isCount(fields[1], bonds)))
                    return lineName(i) + " " + quotedLine(line) + " does not give the molecule's atom and bond counts";
            }
        } else if (section == "ATOM") {
            if (fields.size() < 6 || !isNumber(fields[2]) || !isNumber(fields[3]) || !isNumber(fields[4]))
                return lineName(i) + " " + quotedLine(line) +
                       " is not an atom line (id, name, x, y, z, type); is the record cut short?";
            atomLines++;
        } else if (section == "BOND") {
            long from = 0, to = 0;
            if (fields.size() < 4 || !isCount(fields[1], from) || !isCount(fields[2], to))
                return lineName(i) + " " + quotedLine(line) +
                       " is not a bond line (id, atom, atom, type); is the record cut short?";
            if (from < 1 || from > atoms || to < 1 || to > atoms)
                return lineName(i) + " bonds atoms " + std::to_string(from) + " and " + std::to_string(to) +
                       "; expected atoms 1-" + std::to_string(atoms) + ", as the MOLECULE section gives";
            bondLines++;
        }
    }
    if (atoms < 0)
        return "its MOLECULE section has no atom count line (is the record cut short?)";
    if (atomLines != atoms)
        return "its MOLECULE section gives " + std::to_string(atoms) + " atoms, but its ATOM section holds " +
               std::to_string(atomLines) + " atom lines (is the record cut short?)";
    if (bonds >= 0 && bondLines != bonds)
        return "its MOLECULE section gives " + std::to_string(bonds) + " bonds, but its BOND section holds " +
               std::to_string(bondLines) + " bond lines (is the record cut short?)";
    return "";
}
