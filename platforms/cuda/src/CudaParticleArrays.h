// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_CUDA_PARTICLE_ARRAYS_H_
#define OPENMM_AFFINITY_CUDA_PARTICLE_ARRAYS_H_

#include "openmm/cuda/CudaContext.h"
#include <torch/script.h>
#include <vector>

namespace AffinityPlugin {

/**
 * Where an AffinityForce's particles sit in the device arrays of OpenMM's CUDA platform, and
 * the two transfers between those arrays and LibTorch tensors. OpenMM keeps atoms reordered
 * for locality (atomIndex[i] is the system index of the atom in row i), so each call looks up
 * the rows again; everything stays on the device.
 */
class CudaParticleArrays {
public:
    /**
     * @param systemIndices  the system index of each particle the model sees, in model order
     * @param device         the CUDA device of the Context
     */
    CudaParticleArrays(const std::vector<int>& systemIndices, const torch::Device& device);
    /**
     * The positions of the particles, [N,3] in nm, in the given dtype. In mixed precision the
     * position correction is added in float64 before the conversion.
     */
    torch::Tensor gatherPositions(OpenMM::CudaContext& cu, torch::ScalarType dtype);
    /**
     * Add the forces −gradient ([N,3], kJ/mol/nm) to OpenMM's force buffer, in its 64-bit fixed
     * point (2^32 units per kJ/mol/nm).
     */
    void addForces(OpenMM::CudaContext& cu, const torch::Tensor& gradient);

private:
    torch::Tensor rowsOfParticles(OpenMM::CudaContext& cu);
    torch::Tensor systemIndices;
    torch::Tensor rows;
};

} // namespace AffinityPlugin

#endif
