// SPDX-License-Identifier: MIT
#include "PoseReader.h"
#include "AffinityUnits.h"
#include "InputLimits.h"
#include "MoleculeFileFormat.h"
#include "RecordDamage.h"
#include "RecordReader.h"
#include "RecordTag.h"
#include <cmath>
#include <cstring>
#include <openbabel/atom.h>
#include <openbabel/generic.h>
#include <openbabel/mol.h>
#include <sstream>

using namespace AffinityCli;

namespace {

/**
 * A record's title as a ligand name: trimmed, and empty (so that the file's name is used)
 * where it holds nothing but "=", which is what Open Babel makes of the empty
 * "REMARK  Name = " line of the PDBQT files it writes itself.
 */
std::string ligandTitle(const std::string& title) {
    const std::string trimmedTitle = trimmed(title);
    return trimmedTitle == "=" ? "" : trimmedTitle;
}

/** The number a text starts with (after blanks), or NaN when it starts with none or one that is not finite. */
double leadingNumber(const char* text) {
    char* end = nullptr;
    const double value = std::strtod(text, &end);
    return end != text && std::isfinite(value) ? value : std::nan("");
}

/**
 * The docking score a record carries, in kcal/mol: Vina's "REMARK VINA RESULT" (in a PDBQT,
 * or in the REMARK data item Open Babel makes of it when it converts one to SDF), else the SD
 * tag minimizedAffinity (smina, gnina), else docking_score_kcal_mol (an earlier rescoring's
 * output, read again); NaN when it carries none.
 */
double dockingScoreOf(OpenBabel::OBMol& mol) {
    if (OpenBabel::OBGenericData* remark = mol.GetData("REMARK")) {
        const std::string text = remark->GetValue();
        const size_t at = text.find("VINA RESULT:");
        if (at != std::string::npos)
            return leadingNumber(text.c_str() + at + std::strlen("VINA RESULT:"));
    }
    for (const char* tag : {"minimizedAffinity", DockingScoreTag})
        if (OpenBabel::OBGenericData* data = mol.GetData(tag)) {
            const double value = leadingNumber(data->GetValue().c_str());
            if (!std::isnan(value))
                return value;
        }
    return std::nan("");
}

/**
 * The data items of an SDF record's text, as the file has them: the lines after the molfile's
 * "M  END" (the first: a value cannot hold one, SdfRecordDamage) up to the "$$$$" that ends the record ("" when there
 * are none). Open Babel's own SDF of the record would trim every value line, drop a "PartialCharges" item and rewrite
 * "> 25  <ID>  (1)" headers as ">  <ID>"; these lines carry every item through unchanged.
 */
std::string sdfDataItemsOf(const std::string& recordText) {
    std::istringstream lines(recordText);
    std::string line, items;
    bool afterMolfile = false;
    while (std::getline(lines, line)) {
        if (!afterMolfile) {
            afterMolfile = line.rfind("M  END", 0) == 0;
            continue;
        }
        if (line.rfind("$$$$", 0) == 0)
            break;
        items += line + "\n";
    }
    return items;
}

/** An SDF block with its data items (the lines after its first "M  END") replaced by items. */
std::string withDataItems(const std::string& block, const std::string& items) {
    const size_t at = block.find("\nM  END");
    const size_t end = at == std::string::npos ? std::string::npos : block.find('\n', at + 1);
    return end == std::string::npos ? block : block.substr(0, end + 1) + items;
}

/**
 * Make the data items Open Babel read from a PDBQT (or MOL2, PDB) record fit for an SDF: a blank
 * line inside a value (a bare "REMARK   " line) would end the item there and leave the rest of
 * the value as stray lines, so such lines are left out; and the "TORSDOF n" line, which Open
 * Babel reads as a record named by its first six columns (TORSDO, with the value "F n"), gets
 * its name back.
 */
void prepareDataItemsForSdf(OpenBabel::OBMol& mol) {
    for (OpenBabel::OBGenericData* data : mol.GetData()) {
        auto* item = dynamic_cast<OpenBabel::OBPairData*>(data);
        if (item == nullptr)
            continue;
        std::istringstream lines(item->GetValue());
        std::string line, value;
        while (std::getline(lines, line))
            if (!trimmed(line).empty())
                value += (value.empty() ? "" : "\n") + line;
        item->SetValue(value);
        if (item->GetAttribute() == "TORSDO" && value.rfind("F", 0) == 0) {
            item->SetAttribute("TORSDOF");
            item->SetValue(trimmed(value.substr(1)));
        }
    }
}

/** One record read: the pose, or why it cannot be scored, and what groups it into a ligand. */
struct ReadRecord {
    PoseRecord pose;
    std::string title;
    /** What groups it with its neighbours: its title, or the value of its ligand tag. */
    std::string key;
    /** Whether key is the record's own; a record cut before its title or tag joins the ligand before it. */
    bool keyKnown = true;
    /** Grouping by title in a layout with a title line: the record's title is empty. */
    bool untitled = false;
    /** Why the record cannot be grouped with any other (grouping by tag: no tag), or "". */
    std::string groupingProblem;
    int index = 0;
    long long firstLine = 0;
};

std::string recordName(int index, long long firstLine) {
    return "record " + std::to_string(index) + " (line " + std::to_string(firstLine) + ")";
}

/** Whether every record of the layout has a title line (SDF, MOL2), so an empty one means no title. */
bool hasTitleLine(RecordLayout layout) {
    return layout == RecordLayout::Sdf || layout == RecordLayout::Mol2;
}

/** Where --ligand-tag looks in a layout, for messages. */
std::string whereTagsAre(RecordLayout layout, const std::string& tag) {
    if (layout == RecordLayout::Sdf || layout == RecordLayout::Mol)
        return "an SD data item '> <" + tag + ">'";
    return "a line 'REMARK " + tag + " = value'";
}

} // namespace

class PoseReader::Impl {
public:
    Impl(const std::string& path, const PoseReaderSettings& settings);
    bool next(LigandPoses& ligand);
    uint64_t bytesRead() const {
        return records ? records->bytesRead() : 0;
    }

private:
    /** Read and parse the next record; false when the file holds no more. */
    bool readRecord(ReadRecord& read);
    /** Set what groups a record into a ligand (read.key, keyKnown, untitled, groupingProblem). */
    void setGrouping(const TextRecord& text, ReadRecord& read) const;
    /** Whether a record read after the first record of a ligand is another ligand's. */
    bool startsAnotherLigand(const ReadRecord& first, const ReadRecord& read) const;
    /** Parse a sound record's text with Open Babel into read.pose (or set its problem). */
    void parse(const TextRecord& text, ReadRecord& read);
    LigandPoses fileProblem(const std::string& message) const;

    std::string path;
    PoseReaderSettings settings;
    bool keepSdfBlocks;
    AtomConvention convention;
    RecordLayout layout = RecordLayout::WholeFile;
    OpenBabel::OBConversion input, sdfOutput;
    OpenBabelMessages messages;
    MoleculeFileFormat format;
    std::unique_ptr<RecordReader> records;
    bool started = false, finished = false;
    // The record read ahead: the first of the next ligand.
    bool havePending = false;
    ReadRecord pending;
};

PoseReader::Impl::Impl(const std::string& path, const PoseReaderSettings& settings)
    : path(path), settings(settings), keepSdfBlocks(settings.keepSdfBlocks), convention(settings.convention),
      format(MoleculeFileFormat::forFile(path, settings.format)) {
    layout = recordLayoutFor(format.extension);
    if (keepSdfBlocks)
        sdfOutput.SetOutFormat("sdf");
}

LigandPoses PoseReader::Impl::fileProblem(const std::string& message) const {
    LigandPoses ligand;
    ligand.name = fileStem(path);
    ligand.source = inputName(path);
    ligand.firstRecord = 0; // the file as a whole
    ligand.problem = message;
    return ligand;
}

void PoseReader::Impl::parse(const TextRecord& text, ReadRecord& read) {
    PoseRecord& record = read.pose;
    const std::string recordName =
        "record " + std::to_string(text.index) + " (line " + std::to_string(text.firstLine) + ")";
    OpenBabel::OBMol mol;
    const bool parsed = input.ReadString(&mol, text.text);
    const std::string babelSays = messages.take();
    if (!text.titleKnown)
        read.title = ligandTitle(mol.GetTitle());
    const int numAtoms = parsed ? (int)mol.NumAtoms() : 0;
    if (numAtoms == 0) {
        record.problem = recordName + (parsed ? " holds no atoms" : " could not be read") + "; expected a " +
                         format.extension + " molecule record" +
                         (babelSays.empty() ? "" : " (Open Babel: " + babelSays + ")");
        return;
    }
    record.atomicNumbers.reserve(numAtoms);
    record.positions.reserve(3 * numAtoms);
    for (int i = 1; i <= numAtoms; i++) {
        OpenBabel::OBAtom* atom = mol.GetAtom(i);
        const double xyz[3] = {atom->GetX(), atom->GetY(), atom->GetZ()};
        for (double x : xyz)
            if (!std::isfinite(x) || std::fabs(x) > MaxCoordinateAngstrom) {
                std::stringstream msg;
                msg << recordName << ": atom " << i << " has the coordinate " << x
                    << " angstrom; expected finite positions within " << MaxCoordinateAngstrom << " angstrom";
                record = PoseRecord();
                record.problem = msg.str();
                return;
            }
        if (atom->GetAtomicNum() == 0 && record.problem.empty()) {
            std::stringstream msg;
            msg << "record " << text.index << ": atom " << i << " (type '" << atom->GetType()
                << "') has no element Open Babel recognises; expected atomic numbers 1-118";
            record.problem = msg.str();
        }
        if (!keepsAtom(convention, (int)atom->GetAtomicNum()))
            continue;
        record.atomicNumbers.push_back((int)atom->GetAtomicNum());
        for (double x : xyz)
            record.positions.push_back(x * AffinityPlugin::NmPerAngstrom);
    }
    if (record.atomicNumbers.empty() && record.problem.empty()) {
        record.problem = recordName + " holds only hydrogens; expected a molecule with heavy atoms (the " +
                         atomConventionName(convention) + " atom convention drops hydrogens)";
        return;
    }
    record.dockingScore = dockingScoreOf(mol);
    if (keepSdfBlocks) {
        // An SDF's own data items, as written; other formats' items are what Open Babel read.
        const RecordLayout layout = recordLayoutFor(format.extension);
        const bool sdfInput = layout == RecordLayout::Sdf || layout == RecordLayout::Mol;
        if (!sdfInput)
            prepareDataItemsForSdf(mol);
        record.sdfBlock = sdfOutput.WriteString(&mol);
        const size_t end = record.sdfBlock.rfind("$$$$");
        if (end != std::string::npos)
            record.sdfBlock.resize(end);
        if (sdfInput)
            record.sdfBlock = withDataItems(record.sdfBlock, sdfDataItemsOf(text.text));
    }
}

bool PoseReader::Impl::readRecord(ReadRecord& read) {
    TextRecord text;
    if (!records->next(text))
        return false;
    read = ReadRecord();
    read.index = text.index;
    read.firstLine = text.firstLine;
    read.title = ligandTitle(text.title);
    setGrouping(text, read);
    if (!text.damage.empty()) {
        // Damaged records never reach Open Babel, which would read what it could of them.
        read.pose.problem = "record " + std::to_string(text.index) + " (line " + std::to_string(text.firstLine) +
                            ") is damaged: " + text.damage;
        return true;
    }
    parse(text, read);
    if (settings.grouping == LigandGrouping::Title && !text.titleKnown)
        read.key = read.title; // the title Open Babel found (PDB), which never splits the file
    return true;
}

void PoseReader::Impl::setGrouping(const TextRecord& text, ReadRecord& read) const {
    switch (settings.grouping) {
    case LigandGrouping::WholeFile:
        read.key.clear();
        read.keyKnown = true;
        return;
    case LigandGrouping::Title:
        read.key = read.title;
        read.keyKnown = text.titleKnown;
        read.untitled = text.titleKnown && read.title.empty() && hasTitleLine(layout);
        return;
    case LigandGrouping::Tag:
        break;
    }
    const std::string& tag = settings.ligandTag;
    std::string value;
    const TagSearch search = findRecordTag(text.text, layout, tag, value);
    if (search == TagSearch::Found && !value.empty()) {
        read.key = value;
        return;
    }
    if (!text.damage.empty()) {
        // The damage may have cut the tag away: the record joins the ligand before it, which its damage skips.
        read.keyKnown = false;
        return;
    }
    const std::string record = recordName(text.index, text.firstLine);
    if (search == TagSearch::NoTagsInLayout)
        read.groupingProblem = record + " has no tag '" + tag + "': " + format.extension +
                               " records carry no data items; --ligand-tag reads SD tags ('> <" + tag +
                               ">') and PDBQT or PDB lines 'REMARK " + tag + " = value'";
    else if (search == TagSearch::Found)
        read.groupingProblem = record + " has the tag '" + tag + "' with an empty value; expected the name of its " +
                               "ligand there (--ligand-tag " + tag + ")";
    else
        read.groupingProblem = record + " has no tag '" + tag + "' (" + whereTagsAre(layout, tag) +
                               "); expected every record to name its ligand there (--ligand-tag " + tag + ")";
}

bool PoseReader::Impl::startsAnotherLigand(const ReadRecord& first, const ReadRecord& read) const {
    if (settings.grouping == LigandGrouping::WholeFile || !read.keyKnown)
        return false;
    return read.untitled || !read.groupingProblem.empty() || read.key != first.key;
}

bool PoseReader::Impl::next(LigandPoses& ligand) {
    if (finished)
        return false;
    if (!started) {
        started = true;
        if (format.format == nullptr || recordLayoutFor(format.extension) == RecordLayout::WholeFile) {
            finished = true;
            ligand = fileProblem((format.extension.empty() ? std::string("the name has no extension to tell the format")
                                                           : "'" + format.extension + "' is not a pose file format") +
                                 "; expected .sdf, .pdbqt, .mol2 or .pdb (optionally .gz), or the format named");
            return true;
        }
        // A name without .gz may still hold a gzip stream (piped in): its magic bytes tell.
        records = std::make_unique<RecordReader>(path, format.gzipped ? Compression::Gzip : Compression::GzipIfMagic,
                                                 layout, MaxPoseRecordBytes);
        if (!records->isOpen()) {
            finished = true;
            ligand = fileProblem(records->openError());
            return true;
        }
        input.SetInFormat(format.format);
        havePending = readRecord(pending);
        if (!havePending) {
            finished = true;
            ligand = fileProblem(records->linesRead() == 0
                                     ? "the file is empty; expected at least one pose record"
                                     : "the file holds no " + format.extension + " record; expected at least one pose");
            return true;
        }
    }
    if (!havePending) {
        finished = true;
        return false;
    }
    ReadRecord first = std::move(pending);
    havePending = false;
    ligand = LigandPoses();
    ligand.source = inputName(path);
    ligand.name = settings.grouping == LigandGrouping::Tag && first.groupingProblem.empty() && !first.key.empty()
                      ? first.key
                  : first.title.empty() ? fileStem(path)
                                        : first.title;
    ligand.firstRecord = first.index;
    ligand.poses.push_back(std::move(first.pose));
    ReadRecord read;
    bool alone = !first.groupingProblem.empty();
    if (first.untitled) {
        // An untitled record is a ligand of its own, unless it is the file's only record.
        const bool more = readRecord(read);
        alone = more || first.index != 1;
        if (alone)
            ligand.problem = recordName(first.index, first.firstLine) +
                             " has an empty title; the poses of a ligand are the consecutive records with one title, "
                             "so this record cannot be told from the ligands around it: give each record its "
                             "ligand's name as its title, or name the SD tag that holds it with --ligand-tag";
        if (more) {
            pending = std::move(read);
            havePending = true;
        }
    } else if (alone) {
        ligand.problem = first.groupingProblem;
        havePending = readRecord(pending);
    }
    while (!alone && readRecord(read)) {
        if (startsAnotherLigand(first, read)) {
            pending = std::move(read);
            havePending = true;
            break;
        }
        ligand.poses.push_back(std::move(read.pose));
    }
    // A record's own problem (damaged, unreadable) says more than how it is grouped.
    for (const PoseRecord& pose : ligand.poses)
        if (!pose.problem.empty()) {
            ligand.problem = pose.problem;
            break;
        }
    if (ligand.problem.empty())
        ligand.problem = ligand.topologyMismatch();
    return true;
}

PoseReader::PoseReader(const std::string& path, bool keepSdfBlocks, AtomConvention convention)
    : PoseReader(path, PoseReaderSettings{keepSdfBlocks, convention, "", LigandGrouping::Title, ""}) {}

PoseReader::PoseReader(const std::string& path, const PoseReaderSettings& settings) : impl(new Impl(path, settings)) {}

PoseReader::~PoseReader() = default;

bool PoseReader::next(LigandPoses& ligand) {
    return impl->next(ligand);
}

uint64_t PoseReader::bytesRead() const {
    return impl->bytesRead();
}
