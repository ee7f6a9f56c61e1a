// SPDX-License-Identifier: MIT
#include "TargetTable.h"
#include "CsvTable.h"
#include "openmm/OpenMMException.h"
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>

using OpenMM::OpenMMException;
namespace fs = std::filesystem;
using AffinityCli::CsvTable;

namespace AffinityTrain {

namespace {

bool sameName(const std::string& a, const std::string& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
               return std::tolower(x) == std::tolower(y);
           });
}

/** The row as a LigandTarget: its ligand, target and columns. */
LigandTarget rowTarget(const CsvTable& table, const CsvTable::Row& row, int ligandColumn, int targetColumn) {
    LigandTarget target;
    target.line = row.line;
    target.ligand = CsvTable::field(row, ligandColumn);
    if (target.ligand.empty())
        throw OpenMMException(table.where(row) + ": the ligand name is empty");
    try {
        target.value = table.number(row, targetColumn);
    } catch (const OpenMMException&) {
        throw OpenMMException(table.where(row) + ": the target of ligand '" + target.ligand + "' is '" +
                              CsvTable::field(row, targetColumn) + "'; expected a finite number");
    }
    for (size_t c = 0; c < table.header().size(); c++)
        target.columns.emplace_back(table.header()[c], CsvTable::field(row, (int)c));
    return target;
}

} // namespace

bool LigandTarget::hasColumn(const std::string& name) const {
    for (const auto& entry : columns)
        if (sameName(entry.first, name))
            return true;
    return false;
}

std::string LigandTarget::column(const std::string& name) const {
    for (const auto& [key, value] : columns)
        if (sameName(key, name))
            return value;
    return "";
}

std::string LigandTarget::displayName() const {
    const std::string series = column("series");
    return series.empty() ? ligand : series + "/" + ligand;
}

std::vector<LigandTarget> readTargetTable(const std::string& path, const std::string& targetColumnName) {
    const CsvTable table = CsvTable::read(path, "the targets file");
    const int ligandColumn = table.requireColumn("ligand"), targetColumn = table.requireColumn(targetColumnName);
    std::vector<LigandTarget> targets;
    std::set<std::string> seen;
    for (const CsvTable::Row& row : table.rows()) {
        LigandTarget target = rowTarget(table, row, ligandColumn, targetColumn);
        if (!seen.insert(target.ligand).second)
            throw OpenMMException(table.where(row) + ": ligand '" + target.ligand + "' appears a second time");
        targets.push_back(std::move(target));
    }
    if (targets.empty())
        throw OpenMMException("affinity-train: the targets file " + path +
                              " holds no rows; expected a header 'ligand,target' and one row per ligand");
    return targets;
}

std::vector<LigandTarget> readManifest(const std::string& path, const std::string& subset,
                                       const std::string& targetColumnName) {
    const CsvTable table = CsvTable::read(path, "the manifest");
    const int ligandColumn = table.requireColumn("ligand"), targetColumn = table.requireColumn(targetColumnName);
    const int receptorColumn = table.requireColumn("receptor"), posesColumn = table.requireColumn("poses");
    const int splitColumn = subset.empty() ? -1 : table.requireColumn("split");
    const fs::path folder = fs::path(path).parent_path();
    auto resolve = [&](const CsvTable::Row& row, int column) {
        const std::string& text = CsvTable::field(row, column);
        if (text.empty())
            throw OpenMMException(table.where(row) + ": the " + table.header()[column] + " is empty; expected a file");
        const fs::path file = fs::path(text).is_absolute() ? fs::path(text) : folder / text;
        if (!fs::is_regular_file(file))
            throw OpenMMException(table.where(row) + ": the " + table.header()[column] + " file " + file.string() +
                                  " does not exist");
        return file.lexically_normal().string();
    };
    std::vector<LigandTarget> targets;
    std::set<std::string> seen;
    for (const CsvTable::Row& row : table.rows()) {
        if (splitColumn >= 0 && CsvTable::field(row, splitColumn) != subset)
            continue;
        LigandTarget target = rowTarget(table, row, ligandColumn, targetColumn);
        target.receptor = resolve(row, receptorColumn);
        target.poses = resolve(row, posesColumn);
        if (!seen.insert(target.poses + "\n" + target.displayName()).second)
            throw OpenMMException(table.where(row) + ": ligand '" + target.displayName() + "' of " + target.poses +
                                  " appears a second time");
        targets.push_back(std::move(target));
    }
    if (targets.empty())
        throw OpenMMException("affinity-train: the manifest " + path + " holds no rows" +
                              (subset.empty() ? std::string() : " whose split is '" + subset + "'") +
                              "; expected one row per ligand with ligand,receptor,poses,target");
    return targets;
}

} // namespace AffinityTrain
