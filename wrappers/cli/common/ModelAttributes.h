// SPDX-License-Identifier: MIT
#ifndef AFFINITY_CLI_MODEL_ATTRIBUTES_H_
#define AFFINITY_CLI_MODEL_ATTRIBUTES_H_

// The model file, and what a trained model declares about the complexes it was trained on,
// read from and written to its TorchScript attributes. Shared by affinity-rescore (which reads them) and
// affinity-train (which writes them into the models it saves).

#include "AffinityModel.h"
#include <string>
#include <torch/script.h>
#include <vector>

namespace AffinityCli {

/**
 * Load a model file for either tool (AffinityModel::fromFile).
 *
 * @throws OpenMMException naming the file when it cannot be opened or is not a model
 */
AffinityPlugin::AffinityModel loadModelFile(const std::string& file);

/** The model's atom_convention attribute (AtomConvention.h), or "" when it has none. */
std::string declaredAtomConvention(torch::jit::Module& module, const std::string& file);

/**
 * The model's training_elements attribute: the atomic numbers of every atom (receptor and
 * ligand) in the complexes it was trained on, ascending; empty when it has none.
 */
std::vector<int> declaredTrainingElements(torch::jit::Module& module, const std::string& file);

/** The model's pocket_cutoff_nm attribute (the pocket radius of its training complexes, nm), or 0 when it has none. */
double declaredPocketCutoff(torch::jit::Module& module, const std::string& file);

/** Set (or add) the pocket_cutoff_nm attribute. */
void declarePocketCutoff(torch::jit::Module& module, double cutoff);

/** Set (or add) the atom_convention attribute. */
void declareAtomConvention(torch::jit::Module& module, const std::string& convention);

/** Set (or add) the training_elements attribute. */
void declareTrainingElements(torch::jit::Module& module, const std::vector<int>& elements);

/**
 * An int-list attribute of the model, ascending, or empty when it has none.
 *
 * @throws OpenMMException naming the file when the attribute is not a list of ints
 */
std::vector<int> intListAttribute(torch::jit::Module& module, const std::string& name, const std::string& file);

} // namespace AffinityCli

#endif
