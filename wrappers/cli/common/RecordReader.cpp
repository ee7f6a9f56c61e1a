// SPDX-License-Identifier: MIT
#include "RecordReader.h"
#include "InputLimits.h"
#include "RecordDamage.h"
#include <sstream>

using namespace AffinityCli;

namespace {

bool isBlank(const std::string& line) {
    return line.find_first_not_of(" \t") == std::string::npos;
}

/** The keyword a PDB line starts with ("ENDMDL"), compared whole ("END" is not "ENDROOT"). */
bool isPdbKeyword(const std::string& line, const char* keyword) {
    const std::string word = trimmed(line.substr(0, 6));
    return word == keyword;
}

std::string pdbqtTitle(const std::vector<std::string>& lines, bool& named) {
    // Open Babel's rule: "REMARK  Name = X" (or USER) names the molecule X; the last one counts.
    std::string title;
    for (const std::string& line : lines)
        if (startsWith(line, "REMARK") || startsWith(line, "USER")) {
            std::istringstream words(line);
            std::string keyword, name, equals, value;
            words >> keyword >> name >> equals >> value;
            if (name == "Name") {
                title = value;
                named = true;
            }
        }
    return title;
}

} // namespace

RecordReader::RecordReader(const std::string& path, Compression compression, RecordLayout layout, size_t maxRecordBytes)
    : lines(path, compression, MaxLineBytes), layout(layout), maxRecordBytes(maxRecordBytes) {
    finished = !lines.isOpen();
}

bool RecordReader::nextLine(std::string& line, long long& number) {
    if (haveHeldLine) {
        haveHeldLine = false;
        line.swap(heldLine);
        number = heldNumber;
        return true;
    }
    if (!lines.next(line))
        return false;
    number = lines.lineNumber();
    if (lines.lastLineTooLong() && damage.empty())
        damage = "line " + std::to_string(number) + " is longer than " + std::to_string(MaxLineBytes) +
                 " bytes, the longest line accepted";
    return true;
}

void RecordReader::add(const std::string& line, long long number) {
    if (recordLines.empty())
        firstLine = number;
    recordBytes += line.size() + 1;
    if (recordBytes > maxRecordBytes) {
        // Read on to the record's end, so the next record is found, but hold no more of it.
        if (damage.empty())
            damage = "the record is larger than " + std::to_string(maxRecordBytes >> 20) +
                     " MiB, the largest accepted (at line " + std::to_string(number) + ")";
        return;
    }
    recordLines.push_back(line);
}

void RecordReader::finishRecord(TextRecord& record, bool complete) {
    record.index = ++records;
    record.firstLine = firstLine;
    if (damage.empty() && complete)
        switch (layout) {
        case RecordLayout::Sdf:
        case RecordLayout::Mol:
            damage = sdfRecordDamage(recordLines, firstLine, layout == RecordLayout::Sdf);
            break;
        case RecordLayout::Mol2:
            damage = mol2RecordDamage(recordLines, firstLine);
            break;
        case RecordLayout::Pdb:
        case RecordLayout::Pdbqt:
            damage = pdbRecordDamage(recordLines, firstLine, layout == RecordLayout::Pdbqt);
            break;
        case RecordLayout::WholeFile:
            break;
        }
    // A record cut short may have lost its title line (or have it cut); it then belongs with
    // the ligand before it rather than starting a ligand of its own.
    const bool whole = damage.empty();
    switch (layout) {
    case RecordLayout::Sdf:
    case RecordLayout::Mol:
        record.titleKnown = recordLines.size() > 1 || (whole && !recordLines.empty());
        record.title = record.titleKnown ? recordLines[0] : "";
        break;
    case RecordLayout::Mol2:
        record.titleKnown = recordLines.size() > 2 || (whole && recordLines.size() > 1);
        record.title = record.titleKnown ? recordLines[1] : "";
        break;
    case RecordLayout::Pdbqt: {
        bool named = false;
        record.title = pdbqtTitle(recordLines, named);
        record.titleKnown = named || (whole && !recordLines.empty());
        break;
    }
    default:
        break;
    }
    size_t bytes = 0;
    for (const std::string& line : recordLines)
        bytes += line.size() + 1;
    record.text.reserve(bytes);
    for (const std::string& line : recordLines) {
        record.text += line;
        record.text += '\n';
    }
    record.damage = damage;
    recordLines.clear();
    recordBytes = 0;
    damage.clear();
}

bool RecordReader::next(TextRecord& record) {
    if (finished)
        return false;
    record = TextRecord();
    std::string line;
    long long number = 0;
    bool modelOpen = false, complete = false;
    std::string cutShort;
    while (nextLine(line, number)) {
        switch (layout) {
        case RecordLayout::Sdf:
        case RecordLayout::Mol:
            add(line, number);
            complete = startsWith(line, "$$$$");
            break;
        case RecordLayout::Mol2:
            if (startsWith(line, "@<TRIPOS>MOLECULE")) {
                if (!recordLines.empty()) {
                    heldLine = line;
                    heldNumber = number;
                    haveHeldLine = true;
                    complete = true;
                    break;
                }
            } else if (recordLines.empty()) {
                break; // comments and blank lines before the first molecule
            }
            add(line, number);
            break;
        case RecordLayout::Pdb:
        case RecordLayout::Pdbqt:
            if (recordLines.empty() && isBlank(line))
                break;
            if (isPdbKeyword(line, "MODEL")) {
                if (modelOpen) {
                    // The open model never ended: it is damaged, and this line starts the next one.
                    if (damage.empty())
                        damage = "its MODEL (line " + std::to_string(firstLine) +
                                 ") has no ENDMDL before the MODEL of line " + std::to_string(number);
                    heldLine = line;
                    heldNumber = number;
                    haveHeldLine = true;
                    complete = true;
                    break;
                }
                modelOpen = true;
            }
            add(line, number);
            if (isPdbKeyword(line, "ENDMDL")) {
                if (!modelOpen && damage.empty())
                    damage = "line " + std::to_string(number) + " ends a model (ENDMDL) that no MODEL line opened";
                complete = true;
            } else if (isPdbKeyword(line, "END") && !modelOpen) {
                complete = true;
            }
            break;
        case RecordLayout::WholeFile:
            add(line, number);
            break;
        }
        if (complete)
            break;
    }
    if (!complete) {
        // The end of the file, or a stream error.
        finished = true;
        const std::string& streamError = lines.error();
        bool onlyBlank = true;
        for (const std::string& held : recordLines)
            onlyBlank = onlyBlank && isBlank(held);
        if (streamError.empty()) {
            if (recordLines.empty() || (onlyBlank && damage.empty()))
                return false;
            // The layout's check says first what a cut left incomplete (SDF: no $$$$).
            complete = damage.empty();
            if (modelOpen)
                cutShort = "the file ends inside this record's model, without its ENDMDL line (is the file cut short?)";
        } else {
            if (recordLines.empty())
                firstLine = lines.lineNumber() + 1;
            damage = streamError + (damage.empty() ? "" : "; also " + damage);
        }
    }
    finishRecord(record, complete);
    if (record.damage.empty())
        record.damage = cutShort;
    return true;
}
