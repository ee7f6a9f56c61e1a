// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_BOUND_MODEL_H_
#define OPENMM_AFFINITY_BOUND_MODEL_H_

#include "AffinityModel.h"
#include "internal/ComplexTopology.h"

namespace AffinityPlugin {

/**
 * An affinity model with everything one call of it needs besides the positions: the complex
 * topology, the temperature, and the device and dtype of the positions. It is a value: copies
 * share the model's parameters and the topology's tensors, so a batch pass keeps a copy of the
 * evaluation it was built for (and may have captured in a CUDA graph) rather than a reference
 * to its owner.
 */
struct OPENMM_EXPORT_AFFINITY BoundModel {
    /** The model, on `device` in `dtype`. */
    AffinityModel model;
    /** The atoms the model sees. */
    ComplexTopology topology;
    /** T in K, for models that return kT. */
    double temperature;
    /** Where the model runs. */
    torch::Device device;
    /** The floating-point dtype of positions and parameters. */
    torch::ScalarType dtype;
    /**
     * The box and global parameters the model is called with, on `device` in `dtype`, for models
     * that take them. Their values are changed in place, so that a captured CUDA graph reads them.
     */
    ForwardExtras extras;

    /**
     * Energies in kJ/mol, [B], of positions [B,N,3] in nm on `device` in `dtype`;
     * differentiable. See AffinityModel::energies for checkFinite.
     */
    torch::Tensor energies(const torch::Tensor& positions, bool checkFinite = true) {
        return outputs(positions, extras, checkFinite).energies;
    }
    /** Energies and, for models that output them, forces of positions [B,N,3], with the given extras. */
    ModelOutput outputs(const torch::Tensor& positions, const ForwardExtras& given, bool checkFinite = true) {
        return model.outputs(positions, topology.atomicNumbers(), topology.ligandMask(), temperature, checkFinite,
                             given);
    }
    /** The number of atoms the model sees. */
    int getNumAtoms() const {
        return topology.getNumAtoms();
    }
    /** Options for tensors of positions on the model's device and dtype. */
    torch::TensorOptions positionOptions() const {
        return torch::TensorOptions().dtype(dtype).device(device);
    }
};

} // namespace AffinityPlugin

#endif
