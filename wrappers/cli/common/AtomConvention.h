// SPDX-License-Identifier: MIT
#ifndef AFFINITY_CLI_ATOM_CONVENTION_H_
#define AFFINITY_CLI_ATOM_CONVENTION_H_

#include <string>

namespace AffinityCli {

/**
 * Which atoms of the input files become atoms of the complex a model sees.
 *
 * Docking files spell hydrogens in different ways: a PDBQT holds polar hydrogens only, an SDF
 * from a ligand preparation tool holds all of them, a PDB from a crystal structure none. A
 * model that sees the hydrogens as written scores the same pose differently depending on
 * which tool wrote the file. The canonical convention removes that dependence by dropping
 * every hydrogen, in the receptor and the ligand alike, so that every spelling of a pose gives
 * the same complex.
 *
 *  - HeavyAtoms ("heavy-atoms", the default): every atom except hydrogen (Z = 1, which
 *    includes deuterium), whatever the files hold.
 *  - AsRead ("as-read"): every atom as the file holds it, hydrogens included; for models
 *    trained on files that all follow one hydrogen convention.
 *
 * A model declares the convention it was trained with in its string attribute
 * atom_convention; the tools build complexes by that convention and refuse a request for
 * another one.
 */
enum class AtomConvention { HeavyAtoms, AsRead };

/** "heavy-atoms" or "as-read". */
std::string atomConventionName(AtomConvention convention);

/**
 * Parse "heavy-atoms" or "as-read".
 *
 * @param what  what the name came from, for the message ("--atom-convention")
 * @throws std::runtime_error naming what and the name for any other name
 */
AtomConvention atomConventionFromName(const std::string& name, const std::string& what);

/** Whether an atom of this atomic number is part of the complex under the convention. */
inline bool keepsAtom(AtomConvention convention, int atomicNumber) {
    return convention == AtomConvention::AsRead || atomicNumber != 1;
}

/**
 * The convention a run uses: the one asked for, the model's, or the default (heavy atoms).
 *
 * @param requested  the convention asked for on the command line, "" when none was
 * @param declared   the model's atom_convention attribute, "" when it has none
 * @param model      the model's file, for the message
 * @throws std::runtime_error naming both conventions when the two differ, or naming an
 *         unknown declared convention
 */
AtomConvention resolveAtomConvention(const std::string& requested, const std::string& declared,
                                     const std::string& model);

} // namespace AffinityCli

#endif
