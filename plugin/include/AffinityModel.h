// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_MODEL_H_
#define OPENMM_AFFINITY_MODEL_H_

#include "AffinityExport.h"
#include "MatmulPrecision.h"
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

/**
 * What an AffinityForce passes to its model's forward besides the positions (and, for the
 * second contract, the atomic numbers and ligand mask), and what it expects back. A model
 * loaded without an AffinityForce (for scoring poses) gets the defaults.
 */
struct OPENMM_EXPORT_AFFINITY ForwardOptions {
    /**
     * The names of the global parameters, passed as scalar tensors after the positions (and the
     * box), in this order, as OpenMM-Torch's TorchForce passes them.
     */
    std::vector<std::string> globalParameterNames;
    /**
     * Whether the System is periodic: a positions-only model whose forward takes an argument
     * more than the global parameters is then given the box [3,3] (nm) right after the positions.
     */
    bool periodic = false;
    /** Whether forward returns (energy, forces) rather than the energy alone. */
    bool outputsForces = false;
};

/** The tensors a model is called with besides positions, atomic numbers and ligand mask. */
struct OPENMM_EXPORT_AFFINITY ForwardExtras {
    /** The periodic box vectors as rows of a [3,3] tensor (nm); used when the model takes the box. */
    torch::Tensor box;
    /** The global parameters, a [G] tensor whose elements are passed as scalar tensors. */
    torch::Tensor globals;
};

/** What a model returns for a batch of poses, converted to kJ/mol. */
struct OPENMM_EXPORT_AFFINITY ModelOutput {
    /** [B] energies in kJ/mol. */
    torch::Tensor energies;
    /** [B,N,3] forces in kJ/mol/nm as the model returned them, or undefined unless it outputs forces. */
    torch::Tensor forces;
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
    static AffinityModel fromBytes(const std::string& bytes, const std::string& origin = "model bytes",
                                   const ForwardOptions& options = {});
    /** Load a model from a TorchScript file. */
    static AffinityModel fromFile(const std::string& file);
    /**
     * Wrap a module that is already loaded (for example one defined with
     * torch::jit::Module::define, or being trained).
     *
     * The contract is read from forward's schema. Its second and third arguments named
     * atomic_numbers and ligand_mask, or exactly three arguments without defaults and no global
     * parameters, make the second contract (which may take global parameters after ligand_mask);
     * anything else is the OpenMM-Torch contract, whose arguments after the positions are the box
     * (when periodic and taken) and then the global parameters. Arguments with default values
     * may be left out.
     *
     * @param options  what the caller passes besides the positions
     * @throws OpenMMException if forward cannot take what options say is passed, or does not
     *         return what they say it returns
     */
    explicit AffinityModel(torch::jit::Module module, std::string origin = "model", const ForwardOptions& options = {});

    ModelContract getContract() const {
        return contract;
    }
    EnergyUnit getEnergyUnit() const {
        return energyUnit;
    }
    /** Whether forward is given the periodic box [3,3] after the positions. */
    bool takesBox() const {
        return boxArgument;
    }
    /** The number of global parameters forward is given. */
    int getNumGlobalParameters() const {
        return (int)options.globalParameterNames.size();
    }
    /** Whether forward returns (energy, forces). */
    bool outputsForces() const {
        return options.outputsForces;
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
    /**
     * How the model's float32 matrix products run on CUDA: every forward call made through this
     * handle, and every backward pass the plugin runs through the model, uses it (default
     * float32). It has no effect on the CPU or on a float64 model.
     */
    void setMatmulPrecision(MatmulPrecision precision) {
        matmulPrecision = precision;
    }
    MatmulPrecision getMatmulPrecision() const {
        return matmulPrecision;
    }
    /** Set the matrix-product precision for the lifetime of the scope (a backward pass through the model). */
    MatmulPrecisionScope matmulScope() const {
        return MatmulPrecisionScope(matmulPrecision);
    }
    /** The parameters that require gradients, with their qualified names (as named_parameters()). */
    std::vector<std::pair<std::string, torch::Tensor>> trainableParameters() const;
    /**
     * Stop every parameter from requiring gradients, in place (so for every copy of this model,
     * which share parameters), for a model that is evaluated and never trained here, as in a
     * Context. A TorchScript model's backward pass computes the gradient of every parameter that
     * requires one even where only the positions' gradient is asked for: for a SchNet that is a
     * matrix product per linear layer and a reduction per bias on every force evaluation.
     * Afterwards trainableParameters() is empty. A model with a bool attribute
     * `parameters_frozen` has it set to true: the parameters will not change, so it may keep
     * what depends on them alone between calls (a tabulated SchNet's filter tables).
     */
    void freezeParameters();
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
                           const torch::Tensor& ligandMask, double temperature, bool checkFinite = true,
                           const ForwardExtras& extras = {}) {
        return outputs(positions, atomicNumbers, ligandMask, temperature, checkFinite, extras).energies;
    }
    /**
     * The same as energies(), with the forces of a model that outputs them ([B,N,3], converted
     * from the model's energy unit per nm to kJ/mol/nm like the energies).
     *
     * @param extras  the box (for a model that takes it) and the global parameters
     * @throws OpenMMException also if a model that outputs forces returns anything other than
     *         a pair (energy, forces) with forces shaped like the positions
     */
    ModelOutput outputs(const torch::Tensor& positions, const torch::Tensor& atomicNumbers,
                        const torch::Tensor& ligandMask, double temperature, bool checkFinite = true,
                        const ForwardExtras& extras = {});
    /**
     * Throw an OpenMMException naming the first pose whose energy is not finite.
     *
     * @param energies  [B] energies as returned by energies()
     */
    void checkFinite(const torch::Tensor& energies) const;

private:
    ModelOutput callForward(const torch::Tensor& positions, const torch::Tensor& atomicNumbers,
                            const torch::Tensor& ligandMask, const ForwardExtras& extras, int64_t expectedCount);
    void checkSignature(const c10::FunctionSchema& schema);
    void checkReturns(const c10::FunctionSchema& schema) const;
    torch::jit::Module module;
    std::string origin;
    ModelContract contract = ModelContract::PositionsOnly;
    EnergyUnit energyUnit = EnergyUnit::KJPerMol;
    bool batch = false;
    ForwardOptions options;
    bool boxArgument = false;
    MatmulPrecision matmulPrecision = MatmulPrecision::Float32;
};

} // namespace AffinityPlugin

#endif
