// SPDX-License-Identifier: MIT
#include "internal/PoseUpload.h"
#include "openmm/OpenMMException.h"
#include <sstream>

using namespace AffinityPlugin;
using OpenMM::OpenMMException;

void AffinityPlugin::checkPosesFit(const PoseEnsemble& poses, const BoundModel& model, const std::string& who) {
    const ComplexTopology& topology = model.topology;
    const int numAtoms = topology.getNumAtoms();
    if (poses.getNumAtoms() != numAtoms) {
        std::stringstream msg;
        msg << who << ": the poses have " << poses.getNumAtoms() << " atoms; expected " << numAtoms
            << ", the atoms the model sees";
        throw OpenMMException(msg.str());
    }
    if (model.model.getContract() == ModelContract::PositionsAtomicNumbersLigandMask) {
        // Compared on the host copies: reading the device tensors element by element cost
        // milliseconds per call, more than a small batch's evaluation.
        const std::vector<int>& numbers = topology.hostAtomicNumbers();
        const std::vector<bool>& mask = topology.hostLigandMask();
        for (int i = 0; i < numAtoms; i++)
            if (numbers[i] != poses.getAtomicNumbers()[i] || mask[i] != poses.getLigandMask()[i]) {
                std::stringstream msg;
                msg << who << ": atom " << i << " of the poses has atomic number " << poses.getAtomicNumbers()[i]
                    << (poses.getLigandMask()[i] ? " (ligand)" : " (receptor)") << "; expected " << numbers[i]
                    << (mask[i] ? " (ligand)" : " (receptor)");
                throw OpenMMException(msg.str());
            }
    }
    poses.validate(who);
}

torch::Tensor AffinityPlugin::uploadPosesFor(const BoundModel& model, const PoseEnsemble& poses, int first, int count) {
    // from_blob views the ensemble's own storage; the one copy is the transfer to the
    // model's device and dtype.
    auto view = torch::from_blob(const_cast<double*>(poses.getPosePositions(first)), {count, model.getNumAtoms(), 3},
                                 torch::kFloat64);
    return view.to(model.device, model.dtype, /*non_blocking=*/false, /*copy=*/true);
}
