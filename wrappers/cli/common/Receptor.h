// SPDX-License-Identifier: MIT
#ifndef AFFINITY_CLI_RECEPTOR_H_
#define AFFINITY_CLI_RECEPTOR_H_

#include "AtomConvention.h"
#include <string>
#include <vector>

namespace AffinityCli {

/** The atoms of a receptor, held fixed while ligands are rescored. */
struct Receptor {
    std::string source;
    /** The atomic number of each atom, in file order. */
    std::vector<int> atomicNumbers;
    /** N×3 coordinates in nm. */
    std::vector<double> positions;

    int numAtoms() const {
        return (int)atomicNumbers.size();
    }
    /**
     * Read the first structure of a receptor file (PDB, PDBQT, mmCIF; optionally .gz): split
     * from the file and checked by RecordReader (limits of InputLimits.h, cut short, gzip
     * stream errors), then parsed by Open Babel without perceiving bonds (only elements and
     * coordinates are used), keeping the atoms the convention keeps (by default every atom but
     * hydrogen).
     *
     * @throws std::runtime_error naming the file and the problem: missing, unreadable, damaged,
     *         no atoms, coordinates not finite or beyond MaxCoordinateAngstrom
     */
    static Receptor read(const std::string& path, AtomConvention convention);
};

} // namespace AffinityCli

#endif
