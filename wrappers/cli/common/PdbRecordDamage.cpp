// SPDX-License-Identifier: MIT
// The structure of a PDB or PDBQT record: every ATOM/HETATM line holds its coordinates in
// columns 31-54, and a PDBQT ligand's torsion tree (ROOT ... ENDROOT, BRANCH ... ENDBRANCH,
// TORSDOF) is complete, which a record cut short or run into another is not.
#include "RecordDamage.h"

using namespace AffinityCli;

namespace {

bool coordinatesReadable(const std::string& line) {
    return line.size() >= 54 && isNumber(line.substr(30, 8)) && isNumber(line.substr(38, 8)) &&
           isNumber(line.substr(46, 8));
}

std::string keyword(const std::string& line) {
    const size_t end = line.find_first_of(" \t");
    return line.substr(0, end);
}

} // namespace

std::string AffinityCli::pdbRecordDamage(const std::vector<std::string>& lines, long long firstLine, bool pdbqt) {
    auto lineName = [&](size_t i) { return "line " + std::to_string(firstLine + (long long)i); };
    int roots = 0, rootEnds = 0, branches = 0, branchEnds = 0, torsdofs = 0;
    for (size_t i = 0; i < lines.size(); i++) {
        const std::string& line = lines[i];
        if (startsWith(line, "ATOM") || startsWith(line, "HETATM")) {
            if (!coordinatesReadable(line))
                return lineName(i) + " " + quotedLine(line) +
                       " is an atom line without coordinates in columns 31-54 (is it cut short?)";
            continue;
        }
        if (!pdbqt)
            continue;
        const std::string word = keyword(line);
        roots += word == "ROOT";
        rootEnds += word == "ENDROOT";
        branches += word == "BRANCH";
        branchEnds += word == "ENDBRANCH";
        torsdofs += word == "TORSDOF";
        if (branchEnds > branches)
            return lineName(i) + " ends a BRANCH that no BRANCH line opened";
    }
    if (roots + rootEnds + branches + torsdofs == 0)
        return ""; // not a ligand torsion tree: a receptor or a rigid PDBQT
    if (roots != 1 || rootEnds != 1 || branches != branchEnds || torsdofs != 1)
        return "its torsion tree is incomplete: " + std::to_string(roots) + " ROOT, " + std::to_string(rootEnds) +
               " ENDROOT, " + std::to_string(branches) + " BRANCH, " + std::to_string(branchEnds) + " ENDBRANCH and " +
               std::to_string(torsdofs) +
               " TORSDOF line(s); expected one ROOT, ENDROOT and TORSDOF, and an "
               "ENDBRANCH for each BRANCH (is the record cut short?)";
    return "";
}
