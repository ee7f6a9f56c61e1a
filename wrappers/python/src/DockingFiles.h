// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_PYTHON_DOCKING_FILES_H_
#define OPENMM_AFFINITY_PYTHON_DOCKING_FILES_H_

// The docking-file readers of affinity-rescore and affinity-train (wrappers/cli/common), for
// Python: the receptor atoms, the pose atoms and the pocket complexes those tools give a model,
// built by their code, so that a Python pipeline and the tools see the same atoms. Open Babel
// stays behind the readers' own headers; only DockingFiles.cpp calls them.

#include "LigandPoses.h"
#include "PoseEnsemble.h"
#include "PoseReader.h"
#include "Receptor.h"
#include <memory>
#include <string>
#include <vector>

namespace AffinityPython {

/** The atoms of a receptor file, as the tools read it (AffinityCli::Receptor::read). */
class ReceptorAtoms {
public:
    /**
     * @param path            a PDB, PDBQT or mmCIF file (optionally .gz)
     * @param atomConvention  "heavy-atoms" (every atom but hydrogen) or "as-read"
     * @throws OpenMMException naming the file and the problem
     */
    ReceptorAtoms(const std::string& path, const std::string& atomConvention);
    std::string getSource() const;
    std::vector<int> getAtomicNumbers() const;
    /** N×3 coordinates in nm, atom-major. */
    std::vector<double> getPositions() const;
#ifndef SWIG
    const AffinityCli::Receptor& atoms() const {
        return receptor;
    }

private:
    AffinityCli::Receptor receptor;
#endif
};

/** One ligand of a pose file: the consecutive records that share a title. */
class LigandPoseRecords {
public:
    std::string getName() const;
    std::string getSource() const;
    /** The 1-based index of the ligand's first record in its file; 0 for a problem with the whole file. */
    int getFirstRecord() const;
    int getNumPoses() const;
    int getNumAtoms() const;
    /** The atomic number of each atom of the first pose, in file order. */
    std::vector<int> getAtomicNumbers() const;
    /** P×N×3 coordinates in nm, pose-major. */
    std::vector<double> getPositions() const;
    /** The docking program's score of each pose in kcal/mol, NaN where a record carries none. */
    std::vector<double> getDockingScores() const;
    /** Why the tools would skip this ligand (what affinity-rescore reports), or "". */
    std::string getProblem() const;
#ifndef SWIG
    explicit LigandPoseRecords(AffinityCli::LigandPoses ligand) : ligand(std::move(ligand)) {}
    const AffinityCli::LigandPoses& poses() const {
        return ligand;
    }

private:
    AffinityCli::LigandPoses ligand;
#endif
};

/** Reads a pose file one ligand at a time, as the tools do (AffinityCli::PoseReader). */
class PoseFileReader {
public:
    /**
     * @param path            an SDF, PDBQT, MOL2 or other Open Babel file (optionally .gz)
     * @param atomConvention  "heavy-atoms" or "as-read"
     */
    PoseFileReader(const std::string& path, const std::string& atomConvention);
    /** The next ligand, or null when the file holds no more; problems are reported in the ligand. */
    LigandPoseRecords* next();
#ifndef SWIG
private:
    std::shared_ptr<AffinityCli::PoseReader> reader;
#endif
};

/**
 * A ligand's poses as the complexes the tools score: the receptor atoms within a cutoff of
 * any atom of any pose (AffinityCli::PocketSelector), in receptor order, then the ligand's
 * atoms (AffinityCli::pocketComplexPoses).
 */
class PocketComplexArrays {
public:
    /**
     * @param cutoff  the pocket radius in nm, > 0
     * @throws OpenMMException for a ligand with a problem, no poses, or a cutoff that is not positive
     */
    PocketComplexArrays(const ReceptorAtoms& receptor, const LigandPoseRecords& ligand, double cutoff);
    /** The indices, in the receptor, of the pocket's atoms, ascending. */
    std::vector<int> getPocketAtoms() const;
    std::vector<int> getAtomicNumbers() const;
    std::vector<bool> getLigandMask() const;
    int getNumPoses() const;
    /** P×M×3 coordinates in nm, pose-major. */
    std::vector<double> getPositions() const;
#ifndef SWIG
private:
    std::vector<int> pocket;
    std::shared_ptr<AffinityPlugin::PoseEnsemble> complex;
#endif
};

} // namespace AffinityPython

#endif
