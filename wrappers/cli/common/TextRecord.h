// SPDX-License-Identifier: MIT
#ifndef AFFINITY_CLI_TEXT_RECORD_H_
#define AFFINITY_CLI_TEXT_RECORD_H_

#include <string>

namespace AffinityCli {

/** How a file's lines form molecule records. */
enum class RecordLayout {
    Sdf,      // records end with a "$$$$" line (.sdf, .sd); a .mol file is one record without it
    Mol,      // one molfile, no "$$$$" needed
    Mol2,     // records start with "@<TRIPOS>MOLECULE"
    Pdb,      // records end with ENDMDL or END; MODEL opens one
    Pdbqt,    // as PDB, and a ligand's ROOT/BRANCH torsion tree must be complete
    WholeFile // formats not split here: the whole file is one record
};

/** The layout of a file extension ("sdf", "mol2", "pdbqt"; without ".gz"). */
RecordLayout recordLayoutFor(const std::string& extension);

/** One molecule record of a file as its text, before Open Babel parses it. */
struct TextRecord {
    /** The 1-based index of the record in the file. */
    int index = 0;
    /** The line number of its first line. */
    long long firstLine = 0;
    /** Its lines, each ending in "\n" (a "\r" before it dropped). */
    std::string text;
    /** The title the record's own lines give (SDF first line, MOL2 name, PDBQT "REMARK Name ="). */
    std::string title;
    /** Whether title was found; not for layouts without one, nor for a record cut before it. */
    bool titleKnown = false;
    /** Why the record cannot be trusted (cut short, inconsistent, over a limit), or "". */
    std::string damage;
};

} // namespace AffinityCli

#endif
