// SPDX-License-Identifier: MIT
#include "TrainOptions.h"
#include "ToolCommandLine.h"
#include <algorithm>
#include <boost/program_options.hpp>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <sys/stat.h>

namespace po = boost::program_options;

namespace AffinityTrain {

namespace {

const char* const Description = R"(Trains a TorchScript affinity model on docked pose groups.

Each ligand's poses are combined into one ΔG (mean, smooth min/max or Boltzmann). Each
optimizer step takes a set of --ligands-per-step ligands (from one group of --group-by, e.g. a
congeneric series) and a loss over the set (--loss):
  mse          (1/L) sum_l (r(ΔG_l) - y_l)^2
  centred-mse  the same after removing the set's mean residual: only relative values count
  ranking      mean over pairs of ln(1 + exp(-sign(y_i - y_j)(r_i - r_j))), in the target's unit
  gnll         Gaussian negative log-likelihood with each ligand's sigma (--sigma-column)
or a TorchScript loss (--loss-module, forward(predictions, pose_predictions, targets[, sigmas
[, pose_targets]]) -> scalar). The loss is differentiated one pose at a time (combinedGradient),
so a model over the whole complex trains with one autograd graph alive at a time.

Input, one receptor:
  --poses DIR      one pose file per ligand, DIR/<ligand>.pdbqt (Vina's multi-model output),
                   or <ligand>.sdf or .mol2 (optionally .gz); every record is a pose, whatever
                   its title. A quoted pattern ('docked/*.pdbqt', expanded by the tool with
                   glob(3)) takes the per-ligand files it matches instead, each named after
                   its file (a pattern matching no file is an error, exit status 2). Standard
                   input, a pipe or a device names no ligand and is refused.
  --receptor FILE  the receptor (PDB, PDBQT or mmCIF); each complex is its atoms within
                   --pocket-cutoff of any pose, then the ligand's atoms (read as
                   affinity-rescore reads them, with Open Babel)
  --targets CSV    a header with columns 'ligand' and 'target', one row per ligand
Input, many receptors:
  --manifest CSV   one row per ligand with the columns ligand (the title of its records in
                   the pose file), receptor, poses (files relative to the manifest; a pose
                   file may hold many ligands) and target, and optionally series, split and
                   others (for --subset, --group-by, --validation-by). Each receptor and each
                   pose file is read once; --cache DIR keeps the built complexes for later runs.
                   With --ligand-tag NAME, the ligand column names the value of each record's
                   SD tag NAME (PDBQT: a line "REMARK NAME = value") instead of its title. A
                   record with an empty title (or without the tag) is an error naming it.
Atoms: as in affinity-rescore, every hydrogen is dropped by default (--atom-convention
heavy-atoms), so the files' spelling of hydrogens does not matter. The trained model records
the convention, the pocket cutoff and the elements it saw (its attributes atom_convention,
pocket_cutoff_nm, training_elements), and affinity-rescore builds its complexes the same way.
CSV input (targets, manifest) may be quoted as RFC 4180 writes it (a field in double quotes may
hold commas, line breaks and doubled quotes), with a UTF-8 byte-order mark and CRLF line ends:
affinity-rescore's --out can be read back as --targets with --target-column.
Processes: under `mpirun -n K` (a build with MPI) the ranks share each step's ligands, sum
their gradients and take the same step, so the run equals one process with the same
--ligands-per-step (to rounding); rank 0 writes the log, checkpoints and outputs; --device
cuda gives each rank the GPU of its index on its host; --strategy must be two-pass.

On stdout: one line per epoch. On stderr: errors, skipped input, and on a terminal (unless
--quiet) a progress bar with the rate and the time left in the epoch.
)";

void require(bool condition, const std::string& message) {
    if (!condition)
        throw AffinityCli::CommandLineError(message);
}

/** Check what the parser cannot: values, and options that need or exclude others. */
void checkTrainOptions(const po::variables_map& vm, TrainOptions& o, const std::string& targetKind,
                       const std::string& dtype) {
    auto takeEarlierName = [&](const char* earlierName, const char* name, const std::string& value, std::string& into) {
        require(!vm.count(earlierName) || !vm.count(name) || vm[name].defaulted(),
                std::string("--") + earlierName + " and --" + name + " name one option; give one of them");
        if (vm.count(earlierName))
            into = value;
    };
    takeEarlierName("target-kind", "readout", targetKind, o.readout);
    takeEarlierName("dtype", "precision", dtype, o.precision);
    AffinityCli::checkScoringOptions(vm, o);
    const std::vector<const char*> inputs = o.manifest.empty()
                                                ? std::vector<const char*>{"model", "poses", "targets", "output"}
                                                : std::vector<const char*>{"model", "output"};
    for (const char* name : inputs)
        require(vm.count(name) > 0, std::string("--") + name + " is required (see --help)");
    if (!o.manifest.empty())
        for (const char* name : {"poses", "targets", "receptor"})
            require(vm.count(name) == 0,
                    std::string("--") + name + " cannot be combined with --manifest, which names the files");
    require(o.subset.empty() || !o.manifest.empty(), "--subset selects rows of a --manifest; none was given");
    require(!vm.count("ligand-tag") || !o.manifest.empty(),
            "--ligand-tag names the ligands of a --manifest's pose files; with --poses each file is one ligand, "
            "named after the file");
    require(!vm.count("ligand-tag") || !o.poseInput.ligandTag.empty(), "--ligand-tag needs the name of an SD tag");
    if (!o.poses.empty()) {
        require(!AffinityCli::isStreamInput(o.poses),
                "--poses " + o.poses +
                    " is standard input, a pipe or a device; affinity-train takes a directory of per-ligand pose "
                    "files named after their ligands (DIR/<ligand>.pdbqt), or a quoted pattern of them");
        struct stat info;
        if (stat(o.poses.c_str(), &info) != 0 && o.poses.find_first_of("*?[") != std::string::npos)
            o.poseFiles = AffinityCli::expandPoseInputs({o.poses}, "", "--poses");
        else
            require(stat(o.poses.c_str(), &info) != 0 || S_ISDIR(info.st_mode),
                    "--poses " + o.poses +
                        " is a file; expected the directory of per-ligand pose files (DIR/<ligand>.pdbqt), or a "
                        "quoted pattern of them ('docked/*.pdbqt'); a file of many ligands goes in a --manifest");
    }
    require(!o.targetColumn.empty(), "--target-column must name a column");
    require(o.mseWeight >= 0.0, "--mse-weight must be 0 or positive");
    require(o.epochs >= 0, "--epochs is " + std::to_string(o.epochs) + "; expected 0 or more");
    require(o.ligandsPerStep >= 1,
            "--ligands-per-step is " + std::to_string(o.ligandsPerStep) + "; expected at least 1");
    require(o.validationFraction >= 0.0 && o.validationFraction < 1.0,
            "--validation-fraction is " + std::to_string(o.validationFraction) + "; expected 0 <= f < 1");
    require(o.optimizer.learningRate > 0.0, "--learning-rate must be positive");
    require(o.poseWeight >= 0.0, "--pose-weight must be 0 or positive");
    require(!o.resumeWithNewOptions || !o.resume.empty(), "--resume-with-new-options needs --resume");
}

} // namespace

bool parseTrainOptions(int argc, const char* const argv[], TrainOptions& o, int& exitStatus) {
    using AffinityCli::choiceValue;
    using AffinityCli::numberValue;
    AffinityCli::ToolCommandLine commandLine("affinity-train", Description);
    commandLine.addUsage({"model", "poses", "[receptor]", "targets", "output", "[options]"});
    commandLine.addUsage({"model", "manifest", "[subset]", "output", "[options]"});
    po::options_description files;
    // clang-format off
    files.add_options()
        ("model", po::value(&o.model)->value_name("FILE"),
         "the TorchScript model to train (second contract: positions, atomic numbers, ligand mask)")
        ("poses", po::value(&o.poses)->value_name("DIR"),
         "the directory of per-ligand pose files, <ligand>.pdbqt (or .sdf, .mol2; .gz), or a quoted pattern of them")
        ("receptor", po::value(&o.receptor)->value_name("FILE"),
         "the receptor, PDB, PDBQT or mmCIF (without it the model sees each ligand alone)")
        ("targets", po::value(&o.targets)->value_name("CSV"),
         "the CSV of per-ligand targets (columns ligand and target, or --target-column)")
        ("target-column", po::value(&o.targetColumn)->default_value(o.targetColumn)->value_name("NAME"),
         "the column of --targets or --manifest that holds each ligand's target")
        ("manifest", po::value(&o.manifest)->value_name("CSV"),
         "a CSV of ligand,receptor,poses,target[,series,split,...] rows (instead of --poses, --receptor, --targets)")
        ("subset", po::value(&o.subset)->value_name("SPLIT"),
         "use only the manifest rows whose split column has this value (e.g. train)")
        ("cache", po::value(&o.cache)->value_name("DIR"),
         "a folder for the built complexes, reused by later runs over the same files")
        ("output", po::value(&o.output)->value_name("FILE"), "where to write the trained TorchScript model")
        ("log", po::value(&o.log)->value_name("CSV"), "a CSV log with one row per epoch")
        ("predictions", po::value(&o.predictions)->value_name("CSV"),
         "a CSV of every ligand's target and prediction after training")
        ("checkpoint", po::value(&o.checkpoint)->value_name("FILE"), "a checkpoint written after every epoch")
        ("resume", po::value(&o.resume)->value_name("FILE"),
         "continue from this checkpoint (same data, seed and options)")
        ("resume-with-new-options", po::bool_switch(&o.resumeWithNewOptions),
         "with --resume: accept a checkpoint written with other options than this run's (not another --seed)");
    AffinityCli::addLigandTagOption(files, o.poseInput,
                                    "with --manifest: the SD tag (PDBQT: a line 'REMARK NAME = value') whose value "
                                    "names each record's ligand, instead of its title");
    po::options_description training;
    training.add_options()
        ("strategy", choiceValue(&o.strategy, "strategy", {"store-all", "two-pass", "one-pass"})
         ->default_value(o.strategy), "gradient strategy: store-all, two-pass or one-pass")
        ("loss", choiceValue(&o.loss, "loss", {"mse", "centred-mse", "ranking", "gnll"})->default_value(o.loss),
         "mse, centred-mse, ranking or gnll (over each step's ligands)")
        ("loss-module", po::value(&o.lossModule)->value_name("FILE"),
         "a TorchScript loss over the step's ligands, instead of --loss")
        ("mse-weight", numberValue(&o.mseWeight, "w"),
         "add this weight times the mse (keeps absolute ΔG in scale under centred-mse or ranking)")
        ("sigma-column", po::value(&o.sigmaColumn)->value_name("NAME"),
         "the table column of each ligand's uncertainty, for --loss gnll")
        ("pose-weight", numberValue(&o.poseWeight, "λ"), "λ of per-pose terms λ(G_n - docking score_n)^2 (0: none)")
        ("epochs", po::value(&o.epochs)->default_value(o.epochs)->value_name("n"),
         "epochs to train (in all, when resuming); 0 trains nothing and only writes --predictions and --output, "
         "the model with what it was evaluated on declared")
        ("ligands-per-step", po::value(&o.ligandsPerStep)->default_value(o.ligandsPerStep)->value_name("n"),
         "ligands whose mean loss makes one optimizer step")
        ("optimizer", choiceValue(&o.optimizer.method, "optimizer", {"adam", "sgd"})
         ->default_value(o.optimizer.method), "adam or sgd")
        ("learning-rate", numberValue(&o.optimizer.learningRate, "r"), "the learning rate")
        ("weight-decay", numberValue(&o.optimizer.weightDecay, "w"), "L2 weight decay")
        ("validation-fraction", numberValue(&o.validationFraction, "f"), "share of ligands held out")
        ("validation-by", po::value(&o.validationBy)->value_name("NAME"),
         "hold out whole groups of this column (e.g. protein) rather than single ligands")
        ("group-by", po::value(&o.groupBy)->value_name("NAME"),
         "draw each step's ligands from one group of this column (e.g. series)")
        ("seed", po::value(&o.seed)->default_value(o.seed)->value_name("n"), "seed of the split and the shuffles")
        ("quiet", po::bool_switch(&o.quiet), "print only errors (no progress bar; there is none when stderr is "
         "not a terminal)");
    // clang-format on
    po::options_description scoring;
    AffinityCli::addScoringOptions(scoring, o);
    // Earlier names, still accepted: --target-kind for --readout and --dtype for --precision.
    std::string targetKind, dtype;
    po::options_description earlier;
    // clang-format off
    earlier.add_options()
        ("target-kind", choiceValue(&targetKind, "target-kind", {"dg", "pic50", "pki"}),
         "the earlier name of --readout (dg, pic50 or pki)")
        ("dtype", choiceValue(&dtype, "dtype", {"float32", "float64"}),
         "the earlier name of --precision (float32 or float64)");
    // clang-format on
    commandLine.addGroup("Files", files);
    commandLine.addGroup("Training", training);
    commandLine.addGroup("Scoring (shared with affinity-rescore)", scoring);
    commandLine.addGroup("Earlier names (still accepted)", earlier);
    po::variables_map vm;
    try {
        if (!commandLine.parse(argc, argv, vm)) {
            exitStatus = AffinityCli::Success;
            return false;
        }
        checkTrainOptions(vm, o, targetKind, dtype);
    } catch (const AffinityCli::CommandLineError& e) {
        commandLine.printUsageError(e.what());
        exitStatus = AffinityCli::UsageError;
        return false;
    }
    return true;
}

std::string trainingSettings(const TrainOptions& o) {
    using AffinityCli::shortNumber;
    const std::vector<std::pair<const char*, std::string>> settings = {
        {"model", o.model},
        {"poses", o.poses},
        {"receptor", o.receptor},
        {"targets", o.targets},
        {"manifest", o.manifest},
        {"subset", o.subset},
        {"group-by", o.groupBy},
        {"loss", o.loss},
        {"loss-module", o.lossModule},
        {"mse-weight", shortNumber(o.mseWeight)},
        {"sigma-column", o.sigmaColumn},
        {"validation-by", o.validationBy},
        {"strategy", o.strategy},
        {"pose-weight", shortNumber(o.poseWeight)},
        {"ligands-per-step", std::to_string(o.ligandsPerStep)},
        {"optimizer", o.optimizer.method},
        {"learning-rate", shortNumber(o.optimizer.learningRate)},
        {"weight-decay", shortNumber(o.optimizer.weightDecay)},
        {"validation-fraction", shortNumber(o.validationFraction)},
        {"combination", o.combination},
        {"max-scale", shortNumber(o.maxScale)},
        {"temperature", shortNumber(o.temperature)},
        {"readout", o.readout},
        {"substrate", shortNumber(o.substrateConcentration)},
        {"km", shortNumber(o.michaelisConstant)},
        {"pocket-cutoff", shortNumber(o.pocketCutoff)},
        {"atom-convention", o.atomConvention},
        {"precision", o.precision}};
    std::string text;
    // Recorded only when it is not the default, so that checkpoints written before the option
    // existed resume as they did.
    if (o.targetColumn != TrainOptions().targetColumn)
        text += "--target-column " + o.targetColumn + "\n";
    if (!o.poseInput.ligandTag.empty())
        text += "--ligand-tag " + o.poseInput.ligandTag + "\n";
    for (const auto& [name, value] : settings)
        text += std::string("--") + name + " " + value + "\n";
    return text;
}

std::vector<std::string> settingDifferences(const std::string& checkpoint, const std::string& run) {
    auto parse = [](const std::string& text) {
        std::vector<std::pair<std::string, std::string>> lines;
        std::istringstream in(text);
        for (std::string line; std::getline(in, line);) {
            const size_t space = line.find(' ');
            lines.emplace_back(line.substr(0, space), space == std::string::npos ? "" : line.substr(space + 1));
        }
        return lines;
    };
    const auto recorded = parse(checkpoint), current = parse(run);
    auto valueIn = [](const std::vector<std::pair<std::string, std::string>>& lines, const std::string& name) {
        for (const auto& [n, v] : lines)
            if (n == name)
                return "'" + v + "'";
        return std::string("(none)");
    };
    std::vector<std::string> names;
    for (const auto& lines : {current, recorded})
        for (const auto& line : lines)
            if (std::find(names.begin(), names.end(), line.first) == names.end())
                names.push_back(line.first);
    std::vector<std::string> differences;
    for (const std::string& name : names) {
        const std::string was = valueIn(recorded, name), is = valueIn(current, name);
        if (was != is)
            differences.push_back(name + ": " + was + " in the checkpoint, " + is + " in this run");
    }
    return differences;
}

} // namespace AffinityTrain
