// SPDX-License-Identifier: MIT
#include "Trainer.h"
#include "AffinityUnits.h"
#include "ModelAttributes.h"
#include "ProgressReport.h"
#include "RankShare.h"
#include "TorchDevice.h"
#include "TorchPrecision.h"
#include "openmm/OpenMMException.h"
#include <chrono>
#include <cmath>
#include <iomanip>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <torch/csrc/jit/runtime/graph_executor.h>

using namespace AffinityPlugin;
using OpenMM::OpenMMException;

namespace AffinityTrain {

namespace {

double nan() {
    return std::numeric_limits<double>::quiet_NaN();
}

double meanOf(double sum, size_t count) {
    return count > 0 ? sum / (double)count : nan();
}

/** Each ligand's value in a column of its table, checking that the table has the column. */
std::vector<std::string> groupsOf(const std::vector<TrainingLigand>& ligands, const std::string& column,
                                  const std::string& option) {
    std::vector<std::string> groups;
    if (column.empty())
        return groups;
    for (const TrainingLigand& ligand : ligands) {
        if (!ligand.row.hasColumn(column))
            throw OpenMMException("affinity-train: " + option + " " + column + ": the table of ligand '" + ligand.name +
                                  "' (line " + std::to_string(ligand.row.line) + ") has no column '" + column + "'");
        groups.push_back(ligand.row.column(column));
    }
    return groups;
}

} // namespace

Trainer::Trainer(AffinityModel m, std::vector<TrainingLigand> l, const TrainOptions& o,
                 const AffinityCli::ProcessGroup& g)
    : model(std::move(m)), ligands(std::move(l)), options(o), group(g) {
    // The ranks share a step between two-pass's passes: the energies of pass 1 are exchanged
    // before the loss, and each rank's pass 2 adds its own ligands' gradient.
    if (group.size() > 1 && options.strategy != "two-pass")
        throw OpenMMException("affinity-train: --strategy " + options.strategy + " cannot be shared by " +
                              std::to_string(group.size()) +
                              " processes; expected --strategy two-pass (the default) under mpirun");
    const torch::Device device = AffinityPlugin::torchDevice(options.deviceName);
    const torch::ScalarType dtype = AffinityCli::torchDtype(options.precisionKind, device, model.parameterDtype());
    model.setMatmulPrecision(AffinityCli::matmulPrecision(options.precisionKind));
    // Scorers first: each moves the (shared) model to the device and dtype, and the optimizer
    // must hold the parameters as they are after that.
    for (const TrainingLigand& ligand : ligands)
        scorers.emplace_back(model, ligand.poses.getAtomicNumbers(), ligand.poses.getLigandMask(), device, dtype,
                             options.temperature);
    auto parameters = model.trainableParameters();
    if (parameters.empty())
        throw OpenMMException("affinity-train: the model in " + model.getOrigin() +
                              " has no trainable parameters (none requires gradients); expected a model to train");
    combination = Combination::fromName(options.combination, options.maxScale);
    readout = Readout::fromName(options.readout, options.substrateConcentration, options.michaelisConstant);
    if (options.poseWeight > 0.0)
        for (const TrainingLigand& ligand : ligands)
            for (size_t p = 0; p < ligand.dockingScores.size(); p++)
                if (!std::isfinite(ligand.dockingScores[p]))
                    throw OpenMMException(
                        "affinity-train: --pose-weight needs a docking score for every pose, but pose " +
                        std::to_string(p + 1) + " of ligand '" + ligand.name + "' has no 'REMARK VINA RESULT' line");
    std::vector<std::string> names;
    for (const TrainingLigand& ligand : ligands)
        names.push_back(ligand.name);
    split = options.validationBy.empty() ? splitLigands(names, options.validationFraction, options.seed)
                                         : splitGroups(groupsOf(ligands, options.validationBy, "--validation-by"),
                                                       options.validationFraction, options.seed);
    stepGroups = groupsOf(ligands, options.groupBy, "--group-by");
    if (!options.lossModule.empty())
        setLoss = std::make_unique<TorchScriptSetLoss>(TorchScriptSetLoss::fromFile(options.lossModule));
    else
        setLoss = ligandSetLossFromName(options.loss == "gnll" ? "gaussian-nll" : options.loss);
    setLoss->setReadout(readout);
    squaredError.setReadout(readout);
    if (options.poseWeight > 0.0)
        setLoss->setPoseWeight(options.poseWeight);
    if (options.mseWeight > 0.0 && options.strategy != "two-pass")
        throw OpenMMException("affinity-train: --mse-weight adds a second loss, which needs --strategy two-pass; this "
                              "run has --strategy " +
                              options.strategy);
    if (options.loss == "gnll" && options.sigmaColumn.empty())
        throw OpenMMException("affinity-train: --loss gnll needs each ligand's uncertainty: name its column with "
                              "--sigma-column");
    optimizer = std::make_unique<ParameterOptimizer>(parameters, options.optimizer);
    if (!options.resume.empty()) {
        TrainingProgress progress = optimizer->loadCheckpoint(options.resume);
        if (progress.seed != options.seed)
            throw OpenMMException("affinity-train: the checkpoint " + options.resume + " was written with --seed " +
                                  std::to_string(progress.seed) + "; this run has --seed " +
                                  std::to_string(options.seed) + " (the split would differ)");
        // A checkpoint of the first format recorded no options, so there is nothing to compare.
        const std::vector<std::string> differences =
            progress.settings.empty() ? std::vector<std::string>()
                                      : settingDifferences(progress.settings, trainingSettings(options));
        if (!differences.empty() && !options.resumeWithNewOptions) {
            std::string list;
            for (const std::string& difference : differences)
                list += "\n  " + difference;
            throw OpenMMException("affinity-train: the checkpoint " + options.resume +
                                  " was written with other options than this run's:" + list +
                                  "\ngive the same options, or --resume-with-new-options to continue with this run's");
        }
        firstEpoch = progress.epoch + 1;
    }
}

double Trainer::lossTarget(const TrainingLigand& ligand) const {
    // ΔG targets are given in kcal/mol, and the loss compares kJ/mol; readouts are unitless.
    return readout.getKind() == Readout::None ? ligand.target * KJPerKcal : ligand.target;
}

double Trainer::readoutOf(double deltaG) const {
    double beta = betaForTemperature(options.temperature);
    return readout.getKind() == Readout::None ? deltaG / KJPerKcal : readout.apply(deltaG, beta);
}

AffinityLoss Trainer::lossOf(const TrainingLigand& ligand) const {
    AffinityLoss loss(lossTarget(ligand), readout);
    if (options.poseWeight > 0.0) {
        std::vector<double> poseTargets;
        for (double score : ligand.dockingScores)
            poseTargets.push_back(score * KJPerKcal);
        loss.setPoseTargets(poseTargets, options.poseWeight);
    }
    return loss;
}

LigandTerm Trainer::termOf(int index) {
    const TrainingLigand& ligand = ligands[index];
    LigandTerm term;
    term.scorer = &scorers[index];
    term.poses = &ligand.poses;
    term.target = lossTarget(ligand);
    if (!options.sigmaColumn.empty()) {
        const std::string text = ligand.row.column(options.sigmaColumn);
        char* end = nullptr;
        term.sigma = std::strtod(text.c_str(), &end);
        if (text.empty() || *end != '\0' || !(term.sigma > 0.0) || !std::isfinite(term.sigma))
            throw OpenMMException("affinity-train: ligand '" + ligand.name + "' (line " +
                                  std::to_string(ligand.row.line) + ") has " + options.sigmaColumn + " '" + text +
                                  "'; expected a positive number");
        if (readout.getKind() == Readout::None)
            term.sigma *= KJPerKcal;
    }
    if (options.poseWeight > 0.0)
        for (double score : ligand.dockingScores)
            term.poseTargets.push_back(score * KJPerKcal);
    return term;
}

double Trainer::setLossOf(const std::vector<int>& set, bool gradients, const CombinedGradientOptions& gradientOptions,
                          std::vector<double>& deltaG) {
    std::vector<LigandTerm> terms;
    for (int index : set)
        terms.push_back(termOf(index));
    if (options.mseWeight == 0.0 && group.size() == 1) {
        const SetGradientResult result = gradients ? combinedGradient(terms, *combination, *setLoss, gradientOptions)
                                                   : evaluateLigandSet(terms, *combination, *setLoss, gradientOptions);
        deltaG = result.scores.deltaG();
        return result.loss;
    }
    // Pass 1 (this rank's share of the set), the losses on every ligand's ΔG_l and G_l,n, then
    // pass 2 with their derivatives: two losses add their derivatives before the one pass 2,
    // and ranks exchange the energies of their shares.
    const RankShare share(group, (int)terms.size());
    const std::vector<LigandTerm> myTerms(terms.begin() + share.first(), terms.begin() + share.last());
    const LigandSetScores myScores =
        myTerms.empty() ? LigandSetScores() : scoreLigandSet(myTerms, *combination, gradientOptions);
    const LigandSetScores scores = group.size() == 1 ? myScores : share.allScores(terms, myScores, *combination);
    LigandSetValues values;
    values.deltaG = deltaG = scores.deltaG();
    values.poseEnergies = scores.energies;
    for (const LigandTerm& term : terms) {
        values.targets.push_back(term.target);
        values.sigmas.push_back(term.sigma);
        values.poseTargets.push_back(term.poseTargets);
        values.betas.push_back(betaForTemperature(options.temperature));
    }
    SetLossValue total = setLoss->evaluate(values);
    if (options.mseWeight > 0.0) {
        const SetLossValue calibration = squaredError.evaluate(values);
        total.value += options.mseWeight * calibration.value;
        for (size_t l = 0; l < terms.size(); l++) {
            total.byLigand[l] += options.mseWeight * calibration.byLigand[l];
            for (size_t n = 0; n < total.byPose[l].size(); n++)
                total.byPose[l][n] += options.mseWeight * calibration.byPose[l][n];
        }
    }
    if (gradients && !myTerms.empty()) {
        const std::vector<double> myByLigand(total.byLigand.begin() + share.first(),
                                             total.byLigand.begin() + share.last());
        const std::vector<std::vector<double>> myByPose =
            total.byPose.empty() ? total.byPose
                                 : std::vector<std::vector<double>>(total.byPose.begin() + share.first(),
                                                                    total.byPose.begin() + share.last());
        addLigandSetGradient(myTerms, myScores, myByLigand, myByPose, gradientOptions);
    }
    return total.value;
}

std::vector<std::vector<int>> Trainer::validationSets() const {
    if (stepGroups.empty())
        return split.validation.empty() ? std::vector<std::vector<int>>()
                                        : std::vector<std::vector<int>>{split.validation};
    std::map<std::string, std::vector<int>> groups;
    for (int index : split.validation)
        groups[stepGroups[index]].push_back(index);
    std::vector<std::vector<int>> sets;
    for (auto& [name, members] : groups)
        sets.push_back(std::move(members));
    return sets;
}

LigandPrediction Trainer::evaluate(int index) {
    const TrainingLigand& ligand = ligands[index];
    std::vector<double> energies =
        scorers[index].poseEnergies(ligand.poses, options.batchSize, options.memoryBudgetMiB);
    CombinationResult combined = combination->combine(energies, options.temperature);
    LigandPrediction prediction;
    prediction.ligand = ligand.name;
    prediction.target = ligand.target;
    prediction.deltaG = combined.deltaG;
    prediction.predicted = readoutOf(combined.deltaG);
    prediction.loss = lossOf(ligand).value(combined.deltaG, energies, betaForTemperature(options.temperature));
    return prediction;
}

std::vector<LigandPrediction> Trainer::predict() {
    torch::jit::GraphOptimizerEnabledGuard plainGraphs(false);
    std::vector<LigandPrediction> predictions;
    for (int i = 0; i < (int)ligands.size(); i++)
        predictions.push_back(evaluate(i));
    for (int v : split.validation)
        predictions[v].validation = true;
    return predictions;
}

void Trainer::run(std::ostream& report, bool progressShown) {
    using Clock = std::chrono::steady_clock;
    // Ligands differ in size, so graphs that the JIT would specialise on each new shape would
    // rarely be reused (as in affinity-rescore); run the model's graph as written.
    torch::jit::GraphOptimizerEnabledGuard plainGraphs(false);
    CombinedGradientOptions gradientOptions;
    gradientOptions.strategy = gradientStrategyFromName(options.strategy);
    gradientOptions.batchSize = options.batchSize;
    gradientOptions.memoryBudgetMiB = options.memoryBudgetMiB;
    // Rank 0 alone logs, reports and writes checkpoints; every rank trains.
    const bool reporting = !options.quiet && group.isRoot();
    TrainingLog log(group.isRoot() ? options.log : std::string(), !options.resume.empty());
    const auto parameters = model.trainableParameters();
    if (reporting) {
        int poses = 0;
        for (const TrainingLigand& ligand : ligands)
            poses += ligand.poses.getNumPoses();
        report << "affinity-train: " << ligands.size() << " ligands (" << split.training.size() << " training, "
               << split.validation.size() << " validation), " << poses << " poses; " << options.combination
               << " combination, " << options.strategy << " gradients, " << options.optimizer.method << " on "
               << options.device;
        if (group.size() > 1)
            report << ", " << group.size() << " processes sharing each step's ligands";
        report << "\n";
        if (firstEpoch > options.epochs)
            report << "affinity-train: the checkpoint has all " << options.epochs << " epochs; nothing to train\n";
    }
    for (int epoch = firstEpoch; epoch <= options.epochs; epoch++) {
        auto start = Clock::now();
        const std::vector<std::vector<int>> steps =
            epochSteps(split.training, stepGroups, options.ligandsPerStep, options.seed, epoch);
        const std::vector<int> order = split.training;
        double lossSum = 0.0, squaredErrorSum = 0.0;
        size_t k = 0;
        AffinityCli::ProgressReport bar((double)order.size(), "ligands", progressShown && reporting);
        for (const std::vector<int>& step : steps) {
            optimizer->zeroGradients();
            std::vector<double> deltaG;
            const double loss = setLossOf(step, true, gradientOptions, deltaG);
            lossSum += loss * (double)step.size();
            for (size_t i = 0; i < step.size(); i++) {
                const double error = readoutOf(deltaG[i]) - ligands[step[i]].target;
                squaredErrorSum += error * error;
            }
            k += step.size();
            std::ostringstream details;
            details << "epoch " << epoch << "/" << options.epochs << ", ligand " << k << "/" << order.size()
                    << ", mean loss " << std::setprecision(4) << lossSum / (double)k;
            bar.update((double)k, (long long)k, details.str());
            sumGradientsOverRanks(group, parameters);
            optimizer->step();
        }
        EpochRecord record;
        record.epoch = epoch;
        record.trainingLoss = meanOf(lossSum, order.size());
        record.trainingRmse = std::sqrt(meanOf(squaredErrorSum, order.size()));
        double validationLoss = 0.0, validationSquaredError = 0.0;
        for (const std::vector<int>& set : validationSets()) {
            std::vector<double> deltaG;
            validationLoss += setLossOf(set, false, gradientOptions, deltaG) * (double)set.size();
            for (size_t i = 0; i < set.size(); i++) {
                const double error = readoutOf(deltaG[i]) - ligands[set[i]].target;
                validationSquaredError += error * error;
            }
        }
        record.validationLoss = meanOf(validationLoss, split.validation.size());
        record.validationRmse = std::sqrt(meanOf(validationSquaredError, split.validation.size()));
        record.learningRate = options.optimizer.learningRate;
        record.seconds = std::chrono::duration<double>(Clock::now() - start).count();
        log.write(record);
        if (!options.checkpoint.empty() && group.isRoot())
            optimizer->saveCheckpoint(options.checkpoint,
                                      TrainingProgress{epoch, options.seed, trainingSettings(options)});
        if (reporting) {
            bar.clear();
            std::string unit = readout.getKind() == Readout::None ? " kcal/mol" : "";
            report << "epoch " << std::setw(3) << epoch << "/" << options.epochs << "  train loss "
                   << std::setprecision(5) << record.trainingLoss << " (RMSE " << record.trainingRmse << unit
                   << ")  validation loss " << record.validationLoss << " (RMSE " << record.validationRmse << unit
                   << ")  " << std::fixed << std::setprecision(1) << record.seconds << " s" << std::defaultfloat
                   << std::endl;
        }
    }
}

void Trainer::saveModel(std::ostream& out) {
    model.to(torch::kCPU, model.parameterDtype());
    // What the model was trained on, so that affinity-rescore builds its complexes the same way
    // and can tell a complex outside what it saw.
    std::set<int> elements;
    for (const TrainingLigand& ligand : ligands)
        elements.insert(ligand.poses.getAtomicNumbers().begin(), ligand.poses.getAtomicNumbers().end());
    AffinityCli::declareAtomConvention(model.getModule(), options.atomConvention);
    AffinityCli::declareTrainingElements(model.getModule(), std::vector<int>(elements.begin(), elements.end()));
    AffinityCli::declarePocketCutoff(model.getModule(), options.pocketCutoff);
    try {
        model.getModule().save(out);
    } catch (const c10::Error& e) {
        throw OpenMMException("affinity-train: cannot write the model: " + std::string(e.what_without_backtrace()));
    }
}

} // namespace AffinityTrain
