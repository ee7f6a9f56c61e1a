// SPDX-License-Identifier: MIT
#include "Receptor.h"
#include "AffinityUnits.h"
#include "InputLimits.h"
#include "MoleculeFileFormat.h"
#include "RecordReader.h"
#include <cmath>
#include <openbabel/atom.h>
#include <openbabel/mol.h>
#include <sstream>
#include <stdexcept>

using namespace AffinityCli;

Receptor Receptor::read(const std::string& path, AtomConvention convention) {
    auto fail = [&](const std::string& message) { return std::runtime_error("receptor " + path + ": " + message); };
    const MoleculeFileFormat format = MoleculeFileFormat::forFile(path);
    RecordReader records(path, format.gzipped, recordLayoutFor(format.extension), MaxReceptorRecordBytes);
    if (!records.isOpen())
        throw fail(records.openError());
    if (format.format == nullptr)
        throw fail("Open Babel has no format for the extension '" + format.extension +
                   "'; expected .pdb, .pdbqt or .cif (optionally .gz)");
    // The first structure only; it is checked whole (cut short, damaged gzip) before it is parsed.
    TextRecord structure;
    if (!records.next(structure))
        throw fail(records.linesRead() == 0 ? "the file is empty; expected a PDB, PDBQT or mmCIF structure"
                                            : "the file holds no structure; expected a PDB, PDBQT or mmCIF structure");
    if (!structure.damage.empty())
        throw fail("its first structure (line " + std::to_string(structure.firstLine) +
                   ") is damaged: " + structure.damage);
    OpenBabelMessages messages;
    OpenBabel::OBConversion input;
    input.SetInFormat(format.format);
    // Bond perception on a whole protein is slow and not needed: only elements and coordinates are.
    input.AddOption("b", OpenBabel::OBConversion::INOPTIONS);
    OpenBabel::OBMol mol;
    const bool read = input.ReadString(&mol, structure.text);
    structure.text.clear();
    const std::string babelSays = messages.take();
    if (!read || mol.NumAtoms() == 0)
        throw fail("no atoms could be read as " + format.extension +
                   (babelSays.empty() ? std::string() : " (Open Babel: " + babelSays + ")"));
    Receptor receptor;
    receptor.source = path;
    receptor.atomicNumbers.reserve(mol.NumAtoms());
    receptor.positions.reserve(3 * mol.NumAtoms());
    for (unsigned int i = 1; i <= mol.NumAtoms(); i++) {
        OpenBabel::OBAtom* atom = mol.GetAtom(i);
        const double xyz[3] = {atom->GetX(), atom->GetY(), atom->GetZ()};
        for (double x : xyz)
            if (!std::isfinite(x) || std::fabs(x) > MaxCoordinateAngstrom) {
                std::stringstream msg;
                msg << "atom " << i << " has the coordinate " << x << " angstrom; expected finite positions within "
                    << MaxCoordinateAngstrom << " angstrom";
                throw fail(msg.str());
            }
        if (atom->GetAtomicNum() == 0)
            throw fail("atom " + std::to_string(i) +
                       " has no element Open Babel recognises; expected atomic numbers 1-118");
        if (!keepsAtom(convention, (int)atom->GetAtomicNum()))
            continue;
        receptor.atomicNumbers.push_back((int)atom->GetAtomicNum());
        for (double x : xyz)
            receptor.positions.push_back(x * AffinityPlugin::NmPerAngstrom);
    }
    if (receptor.atomicNumbers.empty())
        throw fail("it holds only hydrogens; expected a structure with heavy atoms");
    return receptor;
}
