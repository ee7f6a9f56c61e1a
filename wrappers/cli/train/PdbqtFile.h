#ifndef AFFINITY_TRAIN_PDBQT_FILE_H_
#define AFFINITY_TRAIN_PDBQT_FILE_H_

#include <limits>
#include <string>
#include <vector>

namespace AffinityTrain {

/** One MODEL of a PDBQT file. */
struct PdbqtModel {
    /** The atomic number of each ATOM/HETATM record, in file order. */
    std::vector<int> atomicNumbers;
    /** N×3 coordinates in nm (converted from the file's Å). */
    std::vector<double> positions;
    /** The score of a "REMARK VINA RESULT:" line in kcal/mol, NaN when the model has none. */
    double vinaScore = std::numeric_limits<double>::quiet_NaN();
};

/**
 * Read every model of a PDBQT file (AutoDock Vina's output: MODEL … ENDMDL blocks; a file
 * without MODEL lines is one model). Elements come from the AutoDock atom type at the end of
 * each ATOM/HETATM line (A → C, OA → O, HD → H, …).
 *
 * This small reader keeps affinity-train free of Open Babel; see README.md for reading other
 * formats through the rescoring tool's reader.
 *
 * @throws OpenMMException naming the file and line of anything it cannot read
 */
std::vector<PdbqtModel> readPdbqt(const std::string& path);

/** The atomic number of an AutoDock atom type or element symbol ("OA", "A", "Cl"), 0 if unknown. */
int atomicNumberOfAutoDockType(const std::string& type);

} // namespace AffinityTrain

#endif
