// SPDX-License-Identifier: MIT
#include "PoseReader.h"
#include "AffinityUnits.h"
#include "MoleculeFileFormat.h"
#include <cmath>
#include <cstring>
#include <fstream>
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
    const size_t first = title.find_first_not_of(" \t\r\n");
    if (first == std::string::npos)
        return "";
    const std::string trimmed = title.substr(first, title.find_last_not_of(" \t\r\n") - first + 1);
    return trimmed == "=" ? "" : trimmed;
}

/** The docking score a record carries: Vina's "REMARK VINA RESULT" or smina's SD tag. */
double dockingScoreOf(OpenBabel::OBMol& mol) {
    if (OpenBabel::OBGenericData* remark = mol.GetData("REMARK")) {
        const std::string text = remark->GetValue();
        const size_t at = text.find("VINA RESULT:");
        if (at != std::string::npos)
            return std::strtod(text.c_str() + at + std::strlen("VINA RESULT:"), nullptr);
    }
    if (OpenBabel::OBGenericData* tag = mol.GetData("minimizedAffinity")) {
        char* end = nullptr;
        const std::string text = tag->GetValue();
        const double value = std::strtod(text.c_str(), &end);
        if (end != text.c_str())
            return value;
    }
    return std::nan("");
}

} // namespace

class PoseReader::Impl {
public:
    Impl(const std::string& path, bool keepSdfBlocks, AtomConvention convention);
    bool next(LigandPoses& ligand);
    uint64_t bytesRead() const;

private:
    /** Read one record into `record` and `title`; false at the end of the file or on a failure (then problem is set).
     */
    bool readRecord(PoseRecord& record, std::string& title);
    LigandPoses fileProblem(const std::string& message) const;

    std::string path;
    bool keepSdfBlocks;
    AtomConvention convention;
    std::ifstream file;
    OpenBabel::OBConversion input, sdfOutput;
    OpenBabelMessages messages;
    MoleculeFileFormat format;
    bool started = false, finished = false;
    int recordsRead = 0;
    std::string problem;
    // The record read ahead: the first of the next ligand.
    bool havePending = false;
    PoseRecord pending;
    std::string pendingTitle;
};

PoseReader::Impl::Impl(const std::string& path, bool keepSdfBlocks, AtomConvention convention)
    : path(path), keepSdfBlocks(keepSdfBlocks), convention(convention), format(MoleculeFileFormat::forFile(path)) {
    if (keepSdfBlocks)
        sdfOutput.SetOutFormat("sdf");
}

LigandPoses PoseReader::Impl::fileProblem(const std::string& message) const {
    LigandPoses ligand;
    ligand.name = fileStem(path);
    ligand.source = path;
    ligand.firstRecord = 0; // the file as a whole
    ligand.problem = message;
    return ligand;
}

bool PoseReader::Impl::readRecord(PoseRecord& record, std::string& title) {
    OpenBabel::OBMol mol;
    const bool read = recordsRead == 0 ? input.Read(&mol, &file) : input.Read(&mol);
    const std::string babelSays = messages.take();
    if (!read) {
        // A clean end of the file, or a record Open Babel could not parse.
        if (!babelSays.empty()) {
            std::stringstream msg;
            msg << "record " << recordsRead + 1 << " could not be read as " << format.extension
                << " (Open Babel: " << babelSays << "); the rest of the file is skipped";
            problem = msg.str();
        }
        return false;
    }
    recordsRead++;
    title = ligandTitle(mol.GetTitle());
    record = PoseRecord();
    const int numAtoms = (int)mol.NumAtoms();
    if (numAtoms == 0) {
        std::stringstream msg;
        msg << "record " << recordsRead << " holds no atoms; expected a " << format.extension << " molecule record"
            << (babelSays.empty() ? "" : " (Open Babel: " + babelSays + ")") << "; the rest of the file is skipped";
        problem = msg.str();
        return false;
    }
    record.atomicNumbers.reserve(numAtoms);
    record.positions.reserve(3 * numAtoms);
    for (int i = 1; i <= numAtoms; i++) {
        OpenBabel::OBAtom* atom = mol.GetAtom(i);
        const double xyz[3] = {atom->GetX(), atom->GetY(), atom->GetZ()};
        if (!std::isfinite(xyz[0]) || !std::isfinite(xyz[1]) || !std::isfinite(xyz[2])) {
            std::stringstream msg;
            msg << "record " << recordsRead << " has a non-finite coordinate at atom " << i
                << "; expected finite positions in angstrom; the rest of the file is skipped";
            problem = msg.str();
            return false;
        }
        if (atom->GetAtomicNum() == 0 && record.problem.empty()) {
            // The record itself was parsed, so the next one starts where Open Babel says: only
            // this ligand is lost, not the rest of the file.
            std::stringstream msg;
            msg << "record " << recordsRead << ": atom " << i << " (type '" << atom->GetType()
                << "') has no element Open Babel recognises; expected atomic numbers 1-118";
            record.problem = msg.str();
        }
        if (!keepsAtom(convention, (int)atom->GetAtomicNum()))
            continue;
        record.atomicNumbers.push_back((int)atom->GetAtomicNum());
        for (double x : xyz)
            record.positions.push_back(x * AffinityPlugin::NmPerAngstrom);
    }
    if (record.atomicNumbers.empty()) {
        std::stringstream msg;
        msg << "record " << recordsRead << " holds only hydrogens; expected a molecule with heavy atoms (the "
            << atomConventionName(convention) << " atom convention drops hydrogens); the rest of the file is skipped";
        problem = msg.str();
        return false;
    }
    record.dockingScore = dockingScoreOf(mol);
    if (keepSdfBlocks) {
        record.sdfBlock = sdfOutput.WriteString(&mol);
        const size_t end = record.sdfBlock.rfind("$$$$");
        if (end != std::string::npos)
            record.sdfBlock.resize(end);
    }
    return true;
}

bool PoseReader::Impl::next(LigandPoses& ligand) {
    if (finished)
        return false;
    if (!started) {
        started = true;
        file.open(path, std::ios::binary);
        if (!file) {
            finished = true;
            ligand = fileProblem("cannot open the file: " + std::string(std::strerror(errno)));
            return true;
        }
        if (file.peek() == std::ifstream::traits_type::eof()) {
            finished = true;
            ligand = fileProblem("the file is empty; expected at least one pose record");
            return true;
        }
        if (format.format == nullptr) {
            finished = true;
            ligand = fileProblem("Open Babel has no format for the extension '" + format.extension +
                                 "'; expected .sdf, .pdbqt or .mol2 (optionally .gz)");
            return true;
        }
        input.SetInFormat(format.format, format.gzipped);
        havePending = readRecord(pending, pendingTitle);
        if (!havePending) {
            finished = true;
            ligand = fileProblem(problem.empty() ? "the file holds no " + format.extension +
                                                       " record Open Babel can read; expected at least one pose"
                                                 : problem);
            return true;
        }
    }
    if (!havePending) {
        finished = true;
        return false;
    }
    ligand = LigandPoses();
    ligand.source = path;
    ligand.name = pendingTitle.empty() ? fileStem(path) : pendingTitle;
    ligand.firstRecord = recordsRead;
    const std::string title = pendingTitle;
    ligand.poses.push_back(std::move(pending));
    havePending = false;
    PoseRecord record;
    std::string recordTitle;
    while (readRecord(record, recordTitle)) {
        if (recordTitle != title) {
            pending = std::move(record);
            pendingTitle = recordTitle;
            havePending = true;
            break;
        }
        ligand.poses.push_back(std::move(record));
    }
    if (!problem.empty()) {
        // The failed record may have belonged to this ligand, so its poses may be incomplete.
        ligand.problem = problem;
        finished = true;
    } else if (ligand.problem.empty()) {
        for (const PoseRecord& pose : ligand.poses)
            if (ligand.problem.empty() && !pose.problem.empty())
                ligand.problem = pose.problem;
        if (ligand.problem.empty())
            ligand.problem = ligand.topologyMismatch();
    }
    return true;
}

uint64_t PoseReader::Impl::bytesRead() const {
    if (!file.is_open())
        return 0;
    std::ifstream& stream = const_cast<std::ifstream&>(file);
    const std::streampos at = stream.tellg();
    return at < 0 ? 0 : (uint64_t)at;
}

PoseReader::PoseReader(const std::string& path, bool keepSdfBlocks, AtomConvention convention)
    : impl(new Impl(path, keepSdfBlocks, convention)) {}

PoseReader::~PoseReader() = default;

bool PoseReader::next(LigandPoses& ligand) {
    return impl->next(ligand);
}

uint64_t PoseReader::bytesRead() const {
    return impl->bytesRead();
}
