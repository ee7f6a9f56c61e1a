// SPDX-License-Identifier: MIT
#include "RescoreOptions.h"
#include "ToolCommandLine.h"
#include <algorithm>
#include <boost/program_options.hpp>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace po = boost::program_options;
using namespace AffinityRescore;

#ifndef AFFINITY_DEFAULT_MODEL
#define AFFINITY_DEFAULT_MODEL ""
#endif
#ifndef AFFINITY_INSTALLED_DEFAULT_MODEL
#define AFFINITY_INSTALLED_DEFAULT_MODEL ""
#endif

namespace {

/**
 * The model used without --model: the installed copy, at AFFINITY_INSTALLED_DEFAULT_MODEL
 * relative to this program's folder, when it is there (an installed affinity-rescore);
 * otherwise AFFINITY_DEFAULT_MODEL, fixed at build time (the build-tree program).
 */
std::string defaultModelPath() {
    namespace fs = std::filesystem;
    const std::string relative = AFFINITY_INSTALLED_DEFAULT_MODEL;
    if (!relative.empty()) {
        std::error_code error;
        const fs::path program = fs::read_symlink("/proc/self/exe", error);
        if (!error) {
            const fs::path installed = (program.parent_path() / relative).lexically_normal();
            if (fs::is_regular_file(installed, error))
                return installed.string();
        }
    }
    return AFFINITY_DEFAULT_MODEL;
}

// An option's value as text, for the journal's record of the options.
std::string optionText(const boost::any& value) {
    std::ostringstream text;
    if (const auto* s = boost::any_cast<std::string>(&value))
        text << *s;
    else if (const auto* list = boost::any_cast<std::vector<std::string>>(&value))
        for (const std::string& item : *list)
            text << item << "\n";
    else if (const auto* d = boost::any_cast<double>(&value))
        text << AffinityCli::shortNumber(*d) << " (" << std::hexfloat << *d << ")";
    else if (const auto* i = boost::any_cast<int>(&value))
        text << *i;
    else if (const auto* b = boost::any_cast<bool>(&value))
        text << (*b ? "true" : "false");
    else
        throw std::logic_error(std::string("affinity-rescore: an option of type ") + value.type().name() +
                               " has no text for the journal");
    return text.str();
}

// An option's value typed, for the JSON summary's record of the options.
OptionSetting optionSetting(const std::string& name, const po::variable_value& value) {
    OptionSetting setting;
    setting.name = name;
    setting.defaulted = value.defaulted();
    const boost::any& held = value.value();
    if (const auto* s = boost::any_cast<std::string>(&held))
        setting.value = *s;
    else if (const auto* list = boost::any_cast<std::vector<std::string>>(&held))
        setting.value = *list;
    else if (const auto* d = boost::any_cast<double>(&held))
        setting.value = *d;
    else if (const auto* i = boost::any_cast<int>(&held))
        setting.value = *i;
    else if (const auto* b = boost::any_cast<bool>(&held))
        setting.value = *b;
    else
        throw std::logic_error(std::string("affinity-rescore: an option of type ") + held.type().name() +
                               " has no value for the JSON summary");
    return setting;
}

const char* Description = R"(Rescores docked poses with a learned affinity model (TorchScript, the contract
forward(positions, atomic_numbers, ligand_mask)) and combines the poses of each ligand
into one binding free energy.

Input is read with Open Babel, one ligand at a time, so memory stays bounded however many
ligands the files hold:
  receptor  PDB, PDBQT or mmCIF (.cif is read as mmCIF), optionally gzip-compressed (.gz)
  poses     SDF, PDBQT, MOL2 or PDB, optionally gzip-compressed; the poses of one ligand are
            the consecutive records of a file with the same title (with --ligand-tag NAME: the
            same value of the SD tag NAME; in PDBQT or PDB, of a line "REMARK NAME = value"),
            so Vina's multi-model PDBQT output and one-file-per-ligand layouts both work as
            written. A title or tag that comes back after other ligands is another ligand.
            Records that cannot be told apart are never merged: an SDF or MOL2 record with an
            empty title is skipped as a ligand of its own, naming its file and record (unless
            it is its file's only record: it is then named after the file), and so is a record
            without the --ligand-tag tag. A PDBQT without "REMARK Name =" lines is one ligand
            named after its file (Vina's output of one docking).
Pose inputs: each --poses entry is a file; a directory (every pose file in it, by extension,
also .gz: not its subfolders nor names starting with "."), sorted by name byte by byte (as
`LC_ALL=C ls`); a pattern quoted so that the shell left it ('docked/*.sdf'), expanded by the
tool with glob(3) and sorted alike; or - for standard input, as in
  vina ... --out /dev/stdout | affinity-rescore -p - --format pdbqt ...
(/dev/stdin and named pipes are read as they arrive too). The format of each file is its
extension's, or --format's, which names it for every pose input; a name without a pose
extension (-, /dev/stdin) needs --format (exit status 2 without it). A directory or pattern
without any pose file is an error (exit status 2). A gzip stream is recognised by its first
bytes, whatever the name. Standard input is read once, as it arrives: --resume reads it again
(pipe the same poses in to continue a run), and under mpirun it is refused.
Each ligand is scored as one fixed complex for all its poses: the receptor atoms within
--pocket-cutoff of any atom of any of its poses (in file order), then the ligand atoms.
Coordinates are read in angstrom and given to the model in nm.

Hydrogens: files spell them differently (PDBQT holds polar hydrogens only, a prepared SDF all
of them, a crystal PDB none), so by default (--atom-convention heavy-atoms) every hydrogen of
the receptor and the ligands is dropped and the model sees heavy atoms only: every spelling of
a pose gives the same complex and the same score. as-read keeps the atoms as the files hold
them. A model declares the convention it was trained with (its attribute atom_convention);
that convention is used, and asking for another one is an error.

On stdout: the model used, the receptor, a table of the --top best ligands (lowest combined
dG first) and the totals; on stderr instead when an output goes to stdout (-). On stderr: one
line per skipped ligand or file, and on a terminal (unless --quiet) a progress bar with the
rate and the time left.

Output files: all the outputs of a run are written to temporary files beside them
(".NAME.partial-PID"), checked and synced to the disk, and only then renamed into place, all
at the end: a run that fails or is interrupted before that leaves every earlier output as it
was and no temporary file (any signal a process can catch removes them; SIGKILL cannot be
caught). What remains is the instant of the renames themselves, a few system calls with the
signals held back. A symbolic link is followed and its target replaced; a device or FIFO
(/dev/null, /dev/stdout, a named pipe) is written directly. An output that is one of the
inputs, or another output, is refused before anything is read. One output may be - (standard
output): it is kept in an anonymous temporary file (in $TMPDIR, else /tmp) and copied to
stdout, whole, when the run commits its outputs, before the files are renamed; a run that
fails or is interrupted before that writes nothing on stdout, and a failure to write stdout
replaces no file. Two outputs given as - are a usage error.
  --out       CSV, one row per pose: ligand, source, pose (1-based record index within the
              ligand), dG_kcal_mol, weight, combined_dG_kcal_mol, rank (1 = lowest dG),
              docking_score_kcal_mol (the docking program's score: Vina's REMARK VINA
              RESULT, else an SD tag minimizedAffinity, else docking_score_kcal_mol; empty
              when the pose carries none), the readout column when asked, and flags (below)
  --json      a summary: the tool and its version, the run's settings (the model and its
              SHA-256, the resolved pocket cutoff and atom convention, and every option that
              shapes the outputs, given or default, but the outputs' own paths), one entry per
              ligand (scored, with each
              pose's dG, weight and docking score, or skipped, with the reason) and the totals
  --out-sdf   the poses of each ligand sorted by rank: each record's molfile and the data
              items the input carried (an SDF's as its file has them; a PDBQT's MODEL,
              REMARK and TORSDOF as Open Babel reads them; a MOL2 has none), then the SD tags
              affinity_dG_kcal_mol, affinity_weight, affinity_combined_dG_kcal_mol,
              affinity_rank, affinity_pose (the pose's 1-based index within its ligand in the
              input), docking_score_kcal_mol (when the pose carries a docking score), and
              affinity_pKi or affinity_pIC50, and affinity_flags when there are any. An input
              item under one of these names (a scored SDF rescored) is replaced by this run's.

Numbers are the same in all three outputs, printed as the shortest text that reads back to
the same double (-7.18, 1.5e-07), after rounding: energies (dG, combined dG) to 6 decimals
(1e-6 kcal/mol), weights to 6 significant digits, readouts to 4 decimals; docking scores and
the settings exactly as read. A missing number is an empty CSV field, no SD tag, JSON null.

Flags, per pose (CSV, SDF) and per ligand (JSON; with one warning line on stderr), mark
scores not to trust: no-contact (no receptor atom within 4.5 A of the ligand: it is not in
the pocket), unseen-element (an element no training complex held, for models that declare
training_elements) and positive-dG (a score above zero, which a docked pose should not get).

The default model (without --model) is a small learned contact score over heavy atoms
(ContactAffinity) trained on measured binding free energies of congeneric ligand series, split
by protein; the README ("The default model") gives its accuracy on held-out proteins beside
AutoDock Vina and the heavy-atom count, and where not to trust it. It ranks close analogues in
one pocket modestly; its absolute dG is only loosely calibrated.

Combinations (T = --temperature, beta = 1/(k_B T)):
  boltzmann   w_n = softmax(-beta G)_n, dG = sum_n w_n G_n
  max         the strongest binding pose, smoothly: beta dG = -(1/t) ln sum_n exp(-t beta G_n),
              t = --max-scale (larger is closer to the lowest G_n)
  mean        dG = mean of G_n

Skipped input: an unreadable or malformed file or record, an empty file, a record that
cannot be grouped (an empty title, no --ligand-tag tag), a ligand whose poses disagree in atom
count or element order, an element the model does not know (one
missing from the model's optional attribute supported_elements, a list of atomic
numbers; or any element for which the model raises an error), a complex the model fails
on, or a non-finite energy from the model (NaN, inf), or any other failure while one ligand
is scored: that ligand is reported on stderr and in the JSON summary and skipped, the others
are scored. A missing or unusable model or receptor, an output that cannot be written or is
an input, or a wrong option stops the run at once.

The JSON summary is valid UTF-8 always: bytes of titles, file names or Open Babel's messages
that are not UTF-8 become U+FFFD (the replacement character); the CSV and SDF carry them as
read.

Journal and --resume: a run keeps a journal of every ligand done (default: the --out file with
.journal added; --journal FILE elsewhere; none with --no-journal, or when --out is a device or
-),
appended as each ligand is done and removed when the outputs are in place. A run stopped in
any way (Ctrl-C, SIGKILL, a full disk, a crash) keeps it; the same command with --resume then
skips the ligands the journal holds (it reads them again and checks that they are the same),
scores the rest and writes outputs byte for byte equal to those of an uninterrupted run. The
journal records the options, and the digests of the model and the receptor; --resume with
anything else refuses, naming what differs. A run without --resume refuses to start over a
journal it finds (remove it to start afresh). Each journal record is framed and checksummed,
so a record the dying process left half written is detected and dropped.

Processes: under `mpirun -n K` (a build with MPI) every rank reads the input and scores its
share of the ligands, and rank 0 alone writes the outputs and reports, in input order: the
same outputs and messages as one process. --device cuda gives each rank the GPU of its index
on its host. A rank that dies ends the run without any output file. Rank 0 alone keeps the
journal; --resume is refused under mpirun (exit status 2): continue an interrupted run with the
same command as one process, without mpirun. So is a pose input that every rank cannot read
for itself (standard input, a pipe, a device): give the ranks a file.
)";

} // namespace

bool AffinityRescore::parseRescoreOptions(int argc, const char* const argv[], RescoreOptions& options,
                                          int& exitStatus) {
    const std::string defaultModel = defaultModelPath();
    AffinityCli::ToolCommandLine commandLine("affinity-rescore", Description);
    commandLine.addUsage({"[model]", "receptor", "poses", "out", "[options]"});
    po::options_description inputs;
    // clang-format off
    inputs.add_options()
        ("model,m", po::value(&options.model)->value_name("FILE"),
         ("TorchScript affinity model (default: " +
          (defaultModel.empty() ? std::string("none in this build") : defaultModel + ", the default model") +
          ")").c_str())
        ("receptor,r", po::value(&options.receptor)->value_name("FILE"), "receptor file (PDB, PDBQT, mmCIF; .gz)")
        ("poses,p", po::value(&options.poseFiles)->multitoken()->value_name("FILE..."),
         "pose files (SDF, PDBQT, MOL2, PDB; .gz), directories of them, quoted patterns ('docked/*.sdf'), or - "
         "for standard input; may be repeated")
        ("threads", po::value(&options.threads)->default_value(options.threads)->value_name("n"),
         "LibTorch threads on the CPU (a ligand's complex is small, and one thread per process holds "
         "up best on a busy machine; run several processes to use more cores)")
        ;
    // clang-format on
    AffinityCli::addPoseFormatOption(inputs, options.poseInput);
    AffinityCli::addLigandTagOption(inputs, options.poseInput,
                                    "group the poses into ligands by this SD tag (PDBQT, PDB: a line 'REMARK NAME = "
                                    "value') instead of the records' titles; its value names the ligand");
    po::options_description scoring;
    AffinityCli::addScoringOptions(scoring, options);
    po::options_description outputs;
    // clang-format off
    outputs.add_options()
        ("out,o", po::value(&options.csvOutput)->value_name("FILE"), "per-pose CSV (required; - for stdout)")
        ("out-sdf", po::value(&options.sdfOutput)->value_name("FILE"), "annotated, sorted poses (SDF; - for stdout)")
        ("json", po::value(&options.jsonOutput)->value_name("FILE"), "JSON summary (- for stdout)")
        ("top", po::value(&options.top)->default_value(options.top)->value_name("n"),
         "print the n best ligands as a table on stdout (on stderr when an output is -; 0: none)")
        ("quiet,q", po::bool_switch(&options.quiet), "no progress bar on stderr (there is none when stderr is "
         "not a terminal)")
        ("journal", po::value(&options.journal)->value_name("FILE"),
         "the journal of the ligands done, for --resume (default: the --out file's name with .journal added; "
         "none when --out is -)")
        ("no-journal", po::bool_switch(&options.noJournal), "keep no journal (an interrupted run starts over)")
        ("resume", po::bool_switch(&options.resume),
         "continue the interrupted run whose journal is there, with the same command line");
    // clang-format on
    commandLine.addGroup("Input", inputs);
    commandLine.addGroup("Scoring", scoring);
    commandLine.addGroup("Output", outputs);
    auto usageError = [&](const std::string& message) {
        commandLine.printUsageError(message);
        exitStatus = AffinityCli::UsageError;
        return false;
    };
    po::variables_map values;
    try {
        if (!commandLine.parse(argc, argv, values)) {
            exitStatus = AffinityCli::Success;
            return false;
        }
        if (options.model.empty())
            options.model = defaultModel;
        if (options.model.empty())
            return usageError("no --model given, and this build has no default model");
        if (options.receptor.empty())
            return usageError("--receptor is required");
        if (options.poseFiles.empty())
            return usageError("--poses needs at least one file");
        options.poseFiles = AffinityCli::expandPoseInputs(options.poseFiles, options.poseInput.format, "--poses");
        if (values.count("ligand-tag") && options.poseInput.ligandTag.empty())
            return usageError("--ligand-tag needs the name of an SD tag");
        if (options.csvOutput.empty())
            return usageError("--out is required");
        std::vector<std::string> toStandardOutput;
        for (const auto& [name, path] : {std::pair<std::string, std::string>{"--out", options.csvOutput},
                                         {"--out-sdf", options.sdfOutput},
                                         {"--json", options.jsonOutput}})
            if (path == "-")
                toStandardOutput.push_back(name);
        if (toStandardOutput.size() > 1)
            return usageError(toStandardOutput[0] + " and " + toStandardOutput[1] +
                              " are both - (standard output); only one output can go there");
        if (options.journal == "-")
            return usageError("--journal is -; the journal must be a file (it is read back by --resume)");
        AffinityCli::checkScoringOptions(values, options);
    } catch (const AffinityCli::CommandLineError& e) {
        return usageError(e.what());
    }
    if (options.top < 0)
        return usageError("--top must not be negative");
    if (options.threads < 1)
        return usageError("--threads must be at least 1");
    if (options.resume && options.noJournal)
        return usageError("--resume continues from a journal; --no-journal keeps none");
    // The choices as the run took them ("pki" for --readout pKi); Boost keeps the text given.
    const std::map<std::string, const std::string*> chosen = {{"combination", &options.combination},
                                                              {"readout", &options.readout},
                                                              {"atom-convention", &options.atomConvention},
                                                              {"precision", &options.precision}};
    for (const auto& [name, value] : values)
        if (name != "quiet" && name != "top" && name != "journal" && name != "no-journal" && name != "resume" &&
            name != "model") {
            options.outputShapingOptions.emplace_back("--" + name, optionText(value.value()));
            // The outputs' own paths are left out of the summary, which then does not depend on
            // where it and the others are written (stdout, another folder).
            if (name == "out" || name == "out-sdf" || name == "json")
                continue;
            options.outputShapingSettings.push_back(optionSetting(name, value));
            if (chosen.count(name))
                options.outputShapingSettings.back().value = *chosen.at(name);
        }
    options.outputShapingOptions.emplace_back("--model", options.model);
    OptionSetting model;
    model.name = "model";
    model.value = options.model;
    model.defaulted = values.count("model") == 0;
    options.outputShapingSettings.insert(
        std::upper_bound(options.outputShapingSettings.begin(), options.outputShapingSettings.end(), model,
                         [](const OptionSetting& a, const OptionSetting& b) { return a.name < b.name; }),
        model);
    return true;
}
