// SPDX-License-Identifier: MIT
#include "TextRecord.h"
#include "RecordDamage.h"
#include <cstdlib>

using namespace AffinityCli;

RecordLayout AffinityCli::recordLayoutFor(const std::string& extension) {
    if (extension == "sdf" || extension == "sd")
        return RecordLayout::Sdf;
    if (extension == "mol" || extension == "mdl")
        return RecordLayout::Mol;
    if (extension == "mol2" || extension == "ml2")
        return RecordLayout::Mol2;
    if (extension == "pdbqt")
        return RecordLayout::Pdbqt;
    if (extension == "pdb" || extension == "ent")
        return RecordLayout::Pdb;
    return RecordLayout::WholeFile;
}

bool AffinityCli::isNumber(const std::string& field) {
    const std::string number = trimmed(field);
    char* end = nullptr;
    std::strtod(number.c_str(), &end);
    return !number.empty() && *end == '\0';
}

std::string AffinityCli::trimmed(const std::string& line) {
    const size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos)
        return "";
    return line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
}

std::string AffinityCli::quotedLine(const std::string& line) {
    // Damaged input can hold any bytes; a message shows them as '?'.
    std::string shown = line.size() > 60 ? line.substr(0, 57) + "..." : line;
    for (char& c : shown)
        if ((unsigned char)c < 32 || (unsigned char)c > 126)
            c = '?';
    return "'" + shown + "'";
}
