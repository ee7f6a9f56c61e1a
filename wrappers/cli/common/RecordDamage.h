// SPDX-License-Identifier: MIT
#ifndef AFFINITY_CLI_RECORD_DAMAGE_H_
#define AFFINITY_CLI_RECORD_DAMAGE_H_

// Checks of one record's structure against what its own lines declare, made before Open
// Babel sees it: Open Babel reads what it can and says nothing about what is missing (an SDF
// counts line that overflows its field, a MOL2 record cut inside its atoms), so a damaged
// record would otherwise be scored with atoms lost. Each returns "" for a sound record or
// what is wrong, naming the line (numbers are the file's, from firstLine).

#include <string>
#include <vector>

namespace AffinityCli {

/** An SDF (molfile V2000 or V3000) record: counts against the atom and bond blocks, M  END, data items, $$$$. */
std::string sdfRecordDamage(const std::vector<std::string>& lines, long long firstLine, bool needsTerminator);
/** A MOL2 record: the MOLECULE section's counts against its ATOM and BOND sections. */
std::string mol2RecordDamage(const std::vector<std::string>& lines, long long firstLine);
/** A PDB or PDBQT record: atom lines with coordinates; for PDBQT a complete torsion tree where there is one. */
std::string pdbRecordDamage(const std::vector<std::string>& lines, long long firstLine, bool pdbqt);

/** Whether a line begins with a keyword (a record name, "@<TRIPOS>ATOM"), ignoring nothing. */
inline bool startsWith(const std::string& line, const char* keyword) {
    return line.compare(0, std::char_traits<char>::length(keyword), keyword) == 0;
}
/** Whether a field (blanks around it allowed) is one number, as strtod reads it. */
bool isNumber(const std::string& field);
/** The line with surrounding blanks removed. */
std::string trimmed(const std::string& line);
/** A line quoted for a message, shortened past 60 characters. */
std::string quotedLine(const std::string& line);

} // namespace AffinityCli

#endif
