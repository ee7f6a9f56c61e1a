// SPDX-License-Identifier: MIT
#include "Receptor.h"
#include "AffinityUnits.h"
#include "MoleculeFileFormat.h"
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <openbabel/atom.h>
#include <openbabel/mol.h>
#include <stdexcept>

using namespace AffinityCli;

Receptor Receptor::read(const std::string& path, AtomConvention convention) {
    auto fail = [&](const std::string& message) { return std::runtime_error("receptor " + path + ": " + message); };
    std::ifstream file(path, std::ios::binary);
    if (!file)
        throw fail("cannot open the file: " + std::string(std::strerror(errno)));
    if (file.peek() == std::ifstream::traits_type::eof())
        throw fail("the file is empty; expected a PDB, PDBQT or mmCIF structure");
    const MoleculeFileFormat format = MoleculeFileFormat::forFile(path);
    if (format.format == nullptr)
        throw fail("Open Babel has no format for the extension '" + format.extension +
                   "'; expected .pdb, .pdbqt or .cif (optionally .gz)");
    OpenBabelMessages messages;
    OpenBabel::OBConversion input;
    input.SetInFormat(format.format, format.gzipped);
    // Bond perception on a whole protein is slow and not needed: only elements and coordinates are.
    input.AddOption("b", OpenBabel::OBConversion::INOPTIONS);
    OpenBabel::OBMol mol;
    const bool read = input.Read(&mol, &file);
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
        if (!std::isfinite(xyz[0]) || !std::isfinite(xyz[1]) || !std::isfinite(xyz[2]))
            throw fail("atom " + std::to_string(i) + " has a non-finite coordinate; expected finite positions");
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
