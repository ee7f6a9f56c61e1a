#ifndef OPENMM_AFFINITY_MODEL_H_
#define OPENMM_AFFINITY_MODEL_H_

#include "AffinityExport.h"
#include <string>
#include <torch/script.h>
#include <utility>
#include <vector>

namespace AffinityPlugin {

/** Which forward signature a model has (see AffinityForce). */
enum class ModelContract {
    /** forward(positions) -> energy: atom types are baked into the model (OpenMM-Torch). */
    PositionsOnly,
    /** forward(positions, atomic_numbers, ligand_mask) -> energy. */
    PositionsAtomicNumbersLigandMask
};

/** The unit of the energies a model returns (its energy_unit attribute). */
enum class EnergyUnit { KJPerMol, KcalPerMol, KT };

/**
 * A TorchScript affinity model: the module, the contract read from its forward schema, and
 * the attributes energy_unit and supports_batch. It calls the model and converts what it
 * returns to kJ/mol, and checks inputs and outputs so that a misbehaving model gives an
 * OpenMMException that names the problem, never a crash or a silent NaN.
 *
 * The module is a handle: copies of an AffinityModel share parameters, so gradients that
 * the gradient export writes land in the caller's module.
 */
class OPENMM_EXPORT_AFFINITY AffinityModel {
public:
    /**
     * Load a model from the bytes of a TorchScript file onto the CPU.
     *
     * @param bytes   the file's contents
     * @param origin  what the bytes came from, for messages (a file name, "model bytes")
     */
    static AffinityModel fromBytes(const std::string& bytes, const std::string& origin = "model bytes");
    /** Load a model from a TorchScript file. */
    static AffinityModel fromFile(const std::string& file);
    /**
     * Wrap a module that is already loaded (for example one defined with
     * torch::jit::Module::define, or being trained).
     */
    explicit AffinityModel(torch::jit::Module module, std::string origin = "model");

    ModelContract getContract() const {
        return contract;
    }
    EnergyUnit getEnergyUnit() const {
        return energyUnit;
    }
    /** Whether forward accepts a batch of poses, [B,N,3] positions giving [B] energies. */
    bool supportsBatch() const {
        return batch;
    }
    torch::jit::Module& getModule() {
        return module;
    }
    const std::string& getOrigin() const {
        return origin;
    }
    /** The dtype of the model's floating-point parameters and buffers (float64 if it has none). */
    torch::ScalarType parameterDtype() const;
    /** Move the parameters and buffers to a device and floating-point dtype, in place. */
    void to(const torch::Device& device, torch::ScalarType dtype);
    /** The parameters that require gradients, with their qualified names (as named_parameters()). */
    std::vector<std::pair<std::string, torch::Tensor>> trainableParameters() const;
    /**
     * Call the model on a batch of poses and return the energies in kJ/mol, [B].
     *
     * Models that support batches get one call over [B,N,3]; others one call per pose.
     * The result is differentiable where the inputs and parameters are.
     *
     * @param positions      [B,N,3] in nm, on the model's device and dtype
     * @param atomicNumbers  int64 [N] (used by the second contract only)
     * @param ligandMask     bool [N] (used by the second contract only)
     * @param temperature    T in K, for models that return kT
     * @param checkFinite    whether to check that every energy is finite; the check reads the
     *                       result back to the host, which a CUDA graph capture cannot contain,
     *                       so callers that capture check the replayed result themselves
     * @throws OpenMMException if the model fails, returns the wrong shape, or returns a
     *         non-finite energy
     */
    torch::Tensor energies(const torch::Tensor& positions, const torch::Tensor& atomicNumbers,
                           const torch::Tensor& ligandMask, double temperature, bool checkFinite = true);
    /**
     * Throw an OpenMMException naming the first pose whose energy is not finite.
     *
     * @param energies  [B] energies as returned by energies()
     */
    void checkFinite(const torch::Tensor& energies) const;

private:
    torch::Tensor callForward(const torch::Tensor& positions, const torch::Tensor& atomicNumbers,
                              const torch::Tensor& ligandMask, int64_t expectedCount);
    torch::jit::Module module;
    std::string origin;
    ModelContract contract = ModelContract::PositionsOnly;
    EnergyUnit energyUnit = EnergyUnit::KJPerMol;
    bool batch = false;
};

} // namespace AffinityPlugin

#endif
