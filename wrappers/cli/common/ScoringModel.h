// SPDX-License-Identifier: MIT
#ifndef AFFINITY_CLI_SCORING_MODEL_H_
#define AFFINITY_CLI_SCORING_MODEL_H_

// The tools' door to LibTorch for scoring: its header stays free of torch so that the rest of
// the tools compile quickly and never meets Open Babel and LibTorch in one translation unit.

#include "DeviceName.h"
#include "PoseEnsemble.h"
#include "Precision.h"
#include <memory>
#include <string>
#include <vector>

namespace AffinityCli {

/**
 * A TorchScript affinity model on one device, scoring the poses of one complex at a time
 * through AffinityPlugin::AffinityScorer.
 *
 * Which elements the model knows: a model may declare the attribute supported_elements (a
 * list of atomic numbers). Atoms of other elements make a complex unscorable, which
 * firstUnknownElement finds before the model runs. A model without the attribute is taken to
 * accept every element; if it raises for an element it cannot handle, energies throws with
 * the model's message and the ligand is skipped all the same.
 *
 * What the model was trained on: the attributes atom_convention (how its training complexes
 * were built from the files) and training_elements (ModelAttributes.h), when it declares them.
 */
class ScoringModel {
public:
    /**
     * Load the model.
     *
     * @param modelFile    a TorchScript file with forward(positions, atomic_numbers, ligand_mask)
     * @param device       where it runs
     * @param precision    its dtype (Precision.h)
     * @param temperature  T in K, for models that return kT
     * @param batchSize    poses per model call, 0 to choose from the memory budget
     * @param budgetMiB    the memory a batch of poses may take, when batchSize is 0
     * @param threads      LibTorch's intra-op threads, for the CPU
     * @throws std::runtime_error (an OpenMMException) naming the file or device and the problem
     */
    ScoringModel(const std::string& modelFile, const AffinityPlugin::DeviceName& device, Precision precision,
                 double temperature, int batchSize, double budgetMiB, int threads);
    ~ScoringModel();
    ScoringModel(const ScoringModel&) = delete;
    ScoringModel& operator=(const ScoringModel&) = delete;
    /** One line about the model: file, energy unit, batching, device and dtype. */
    std::string description() const;
    /** The model's atom_convention attribute (AtomConvention.h), "" when it declares none. */
    const std::string& declaredAtomConvention() const;
    /** The model's pocket_cutoff_nm attribute (its training complexes' pocket radius, nm), 0 when none. */
    double declaredPocketCutoff() const;
    /** The model's training_elements attribute, ascending; empty when it declares none. */
    const std::vector<int>& trainingElements() const;
    /** The model's supported_elements, ascending; empty when it declares none. */
    const std::vector<int>& supportedElements() const;
    /**
     * The index of the first atom whose element the model does not know (see the class
     * comment), or -1 when it knows them all.
     */
    int firstUnknownElement(const std::vector<int>& atomicNumbers) const;
    /**
     * The energy of every pose of a complex in kJ/mol.
     *
     * @throws OpenMM::OpenMMException when the model fails on the complex
     */
    std::vector<double> energies(const AffinityPlugin::PoseEnsemble& complex);

private:
    class Impl;
    std::unique_ptr<Impl> impl;
};

} // namespace AffinityCli

#endif
