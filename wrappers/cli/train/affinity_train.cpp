// SPDX-License-Identifier: MIT
// affinity-train: train a TorchScript affinity model on docked pose groups with the
// one-pose-at-a-time gradients of combinedGradient(). See README.md and --help.

#include "AffinityModel.h"
#include "AtomConvention.h"
#include "ExitStatus.h"
#include "ModelAttributes.h"
#include "ProgressReport.h"
#include "ScoringOptions.h"
#include "TargetTable.h"
#include "TrainOptions.h"
#include "Trainer.h"
#include "TrainingLigand.h"
#include "TrainingLog.h"
#include "openmm/OpenMMException.h"
#include <iostream>

using namespace AffinityTrain;

int main(int argc, char** argv) {
    TrainOptions options;
    int status = AffinityCli::Success;
    if (!parseTrainOptions(argc, argv, options, status))
        return status;
    try {
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
            ligands = loadTrainingLigands(options.poses, options.receptor,
                                          readTargetTable(options.targets, options.targetColumn), settings, std::cerr);
        else
            ligands = loadManifestLigands(readManifest(options.manifest, options.subset, options.targetColumn),
                                          settings, std::cerr);
        Trainer trainer(std::move(model), std::move(ligands), options);
        trainer.run(std::cout, AffinityCli::ProgressReport::shownOnStderr(options.quiet));
        if (!options.predictions.empty())
            writePredictions(options.predictions, trainer.predict());
        trainer.saveModel(options.output);
        if (!options.quiet)
            std::cout << "affinity-train: wrote " << options.output << std::endl;
        return AffinityCli::Success;
    } catch (const std::exception& e) {
        const std::string message = e.what();
        std::cerr << (message.rfind("affinity-train", 0) == 0 ? "" : "affinity-train: ") << message << std::endl;
        return AffinityCli::Failure;
    }
}
