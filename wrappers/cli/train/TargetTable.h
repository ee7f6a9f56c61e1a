// SPDX-License-Identifier: MIT
#ifndef AFFINITY_TRAIN_TARGET_TABLE_H_
#define AFFINITY_TRAIN_TARGET_TABLE_H_

#include <string>
#include <utility>
#include <vector>

namespace AffinityTrain {

/** One row of a targets table or a manifest: a ligand, its target and where its poses are. */
struct LigandTarget {
    /** The ligand's name: its pose file's stem (targets table) or its records' title (manifest). */
    std::string ligand;
    /** The measured value, in the unit of the table's kind (kcal/mol for ΔG). */
    double value = 0.0;
    /** The line of the CSV it came from, for messages. */
    int line = 0;
    /** From a manifest: the receptor and pose files, resolved against the manifest's folder. */
    std::string receptor, poses;
    /** Every column of the row, by header name, for --group-by and --validation-by. */
    std::vector<std::pair<std::string, std::string>> columns;

    /** Whether the row's table has a column of this name (matched case-insensitively). */
    bool hasColumn(const std::string& name) const;
    /** The value of a column (matched case-insensitively), "" when the row has none. */
    std::string column(const std::string& name) const;
    /** The name in messages and outputs: "SERIES/LIGAND" when the row has a series, else the ligand. */
    std::string displayName() const;
};

/**
 * Read a CSV of per-ligand targets: a header with the columns "ligand" and the target
 * column ("target", or --target-column; in any order; other columns are kept for grouping), then one row per ligand
 * (CsvTable's rules: quoted fields, a byte-order mark and CRLF are fine).
 *
 * @throws OpenMMException naming the file, line and value for a missing column, a
 *         non-numeric or non-finite target, a repeated ligand, or a table without rows
 */
std::vector<LigandTarget> readTargetTable(const std::string& path, const std::string& targetColumn = "target");

/**
 * Read a training manifest: one row per ligand with the columns ligand (the title of its
 * records in the pose file), receptor (PDB, PDBQT or mmCIF), poses (SDF, PDBQT or MOL2,
 * optionally .gz; it may hold many ligands, each as consecutive records with its title) and
 * target (or the column targetColumn names), and optionally series, split and any others. Paths are relative to the
 * manifest's folder unless absolute.
 *
 * @param path    the manifest
 * @param subset  "" for every row, else only the rows whose split column equals it
 * @throws OpenMMException naming the file and line for a missing column or file, a bad
 *         target, a ligand named twice in one series, no rows, or a subset that no row has
 */
std::vector<LigandTarget> readManifest(const std::string& path, const std::string& subset,
                                       const std::string& targetColumn = "target");

} // namespace AffinityTrain

#endif
