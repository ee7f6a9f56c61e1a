// SPDX-License-Identifier: MIT
// affinity-train: train a TorchScript affinity model on docked pose groups with the
// one-pose-at-a-time gradients of combinedGradient(). See README.md and --help. Under
// `mpirun -n K` the ranks share each step's ligands (Trainer.h); rank 0 writes the outputs.

#include "AffinityModel.h"
#include "AtomConvention.h"
#include "DistinctPaths.h"
#include "ExitStatus.h"
#include "ModelAttributes.h"
#include "OutputFile.h"
#include "PendingTemporaryFiles.h"
#include "ProcessGroup.h"
#include "ProgressReport.h"
#include "ScoringOptions.h"
#include "TargetTable.h"
#include "TrainOptions.h"
#include "Trainer.h"
#include "TrainingLigand.h"
#include "TrainingLog.h"
#include "openmm/OpenMMException.h"
#include <iostream>
#include <memory>

using namespace AffinityTrain;
using AffinityCli::NamedPath;

namespace {

/**
 * Every output is checked before training starts, so that a run does not train for hours and
 * then find it cannot write: no output is an input or another output (--checkpoint may be
 * the --resume it continues from, which it then replaces), and each can be created.
 */
void checkOutputPaths(const TrainOptions& options) {
    const std::vector<NamedPath> inputs = {{"--model", options.model},       {"--poses", options.poses},
                                           {"--receptor", options.receptor}, {"--targets", options.targets},
                                           {"--manifest", options.manifest}, {"--loss-module", options.lossModule}};
    const std::vector<NamedPath> written = {
        {"--output", options.output}, {"--predictions", options.predictions}, {"--log", options.log}};
    std::vector<NamedPath> outputs = written;
    outputs.push_back({"--checkpoint", options.checkpoint});
    AffinityCli::checkDistinctPaths(inputs, outputs);
    AffinityCli::checkDistinctPaths({{"--resume", options.resume}}, written);
    AffinityCli::checkWritableLocation({"--log", options.log});
    AffinityCli::checkWritableLocation({"--checkpoint", options.checkpoint});
}

/** What a failed write of the final outputs leaves of the training. */
std::string whereTheModelIs(const TrainOptions& options) {
    if (options.checkpoint.empty())
        return "; no --checkpoint was given, so the trained parameters are lost (give --checkpoint to keep them)";
    return "; the trained parameters are not lost: the checkpoint " + options.checkpoint +
           " holds them after the last epoch; free space and rerun the same command with --resume " +
           options.checkpoint + " to write the outputs without training again";
}

} // namespace

int main(int argc, char** argv) {
    std::unique_ptr<AffinityCli::ProcessGroup> group;
    AffinityCli::PendingTemporaryFiles::removeOnSignal();
    try {
        group = std::make_unique<AffinityCli::ProcessGroup>();
        TrainOptions options;
        int status = AffinityCli::Success;
        if (!parseTrainOptions(argc, argv, options, status))
            return status;
        // Under mpirun, "cuda" is the GPU of this rank's index on its host.
        options.deviceName = AffinityCli::deviceOfRank(options.deviceName, *group);
        // Rank 0 alone writes: it alone checks the outputs and opens them.
        std::unique_ptr<AffinityCli::OutputFile> modelOutput, predictionsOutput;
        if (group->isRoot()) {
            try {
                checkOutputPaths(options);
            } catch (const std::runtime_error& e) {
                throw OpenMM::OpenMMException("affinity-train: " + std::string(e.what()));
            }
            // Created now (as temporary files beside them), so that an output that cannot be
            // written stops the run before training; put in place together after it.
            modelOutput = std::make_unique<AffinityCli::OutputFile>(options.output, "--output");
            if (!options.predictions.empty())
                predictionsOutput = std::make_unique<AffinityCli::OutputFile>(options.predictions, "--predictions");
        }
        AffinityPlugin::AffinityModel model = AffinityCli::loadModelFile(options.model);
        ComplexSettings settings;
        // As affinity-rescore does: a model that declares its pocket keeps it unless asked otherwise.
        settings.pocketCutoff = AffinityCli::resolvePocketCutoff(
            options, AffinityCli::declaredPocketCutoff(model.getModule(), options.model));
        options.pocketCutoff = settings.pocketCutoff;
        settings.cacheDirectory = options.cache;
        settings.ligandTag = options.poseInput.ligandTag;
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
            ligands = loadTrainingLigands(options.poses, options.poseFiles, options.receptor,
                                          readTargetTable(options.targets, options.targetColumn), settings, std::cerr);
        else
            ligands = loadManifestLigands(readManifest(options.manifest, options.subset, options.targetColumn),
                                          settings, std::cerr);
        Trainer trainer(std::move(model), std::move(ligands), options, *group);
        trainer.run(std::cout, AffinityCli::ProgressReport::shownOnStderr(options.quiet));
        if (!group->isRoot())
            return AffinityCli::Success;
        std::vector<AffinityCli::OutputFile*> outputs = {modelOutput.get()};
        if (predictionsOutput) {
            writePredictions(predictionsOutput->stream(), trainer.predict());
            outputs.push_back(predictionsOutput.get());
        }
        trainer.saveModel(modelOutput->stream());
        try {
            AffinityCli::commitTogether(outputs);
        } catch (const std::runtime_error& e) {
            throw OpenMM::OpenMMException("affinity-train: " + std::string(e.what()) + whereTheModelIs(options));
        }
        if (!options.quiet)
            std::cout << "affinity-train: wrote " << options.output << std::endl;
        return AffinityCli::Success;
    } catch (const std::exception& e) {
        const std::string message = e.what();
        std::cerr << (message.rfind("affinity-train", 0) == 0 ? "" : "affinity-train: ") << message << std::endl;
        // The other ranks may be waiting for this one in a collective: end them all.
        if (group && group->size() > 1)
            group->abort(AffinityCli::Failure);
        return AffinityCli::Failure;
    }
}
