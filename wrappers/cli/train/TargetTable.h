#ifndef AFFINITY_TRAIN_TARGET_TABLE_H_
#define AFFINITY_TRAIN_TARGET_TABLE_H_

#include <string>
#include <vector>

namespace AffinityTrain {

/** One row of a targets CSV. */
struct LigandTarget {
    std::string ligand;
    /** The measured value, in the unit of the table's kind (kcal/mol for ΔG). */
    double value = 0.0;
    /** The line of the CSV it came from, for messages. */
    int line = 0;
};

/**
 * Read a CSV of per-ligand targets: a header line with the columns "ligand" and "target"
 * (in any order, other columns ignored), then one row per ligand. Blank lines and lines that
 * start with '#' are skipped.
 *
 * @throws OpenMMException naming the file, line and value for a missing column, a
 *         non-numeric or non-finite target, a repeated ligand, or a table without rows
 */
std::vector<LigandTarget> readTargetTable(const std::string& path);

} // namespace AffinityTrain

#endif
