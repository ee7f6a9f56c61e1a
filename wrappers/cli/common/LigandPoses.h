// SPDX-License-Identifier: MIT
#ifndef AFFINITY_CLI_LIGAND_POSES_H_
#define AFFINITY_CLI_LIGAND_POSES_H_

#include <limits>
#include <string>
#include <vector>

namespace AffinityCli {

/**
 * The SD tag of a pose's docking score in kcal/mol, in affinity-rescore's scored SDF whatever
 * format the pose came in; read back as a docking score when such a file is rescored.
 */
constexpr const char* DockingScoreTag = "docking_score_kcal_mol";

/** One record of a pose file: one pose of a ligand, as the file holds it. */
struct PoseRecord {
    /** The atomic number of each atom, in file order. */
    std::vector<int> atomicNumbers;
    /** N×3 coordinates in nm (converted from the file's Å). */
    std::vector<double> positions;
    /**
     * The docking program's score in kcal/mol (Vina's REMARK VINA RESULT, an SD tag
     * minimizedAffinity or docking_score_kcal_mol), NaN when the record carries none.
     */
    double dockingScore = std::numeric_limits<double>::quiet_NaN();
    /**
     * The record as an SDF block (molfile and data items, without the "$$$$" line), when asked
     * for: Open Babel's molfile; an SDF record's data items as its file has them, other
     * formats' those Open Babel reads (a PDBQT's MODEL, REMARK and TORSDOF).
     */
    std::string sdfBlock;
    /**
     * Why this record cannot be scored (damaged, unparsable, an atom with no element, a
     * coordinate out of range), or "". The ligand it belongs to is skipped; the rest of the
     * file is read on.
     */
    std::string problem;
};

/**
 * The poses of one ligand: the consecutive records of one file that share a title. When the
 * ligand cannot be scored from what was read, problem says why and the ligand is skipped.
 */
struct LigandPoses {
    /** The records' title, or the file's name without extensions when they have none. */
    std::string name;
    /** The file the poses came from. */
    std::string source;
    /** The 1-based index, within the file, of the ligand's first record; 0 for a problem with the whole file. */
    int firstRecord = 1;
    std::vector<PoseRecord> poses;
    /** Empty when the poses were read; otherwise the reason the ligand is skipped. */
    std::string problem;

    int numLigandAtoms() const {
        return poses.empty() ? 0 : (int)poses[0].atomicNumbers.size();
    }
    /**
     * Describe the first pose that disagrees with the first pose in atom count or element
     * order (a fixed topology is what lets the model score all poses as one complex), or
     * return "" when all agree.
     */
    std::string topologyMismatch() const;
};

} // namespace AffinityCli

#endif
