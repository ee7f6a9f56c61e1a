// affinity-train: train a TorchScript affinity model on docked pose groups with the
// one-pose-at-a-time gradients of combinedGradient(). See README.md and --help.

#include "AffinityModel.h"
#include "TargetTable.h"
#include "TrainOptions.h"
#include "Trainer.h"
#include "TrainingLigand.h"
#include "TrainingLog.h"
#include "openmm/OpenMMException.h"
#include <iostream>
#include <unistd.h>

using namespace AffinityTrain;

int main(int argc, char** argv) {
    try {
        TrainOptions options = parseTrainOptions(argc, argv);
        std::vector<LigandTarget> targets = readTargetTable(options.targets);
        std::vector<TrainingLigand> ligands =
            loadTrainingLigands(options.poses, options.receptor, targets, options.pocketCutoff, std::cerr);
        Trainer trainer(AffinityPlugin::AffinityModel::fromFile(options.model), std::move(ligands), options);
        trainer.run(std::cout, std::cerr, isatty(STDERR_FILENO) != 0);
        if (!options.predictions.empty())
            writePredictions(options.predictions, trainer.predict());
        trainer.saveModel(options.output);
        if (!options.quiet)
            std::cout << "affinity-train: wrote " << options.output << std::endl;
        return 0;
    } catch (const std::exception& e) {
        std::cerr << e.what() << std::endl;
        return 1;
    }
}
