// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_FORCE_H_
#define OPENMM_AFFINITY_FORCE_H_

#include "AffinityExport.h"
#include "AffinityUnits.h"
#include "openmm/Context.h"
#include "openmm/Force.h"
#include <map>
#include <string>
#include <vector>

namespace AffinityPlugin {

class PoseEnsemble;

/**
 * This class adds a learned binding energy to a System: a TorchScript model, run by
 * LibTorch, that maps the positions of a protein–ligand complex to an energy.
 *
 * The model sees the particles added with addParticle(), in the order they were added, each
 * with its atomic number and a flag telling whether it belongs to the ligand. Two model
 * contracts are accepted, told apart by the signature of the model's forward method:
 *
 *  - forward(positions) -> energy, the OpenMM-Torch contract: positions is a [N,3] tensor in
 *    nm and the atom types are baked into the model. If no particles were added, the model
 *    sees every particle of the System, as a TorchForce would.
 *  - forward(positions, atomic_numbers, ligand_mask) -> energy: positions [N,3] (or [B,N,3]
 *    for a batch of poses), atomic_numbers an int64 tensor [N] and ligand_mask a bool
 *    tensor [N]. One trained model then serves any complex. The second contract is chosen
 *    when forward's second and third arguments are named atomic_numbers and ligand_mask, or
 *    when it takes exactly these three arguments, none with a default, and the force has no
 *    global parameters.
 *
 * Models written for OpenMM-Torch's TorchForce run unchanged; this class uses its names and
 * meanings:
 *  - Global parameters (addGlobalParameter()) are passed after the positions (and after
 *    atomic_numbers and ligand_mask for the second contract) as scalar tensors, one argument
 *    each in the order they were added, with their current values in the Context
 *    (Context::setParameter()). Derivatives of the energy with respect to those named by
 *    addEnergyParameterDerivative() are computed by autograd and reported by
 *    State::getEnergyParameterDerivatives().
 *  - With setOutputsForces(true), forward returns (energy, forces), forces shaped like the
 *    positions in the energy's unit per nm, and the forces are applied as returned, with no
 *    autograd (autograd still gives parameter derivatives).
 *  - Arguments with default values may be left out: forward(positions, boxvectors:
 *    Optional[Tensor] = None) is called with the positions alone when the force is not
 *    periodic.
 *
 * Periodic boundary conditions (setUsesPeriodicBoundaryConditions(true)) work in one of two
 * ways, told apart by forward's arguments:
 *  - A positions-only model whose forward takes one argument more than the global parameters
 *    gets the box, as TorchForce gives it: the positions as OpenMM holds them (not wrapped into
 *    the box) and, right after them and before the global parameters, the periodic box vectors
 *    as the rows of a [3,3] tensor in nm.
 *  - Any other model (every model of the second contract) gets no box; each particle it sees
 *    is moved to the periodic image nearest the centre of the ligand (or of the first
 *    particle, if there is no ligand), so that it always sees a whole complex.
 *
 * The energy is a scalar (or [B] for a batch) in the unit named by the model's string
 * attribute energy_unit: "kJ/mol" (the default), "kcal/mol" or "kT". Energies in kT are
 * converted with the temperature set by setTemperature(), and so are returned forces. Forces
 * are -dE/dx, computed by autograd unless the model outputs them, and are applied only to the
 * particles the model sees.
 *
 * computePoseEnergies() evaluates many poses with the Context's current global parameters and
 * (for models that take it) box. A model that outputs forces is scored there by the energy it
 * returns; its forces are not used, and the gradient export differentiates its energy.
 *
 * The model is stored in the Force as the bytes of its file, so a System holding an
 * AffinityForce serializes to XML with the model embedded.
 *
 * Properties (string name → string value, as OpenMM-Torch's TorchForce) tune how platforms
 * run the model; getProperties() lists every one with its value, and setProperty() (or the
 * constructor) rejects an unknown name at once. Recognised:
 *  - "useCUDAGraphs" ("true"/"false", default "false"): capture the model call in a CUDA graph
 *    (CUDA only).
 *  - "CUDAGraphWarmupSteps" (integer ≥ 1, default 10): calls run eagerly before capture.
 *  - "poseBatchSize" (integer ≥ 0): poses per model call in computePoseEnergies(); 0 (the
 *    default) chooses it from "poseMemoryBudgetMiB" on CUDA, and 1 on Reference and CPU.
 *  - "poseMemoryBudgetMiB" (number > 0): memory a model call of a batch of poses
 *    may work with (the positions of all poses come on top), default 1024.
 *  - "matmulPrecision" ("float32" or "tf32", default "float32"): how a float32 model's matrix
 *    products run on CUDA. "tf32" runs them on TF32 tensor cores (inputs rounded to a 10-bit
 *    mantissa, sums in float32): faster linears, with energies and forces 1e-4 to 1e-3
 *    relative from float64's. No effect on Reference, CPU, or a float64 model (Precision
 *    "double").
 */
class OPENMM_EXPORT_AFFINITY AffinityForce : public OpenMM::Force {
public:
    /**
     * Create an AffinityForce whose model is read from a TorchScript file.
     *
     * @param modelFile   the path of a file written by torch.jit.save (or torch::jit::Module::save)
     * @param properties  platform properties, see the class description
     * @throws OpenMMException if the file cannot be read or a property name is unknown
     */
    explicit AffinityForce(const std::string& modelFile, const std::map<std::string, std::string>& properties = {});
    /**
     * Create an AffinityForce from the bytes of a TorchScript file, as held in memory (for
     * example the result of torch.jit.save into a buffer).
     *
     * @param modelBytes  the contents of a TorchScript file
     * @param properties  platform properties, see the class description
     */
    static AffinityForce* fromModelBytes(const std::string& modelBytes,
                                         const std::map<std::string, std::string>& properties = {});
    /** Get the bytes of the TorchScript model this force evaluates. */
    const std::string& getModelBytes() const {
        return modelBytes;
    }
    /** Get the file the model was read from (empty if it was given as bytes). */
    const std::string& getModelFile() const {
        return modelFile;
    }
    /**
     * Add a particle that the model sees.
     *
     * @param systemIndex   the index of the particle in the System
     * @param atomicNumber  its atomic number, 1 to 118
     * @param isLigand      whether it belongs to the ligand (true) or to the receptor (false)
     * @return the index of the particle within this force, which is its row in the model's input
     */
    int addParticle(int systemIndex, int atomicNumber, bool isLigand);
    /** Get the number of particles the model sees (0 means: every particle of the System). */
    int getNumParticles() const {
        return static_cast<int>(particles.size());
    }
    /**
     * Get the parameters of a particle.
     *
     * @param index              the index of the particle within this force
     * @param[out] systemIndex   its index in the System
     * @param[out] atomicNumber  its atomic number
     * @param[out] isLigand      whether it belongs to the ligand
     */
    void getParticleParameters(int index, int& systemIndex, int& atomicNumber, bool& isLigand) const;
    /**
     * Set the parameters of a particle. Atomic numbers and ligand flags may be changed in a
     * Context with updateParametersInContext(); system indices may not.
     */
    void setParticleParameters(int index, int systemIndex, int atomicNumber, bool isLigand);
    /** Get the atomic numbers of the particles, in force order. */
    std::vector<int> getAtomicNumbers() const;
    /** Get the ligand flags of the particles, in force order. */
    std::vector<bool> getLigandMask() const;
    /**
     * Set the temperature, in K, used to convert energies of models that return kT and to
     * define β = 1/(k_B T) for pose combinations. The default is 298.15 K.
     */
    void setTemperature(double kelvin);
    /** Get the temperature, in K. */
    double getTemperature() const {
        return temperature;
    }
    /**
     * Set whether the force uses periodic boundary conditions. When it does, a model whose
     * forward takes the box gets it as a [3,3] tensor in nm after the positions; any other model
     * sees each particle moved to the periodic image nearest the centre of the ligand (see the
     * class description).
     */
    void setUsesPeriodicBoundaryConditions(bool periodic) {
        periodicFlag = periodic;
    }
    /** Get whether the force uses periodic boundary conditions. */
    bool usesPeriodicBoundaryConditions() const override {
        return periodicFlag;
    }
    /**
     * Set whether the model's forward returns (energy, forces) rather than the energy alone.
     * The forces (kJ/mol/nm, or the model's energy_unit per nm), shaped like the positions, are
     * then applied as returned, without autograd. The default is false.
     */
    void setOutputsForces(bool outputsForces) {
        outputsForcesFlag = outputsForces;
    }
    /** Get whether the model's forward returns (energy, forces). */
    bool getOutputsForces() const {
        return outputsForcesFlag;
    }
    /** Get the number of global parameters the model takes. */
    int getNumGlobalParameters() const {
        return static_cast<int>(globalParameters.size());
    }
    /**
     * Add a global parameter that the model takes. Its value, initially the default given here,
     * can be changed with Context::setParameter(); the model gets it as a scalar tensor after
     * the positions (and the box), in the order the parameters were added.
     *
     * @param name          the name of the parameter
     * @param defaultValue  its value in a new Context
     * @return the index of the parameter
     */
    int addGlobalParameter(const std::string& name, double defaultValue);
    /** Get the name of a global parameter, by index. */
    const std::string& getGlobalParameterName(int index) const;
    /** Set the name of a global parameter, by index. */
    void setGlobalParameterName(int index, const std::string& name);
    /** Get the default value of a global parameter, by index. */
    double getGlobalParameterDefaultValue(int index) const;
    /** Set the default value of a global parameter, by index. */
    void setGlobalParameterDefaultValue(int index, double defaultValue);
    /**
     * Ask for the derivative of the energy with respect to a global parameter, computed by
     * autograd and returned by State::getEnergyParameterDerivatives() (in kJ/mol per unit of
     * the parameter). The name must be one of this force's global parameters when a Context is
     * created.
     *
     * @param name  the name of the parameter
     * @return the index of the derivative
     */
    int addEnergyParameterDerivative(const std::string& name);
    /** Get the number of global parameters whose energy derivatives are computed. */
    int getNumEnergyParameterDerivatives() const {
        return static_cast<int>(energyParameterDerivatives.size());
    }
    /** Get the name of the parameter of an energy derivative, by index. */
    const std::string& getEnergyParameterDerivativeName(int index) const;
    /**
     * Set a platform property (see the class description).
     *
     * @throws OpenMMException naming the known properties if the name is unknown
     */
    void setProperty(const std::string& name, const std::string& value);
    /** Get the platform properties: every known property, with its default unless it was set. */
    const std::map<std::string, std::string>& getProperties() const {
        return properties;
    }
    /**
     * Copy the temperature, atomic numbers and ligand flags into a Context. The number of
     * particles, their system indices and the model cannot be changed this way.
     */
    void updateParametersInContext(OpenMM::Context& context);
    /**
     * Evaluate the model for many poses of the complex, on the platform and device of a
     * Context, without changing the Context's positions. Poses are scored in batches when
     * the model declares supports_batch.
     *
     * @param context  a Context whose System holds this force
     * @param poses    the poses; their atoms are this force's particles, in force order,
     *                 with the same atomic numbers
     * @return the energy of each pose, in kJ/mol
     */
    std::vector<double> computePoseEnergies(OpenMM::Context& context, const PoseEnsemble& poses) const;

protected:
    OpenMM::ForceImpl* createImpl() const override;

private:
    AffinityForce() = default;
    struct ParticleInfo {
        int systemIndex;
        int atomicNumber;
        bool isLigand;
    };
    struct GlobalParameter {
        std::string name;
        double defaultValue;
    };
    void checkParticleIndex(int index) const;
    void checkGlobalParameterIndex(int index) const;
    void setProperties(const std::map<std::string, std::string>& given);
    std::string modelBytes;
    std::string modelFile;
    std::vector<ParticleInfo> particles;
    std::map<std::string, std::string> properties;
    double temperature = DefaultTemperature;
    bool periodicFlag = false;
    bool outputsForcesFlag = false;
    std::vector<GlobalParameter> globalParameters;
    std::vector<std::string> energyParameterDerivatives;
};

} // namespace AffinityPlugin

#endif
