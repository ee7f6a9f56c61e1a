// SPDX-License-Identifier: MIT
#include "AtomConvention.h"
#include <stdexcept>

using namespace AffinityCli;

std::string AffinityCli::atomConventionName(AtomConvention convention) {
    return convention == AtomConvention::HeavyAtoms ? "heavy-atoms" : "as-read";
}

AtomConvention AffinityCli::atomConventionFromName(const std::string& name, const std::string& what) {
    if (name == "heavy-atoms")
        return AtomConvention::HeavyAtoms;
    if (name == "as-read")
        return AtomConvention::AsRead;
    throw std::runtime_error(what + " is '" + name + "'; expected heavy-atoms or as-read");
}

AtomConvention AffinityCli::resolveAtomConvention(const std::string& requested, const std::string& declared,
                                                  const std::string& model) {
    if (!declared.empty()) {
        const AtomConvention modelConvention =
            atomConventionFromName(declared, "the atom_convention attribute of the model " + model);
        if (!requested.empty() && atomConventionFromName(requested, "--atom-convention") != modelConvention)
            throw std::runtime_error("--atom-convention " + requested + " was asked for, but the model " + model +
                                     " was trained on complexes built with the atom convention '" + declared +
                                     "' (its atom_convention attribute); its energies are only meaningful for "
                                     "complexes built the same way");
        return modelConvention;
    }
    return requested.empty() ? AtomConvention::HeavyAtoms : atomConventionFromName(requested, "--atom-convention");
}
