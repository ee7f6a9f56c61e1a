// SPDX-License-Identifier: MIT
// affinity-train: train a TorchScript affinity model on docked pose groups with the
// one-pose-at-a-time gradients of combinedGradient(). See README.md and --help. Under
// `mpirun -n K` the ranks share each step's ligands (Trainer.h); rank 0 writes the outputs.

#include "AffinityModel.h"
#include "AtomConvention.h"
#include "ModelAttributes.h"
#include "ProcessGroup.h"
#include "ScoringOptions.h"
#include "TargetTable.h"
#include "TrainOptions.h"
#include "Trainer.h"
#include "TrainingLigand.h"
#include "TrainingLog.h"
#include "openmm/OpenMMException.h"
#include <iostream>
#include <memory>
#include <unistd.h>

using namespace AffinityTrain;

int main(int argc, char** argv) {
    std::unique_ptr<AffinityCli::ProcessGroup> group;
    try {
        group = std::make_unique<AffinityCli::ProcessGroup>();
        TrainOptions options = parseTrainOptions(argc, argv);
        // Under mpirun, "cuda" is the GPU of this rank's index on its host.
        options.deviceName = AffinityCli::deviceOfRank(options.deviceName, *group);
        AffinityPlugin::AffinityModel model = AffinityCli::loadModelFile(options.model);
        ComplexSettings settings;
        // As affinity-rescore does: a model that declares its pocket keeps it unless asked otherwise.
        settings.pocketCutoff = AffinityCli::resolvePocketCutoff(
            options, AffinityCli::declaredPocketCutoff(model.getModule(), options.model));
        options.pocketCutoff = settings.pocketCutoff;
        settings.cacheDirectory = options.cache;
        try {
            settings.convention = AffinityCli::resolveAtomConvention(
                options.atomConvention, AffinityCli::declaredAtomConvention(model.getModule(), options.model),
                options.model);
        } catch (const std::runtime_error& e) {
            throw OpenMM::OpenMMException("affinity-train: " + std::string(e.what()));
        }
        options.atomConvention = AffinityCli::atomConventionName(settings.convention);
        std::vector<TrainingLigand> ligands;
        if (options.manifest.empty())
            ligands = loadTrainingLigands(options.poses, options.receptor, readTargetTable(options.targets), settings,
                                          std::cerr);
        else
            ligands = loadManifestLigands(readManifest(options.manifest, options.subset), settings, std::cerr);
        Trainer trainer(std::move(model), std::move(ligands), options, *group);
        trainer.run(std::cout, std::cerr, isatty(STDERR_FILENO) != 0);
        if (!group->isRoot())
            return 0;
        if (!options.predictions.empty())
            writePredictions(options.predictions, trainer.predict());
        trainer.saveModel(options.output);
        if (!options.quiet)
            std::cout << "affinity-train: wrote " << options.output << std::endl;
        return 0;
    } catch (const std::exception& e) {
        const std::string message = e.what();
        std::cerr << (message.rfind("affinity-train", 0) == 0 ? "" : "affinity-train: ") << message << std::endl;
        // The other ranks may be waiting for this one in a collective: end them all.
        if (group && group->size() > 1)
            group->abort(1);
        return 1;
    }
}
