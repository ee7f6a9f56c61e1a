// SPDX-License-Identifier: MIT
// The structure of an SDF record (CTfile molfile and data items): the counts line's atom and
// bond counts against the blocks that follow, the properties block up to "M  END", the data
// items, and the "$$$$" that ends the record. A counts field that overflows (more than 999
// atoms in V2000's three columns), a cut, or two records run together all show here.
#include "RecordDamage.h"
#include <algorithm>
#include <cstdlib>
#include <sstream>

using namespace AffinityCli;

namespace {

/** An integer in a fixed-width field of blanks and digits; false when it is not one. */
bool fieldInteger(const std::string& line, size_t start, size_t width, long& value) {
    if (line.size() <= start)
        return false;
    const std::string field = trimmed(line.substr(start, width));
    if (field.empty() || field.find_first_not_of("0123456789") != std::string::npos)
        return false;
    value = std::strtol(field.c_str(), nullptr, 10);
    return true;
}

/** Whether a V2000 atom line holds three numbers in its x, y and z fields and an element. */
bool isAtomLine(const std::string& line) {
    if (line.size() < 34)
        return false;
    return isNumber(line.substr(0, 10)) && isNumber(line.substr(10, 10)) && isNumber(line.substr(20, 10)) &&
           !trimmed(line.substr(31, 3)).empty();
}

class SdfCheck {
public:
    SdfCheck(const std::vector<std::string>& lines, long long firstLine) : lines(lines), firstLine(firstLine) {}

    std::string damage(bool needsTerminator) {
        if (lines.size() < 4)
            return "the record ends after " + std::to_string(lines.size()) + " line(s), before its counts line";
        size_t at = 4;
        std::string found = lines[3].find("V3000") != std::string::npos ? v3000(at) : v2000(at);
        if (!found.empty())
            return found;
        found = dataItems(at);
        if (!found.empty())
            return found;
        if (needsTerminator && (at >= lines.size() || !startsWith(lines[at], "$$$$")))
            return "the file ends inside this record, without its $$$$ line (is the file cut short?)";
        return "";
    }

private:
    std::string lineName(size_t i) const {
        return "line " + std::to_string(firstLine + (long long)i);
    }

    std::string v2000(size_t& at) {
        long atoms = 0, bonds = 0;
        if (!fieldInteger(lines[3], 0, 3, atoms) || !fieldInteger(lines[3], 3, 3, bonds))
            return "its counts line (" + lineName(3) + ") " + quotedLine(lines[3]) +
                   " does not begin with atom and bond counts in two 3-column fields";
        std::stringstream says;
        says << "the counts line (" << lineName(3) << ") gives " << atoms << " atoms and " << bonds << " bonds";
        for (long a = 0; a < atoms; a++, at++)
            if (at >= lines.size() || !isAtomLine(lines[at]))
                return says.str() + ", but " +
                       (at >= lines.size() ? "the record ends"
                                           : lineName(at) + " " + quotedLine(lines[at]) + " is not an atom line") +
                       " after " + std::to_string(a) + " atom lines";
        for (long b = 0; b < bonds; b++, at++) {
            long first = 0, second = 0;
            if (at >= lines.size() || !fieldInteger(lines[at], 0, 3, first) || !fieldInteger(lines[at], 3, 3, second))
                return says.str() + ", but " +
                       (at >= lines.size() ? "the record ends"
                                           : lineName(at) + " " + quotedLine(lines[at]) + " is not a bond line") +
                       " after " + std::to_string(b) + " bond lines";
            if (first < 1 || first > atoms || second < 1 || second > atoms)
                return lineName(at) + " bonds atoms " + std::to_string(first) + " and " + std::to_string(second) +
                       "; expected atoms 1-" + std::to_string(atoms) + ", as the counts line gives";
        }
        return propertiesBlock(at, says.str());
    }

    std::string propertiesBlock(size_t& at, const std::string& says) {
        for (; at < lines.size(); at++) {
            const std::string& line = lines[at];
            if (startsWith(line, "M  END")) {
                at++;
                return "";
            }
            if (startsWith(line, "A  ") || startsWith(line, "G  "))
                at++; // an atom alias or group abbreviation: its text is on the next line
            else if (!startsWith(line, "M  ") && !startsWith(line, "V  ") && !startsWith(line, "S  SKP")) {
                std::string message = lineName(at) + " " + quotedLine(line) + " follows the atom and bond blocks (" +
                                      says + ") but is neither a property line nor M  END";
                if (isAtomLine(line))
                    message += "; it is an atom line, so the counts line gives too few atoms (its 3-column "
                               "field holds at most 999)";
                return message;
            }
        }
        return "the record has no M  END line (is it cut short?)";
    }

    std::string v3000(size_t& at) {
        // Count the lines of the atom and bond blocks against "M  V30 COUNTS na nb".
        long atoms = -1, bonds = -1, atomLines = 0, bondLines = 0;
        enum { Outside, InAtoms, InBonds } block = Outside;
        bool continued = false;
        for (; at < lines.size(); at++) {
            const std::string& line = lines[at];
            if (startsWith(line, "M  END"))
                break;
            const bool continuation = continued;
            continued = !line.empty() && line.back() == '-';
            if (!startsWith(line, "M  V30 ") || continuation)
                continue;
            const std::string body = trimmed(line.substr(7));
            if (startsWith(body, "COUNTS")) {
                std::istringstream words(body.substr(6));
                words >> atoms >> bonds;
            } else if (body == "BEGIN ATOM") {
                block = InAtoms;
            } else if (body == "BEGIN BOND") {
                block = InBonds;
            } else if (startsWith(body, "END ")) {
                block = Outside;
            } else if (block == InAtoms) {
                atomLines++;
            } else if (block == InBonds) {
                bondLines++;
            }
        }
        if (at >= lines.size())
            return "the record has no M  END line (is it cut short?)";
        at++;
        if (atoms < 0)
            return "its V3000 connection table has no COUNTS line";
        if (atomLines != atoms || bondLines != std::max(bonds, 0L))
            return "its V3000 COUNTS line gives " + std::to_string(atoms) + " atoms and " + std::to_string(bonds) +
                   " bonds, but the record holds " + std::to_string(atomLines) + " atom lines and " +
                   std::to_string(bondLines) + " bond lines";
        return "";
    }

    std::string dataItems(size_t& at) {
        // "> <name>" headers, each followed by its value lines and a blank line.
        while (at < lines.size() && !startsWith(lines[at], "$$$$")) {
            const std::string& line = lines[at];
            if (trimmed(line).empty()) {
                at++;
                continue;
            }
            if (!startsWith(line, ">"))
                return lineName(at) + " " + quotedLine(line) +
                       " is neither a data item header ('> <name>') nor $$$$; two records may have run together";
            for (at++; at < lines.size() && !trimmed(lines[at]).empty() && !startsWith(lines[at], "$$$$"); at++) {
                // A value is free text, but a molfile's counts line or M  END inside one means the
                // next record's $$$$ and header were lost and its molfile ran into this value.
                const std::string value = trimmed(lines[at]);
                if (value == "M  END" || (value.size() > 5 && (value.compare(value.size() - 5, 5, "V2000") == 0 ||
                                                               value.compare(value.size() - 5, 5, "V3000") == 0)))
                    return lineName(at) + " " + quotedLine(lines[at]) +
                           " inside a data item is part of a molfile; two records have run together";
            }
        }
        return "";
    }

    const std::vector<std::string>& lines;
    long long firstLine;
};

} // namespace

std::string AffinityCli::sdfRecordDamage(const std::vector<std::string>& lines, long long firstLine,
                                         bool needsTerminator) {
    return SdfCheck(lines, firstLine).damage(needsTerminator);
}
