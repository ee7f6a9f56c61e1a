#include "TargetTable.h"
#include "openmm/OpenMMException.h"
#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

using OpenMM::OpenMMException;

namespace AffinityTrain {

namespace {

std::string trim(const std::string& text) {
    size_t first = text.find_first_not_of(" \t\r");
    if (first == std::string::npos)
        return "";
    size_t last = text.find_last_not_of(" \t\r");
    return text.substr(first, last - first + 1);
}

std::vector<std::string> splitFields(const std::string& line) {
    std::vector<std::string> fields;
    std::stringstream stream(line);
    std::string field;
    while (std::getline(stream, field, ','))
        fields.push_back(trim(field));
    if (!line.empty() && line.back() == ',')
        fields.push_back("");
    return fields;
}

int findColumn(const std::vector<std::string>& header, const std::string& name) {
    for (size_t i = 0; i < header.size(); i++) {
        std::string lower = header[i];
        std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) { return (char) std::tolower(c); });
        if (lower == name)
            return (int) i;
    }
    return -1;
}

} // namespace

std::vector<LigandTarget> readTargetTable(const std::string& path) {
    std::ifstream in(path);
    if (!in)
        throw OpenMMException("affinity-train: cannot open the targets file " + path);
    std::vector<LigandTarget> targets;
    std::set<std::string> seen;
    std::vector<std::string> header;
    int ligandColumn = -1, targetColumn = -1;
    std::string line;
    int lineNumber = 0;
    while (std::getline(in, line)) {
        lineNumber++;
        std::string content = trim(line);
        if (content.empty() || content[0] == '#')
            continue;
        std::vector<std::string> fields = splitFields(content);
        std::string where = path + " line " + std::to_string(lineNumber);
        if (header.empty()) {
            header = fields;
            ligandColumn = findColumn(header, "ligand");
            targetColumn = findColumn(header, "target");
            if (ligandColumn < 0 || targetColumn < 0)
                throw OpenMMException(where + ": the header is '" + content +
                                      "'; expected the columns 'ligand' and 'target'");
            continue;
        }
        if ((int) fields.size() <= std::max(ligandColumn, targetColumn))
            throw OpenMMException(where + ": '" + content + "' has " + std::to_string(fields.size()) +
                                  " columns; expected " + std::to_string(header.size()) + " as in the header");
        LigandTarget target;
        target.ligand = fields[ligandColumn];
        target.line = lineNumber;
        if (target.ligand.empty())
            throw OpenMMException(where + ": the ligand name is empty");
        const std::string& text = fields[targetColumn];
        size_t used = 0;
        bool parsed = false;
        try {
            target.value = std::stod(text, &used);
            parsed = used == text.size();
        } catch (const std::exception&) {
        }
        if (!parsed || !std::isfinite(target.value))
            throw OpenMMException(where + ": the target of ligand '" + target.ligand + "' is '" + text +
                                  "'; expected a finite number");
        if (!seen.insert(target.ligand).second)
            throw OpenMMException(where + ": ligand '" + target.ligand + "' appears a second time");
        targets.push_back(target);
    }
    if (targets.empty())
        throw OpenMMException("affinity-train: the targets file " + path +
                              " holds no rows; expected a header 'ligand,target' and one row per ligand");
    return targets;
}

} // namespace AffinityTrain
