// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_FORCE_BINDING_H_
#define OPENMM_AFFINITY_FORCE_BINDING_H_

#include "AffinityForce.h"
#include "AffinityProperties.h"
#include "AffinityScorer.h"
#include "PeriodicImaging.h"
#include "internal/ForceParticles.h"
#include "openmm/System.h"
#include "openmm/internal/ContextImpl.h"
#include <optional>
#include <string>
#include <vector>

namespace AffinityPlugin {

/** One evaluation of an AffinityForce for the positions of a Context, on the kernel's device. */
struct OPENMM_EXPORT_AFFINITY ForceEvaluation {
    /** The energy, [1] in kJ/mol, detached. */
    torch::Tensor energy;
    /** The forces on the particles the model sees, [N,3] in kJ/mol/nm; undefined unless asked for. */
    torch::Tensor forces;
    /** dE/dλ for each of the force's energy parameter derivatives, [D]; undefined when it has none. */
    torch::Tensor parameterDerivatives;
};

/**
 * What every platform's kernel holds for an AffinityForce in a Context: the particles the
 * model sees, the parsed properties, and the model bound to their topology on the platform's
 * device. Kernels differ only in how positions and forces reach it.
 */
struct OPENMM_EXPORT_AFFINITY ForceBinding {
    ForceParticles particles;
    AffinityProperties properties;
    bool periodic;
    AffinityScorer scorer;
    /** The ligand atoms' indices on the device, for periodic imaging. */
    torch::Tensor ligandAtoms;
    /** The names of the global parameters, in the order the model takes them. */
    std::vector<std::string> globalParameterNames;
    /** The names of the parameters whose energy derivatives are computed, in the force's order. */
    std::vector<std::string> derivativeNames;
    /** Each derivative's index among the global parameters, int64 [D] on the device. */
    torch::Tensor derivativeIndices;

    /**
     * Load the force's model and bind it.
     *
     * @param dtype  the floating-point dtype to run in, or none for the model's own
     */
    static ForceBinding of(const AffinityForce& force, const OpenMM::System& system, const torch::Device& device,
                           std::optional<torch::ScalarType> dtype);
    /** Take a force's changed temperature, atomic numbers and ligand flags (updateParametersInContext). */
    void update(const AffinityForce& force, const OpenMM::System& system);
    /** Throw the OpenMMException for a particle (index in model order) with a non-finite position. */
    [[noreturn]] void reportNonFinitePosition(int particle) const;
    /** The current values of the global parameters in a Context, in the model's order. */
    std::vector<double> globalParameterValues(OpenMM::ContextImpl& context) const;
    /**
     * Give the scorer a Context's global parameters and, for a model that takes it, its box:
     * what computePoseEnergies() scores poses with.
     */
    void setContextInputs(OpenMM::ContextImpl& context);
    /**
     * The energy, forces and parameter derivatives for positions [N,3] as OpenMM holds them, on
     * the scorer's device and dtype, with the scorer's global parameters: the one place where
     * every platform's MD step is computed. Device work only (nothing is read back unless
     * checkFinite), so a CUDA graph can capture it.
     *
     * @param box            [3,3] periodic box vectors (rows) on the device when periodic, else undefined
     * @param includeForces  whether to compute forces (by autograd, or as the model returns them)
     * @param checkFinite    whether to check that the energy is finite (reads it back)
     */
    ForceEvaluation evaluate(const torch::Tensor& positions, const torch::Tensor& box, bool includeForces,
                             bool checkFinite);
    /** The positions [N,3] as the model sees them: imaged around the ligand when periodic. */
    torch::Tensor modelPositions(const torch::Tensor& positions, const OpenMM::Vec3& a, const OpenMM::Vec3& b,
                                 const OpenMM::Vec3& c) const;
    /** The same, with the box vectors as rows of a [3,3] tensor on the positions' device. */
    torch::Tensor modelPositions(const torch::Tensor& positions, const torch::Tensor& box) const;
};

} // namespace AffinityPlugin

#endif
