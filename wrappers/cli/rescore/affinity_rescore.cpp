// SPDX-License-Identifier: MIT
// affinity-rescore: rescore docked poses with a learned affinity model. Reads a receptor and
// pose files through Open Babel one ligand at a time, scores each ligand's poses as one
// pocket complex with AffinityScorer, combines them, and writes CSV, SDF and JSON outputs
// (see --help, and RescoreOptions.cpp for the full description). Under `mpirun -n K` the
// ranks share the ligands (LigandDistributor) and rank 0 alone writes the outputs and the journal.
#include "AffinityLoss.h"
#include "AtomConvention.h"
#include "Combination.h"
#include "ContentDigest.h"
#include "DistinctPaths.h"
#include "ElementSymbol.h"
#include "LigandDistributor.h"
#include "LigandEvaluation.h"
#include "LigandOutcome.h"
#include "LigandRanking.h"
#include "PendingTemporaryFiles.h"
#include "PocketComplex.h"
#include "PocketSelector.h"
#include "PoseInputs.h"
#include "PoseReader.h"
#include "ProcessGroup.h"
#include "ProgressReport.h"
#include "Receptor.h"
#include "RescoreJournal.h"
#include "RescoreOptions.h"
#include "ScoreWriter.h"
#include "ScoringModel.h"
#include "TrainingDomain.h"
#include <cstdio>
#include <memory>
#include <optional>
#include <sstream>
#include <sys/stat.h>
#include <vector>

using namespace AffinityRescore;
using namespace AffinityCli;

namespace {

uint64_t fileSize(const std::string& path) {
    if (isStandardInput(path))
        return 0; // of unknown size: progress shows what was read
    struct stat info;
    return stat(path.c_str(), &info) == 0 ? (uint64_t)info.st_size : 0;
}

bool isRegularFileOrMissing(const std::string& path) {
    struct stat info;
    return stat(path.c_str(), &info) != 0 || S_ISREG(info.st_mode);
}

/** The journal's path: --journal, else beside --out when that is a file (not "-", standard output); "" for none. */
std::string journalPath(const RescoreOptions& options) {
    if (options.noJournal)
        return "";
    if (!options.journal.empty())
        return options.journal;
    return options.csvOutput != "-" && isRegularFileOrMissing(options.csvOutput) ? options.csvOutput + ".journal" : "";
}

/** Whether an output goes to standard output ("-"), which then holds its bytes alone. */
bool writesStandardOutput(const RescoreOptions& options) {
    return options.csvOutput == "-" || options.sdfOutput == "-" || options.jsonOutput == "-";
}

std::unique_ptr<AffinityPlugin::Combination> makeCombination(const RescoreOptions& options) {
    // "max" is MaxCombination: the strongest-binding pose, a smooth minimum of ΔG.
    return AffinityPlugin::Combination::fromName(options.combination, options.maxScale);
}

std::string unknownElementMessage(int atom, const std::vector<int>& numbers, const std::vector<int>& supported,
                                  const std::string& which) {
    std::stringstream msg;
    msg << which << " atom " << atom + 1 << " is " << elementSymbol(numbers[atom]) << " (Z=" << numbers[atom]
        << "), an element the model does not know; expected one of its supported_elements:";
    for (int z : supported)
        msg << " " << elementSymbol(z);
    return msg.str();
}

// A model's error can carry a whole TorchScript traceback; its first line says where it
// failed and its last line what the model raised, which is what a skip message needs.
std::string conciseError(const std::string& message) {
    const size_t firstEnd = message.find('\n');
    if (firstEnd == std::string::npos)
        return message;
    size_t end = message.find_last_not_of(" \n\r\t");
    const size_t lastStart = message.find_last_of('\n', end) + 1;
    std::string first = message.substr(0, firstEnd);
    while (!first.empty() && (first.back() == ':' || first.back() == ' '))
        first.pop_back();
    return first + ": " + message.substr(lastStart, end + 1 - lastStart);
}

/** Everything one run holds: the model, the receptor, the outputs and the counts. */
class RescoreRun {
public:
    /** journalPath: rank 0's journal ("" for none; the other ranks keep none). */
    RescoreRun(const RescoreOptions& options, const std::string& journalPath, const ProcessGroup& group)
        : options(options), journalPath(journalPath), group(group),
          report(writesStandardOutput(options) ? stderr : stdout),
          scorer(options.model, deviceOfRank(options.deviceName, group), options.precisionKind, options.temperature,
                 options.batchSize, options.memoryBudgetMiB, options.threads),
          convention(resolveAtomConvention(options.atomConvention, scorer.declaredAtomConvention(), options.model)),
          pocketCutoff(resolvePocketCutoff(options, scorer.declaredPocketCutoff())),
          receptor(Receptor::read(options.receptor, convention)), pocketSelector(receptor, pocketCutoff),
          domain(scorer.trainingElements()), combination(makeCombination(options)),
          readout(AffinityPlugin::Readout::fromName(options.readout, options.substrateConcentration,
                                                    options.michaelisConstant)),
          ranking(options.top, readoutColumn(options.readout)) {
        RunSettings settings;
        settings.model = options.model;
        settings.modelSha256 = group.isRoot() ? sha256OfFile(options.model) : "";
        settings.options = options.outputShapingSettings;
        settings.modelDescription = scorer.description();
        settings.receptor = options.receptor;
        settings.combination = options.combination;
        settings.device = options.device;
        settings.readout = options.readout;
        settings.temperature = options.temperature;
        settings.maxScale = options.maxScale;
        settings.pocketCutoff = pocketCutoff;
        settings.atomConvention = atomConventionName(convention);
        if (!group.isRoot())
            return; // only rank 0 writes
        writers.push_back(std::make_unique<CsvScoreWriter>(options.csvOutput, options.readout));
        if (!options.sdfOutput.empty())
            writers.push_back(std::make_unique<SdfScoreWriter>(options.sdfOutput, options.readout));
        if (!options.jsonOutput.empty())
            writers.push_back(std::make_unique<JsonSummaryWriter>(options.jsonOutput, settings));
    }

    /** The header, the table and the totals go to stdout, or to stderr when an output goes to stdout. */
    void printHeader() const {
        std::fprintf(
            report,
            "model:    %s\nreceptor: %s (%d atoms)\nscoring:  %s combination, T = %.2f K, pocket cutoff %.3g nm, "
            "atoms: %s\n",
            scorer.description().c_str(), receptor.source.c_str(), receptor.numAtoms(), options.combination.c_str(),
            options.temperature, pocketCutoff, atomConventionName(convention).c_str());
        std::fflush(report);
    }

    void run() {
        std::optional<RescoreJournal> journal;
        if (!journalPath.empty() && group.isRoot())
            journal.emplace(openJournal());
        uint64_t totalBytes = 0, doneBytes = 0;
        for (const std::string& file : options.poseFiles)
            totalBytes += fileSize(file);
        ProgressReport progress((double)totalBytes, "poses",
                                ProgressReport::shownOnStderr(options.quiet) && group.isRoot());
        // Rank 0 records each ligand, in input order, from its evaluation (made here with one
        // process, or by the rank that owns it), and journals it as one process does.
        LigandDistributor distributor(
            group, DistributedBlock, [this](LigandPoses& ligand) { return evaluate(ligand); },
            [this, &journal, &progress](LigandPoses& ligand, const LigandEvaluation& evaluation) {
                const LigandOutcome outcome = outcomeOf(ligand, evaluation, progress);
                try {
                    if (journal)
                        journal->append(outcome);
                } catch (const std::exception& e) {
                    throw std::runtime_error(std::string(e.what()) + journalNote());
                }
                apply(outcome);
            });
        long long ligandIndex = 0;
        for (const std::string& file : options.poseFiles) {
            // Rank 0 writes the annotated SDF, so only it keeps the records' SDF blocks.
            PoseReaderSettings reading;
            reading.keepSdfBlocks = !options.sdfOutput.empty() && group.isRoot();
            reading.convention = convention;
            reading.format = options.poseInput.format;
            reading.grouping = options.poseInput.ligandTag.empty() ? LigandGrouping::Title : LigandGrouping::Tag;
            reading.ligandTag = options.poseInput.ligandTag;
            PoseReader reader(file, reading);
            LigandPoses ligand;
            while (reader.next(ligand)) {
                ligandIndex++;
                LigandOutcome outcome;
                // Only a resumed run (one process: main refuses --resume with more) has ligands done.
                if (journal && journal->nextDone(outcome)) {
                    checkSameLigand(outcome, ligand, ligandIndex, journal->path());
                    apply(outcome);
                } else {
                    distributor.add(ligand);
                }
                progress.update((double)(doneBytes + reader.bytesRead()), totals.posesScored, progressDetails());
            }
            doneBytes += fileSize(file);
        }
        distributor.flush();
        if (!group.isRoot())
            return;
        LigandOutcome extra;
        if (journal && journal->nextDone(extra))
            throw std::runtime_error("--resume: the journal " + journal->path() + " holds " +
                                     std::to_string(journal->ligandsDone()) + " ligands; the pose files now hold " +
                                     std::to_string(ligandIndex) +
                                     ": they changed since the interrupted run; remove the journal to start afresh");
        progress.finish(totals.posesScored, progressDetails());
        std::vector<AffinityCli::OutputFile*> outputs;
        for (auto& writer : writers) {
            writer->writeEnd(totals);
            outputs.push_back(&writer->output());
        }
        try {
            AffinityCli::commitTogether(outputs);
        } catch (const std::exception& e) {
            throw std::runtime_error(std::string(e.what()) + journalNote());
        }
        if (journal)
            journal->remove();
    }

    void printSummary() const {
        std::fprintf(report, "\n");
        ranking.print(report);
        std::fprintf(report, "\n%lld ligands (%lld poses) scored, %lld skipped, %lld flagged; wrote",
                     totals.ligandsScored, totals.posesScored, totals.ligandsSkipped, totals.ligandsFlagged);
        for (const auto& writer : writers)
            std::fprintf(report, " %s",
                         writer->output().toStandardOutput() ? "- (standard output)" : writer->path().c_str());
        std::fprintf(report, "\n");
    }

    const RunTotals& getTotals() const {
        return totals;
    }

private:
    std::string progressDetails() const {
        return std::to_string(totals.ligandsScored) + " ligands, " + std::to_string(totals.posesScored) + " poses, " +
               std::to_string(totals.ligandsSkipped) + " skipped";
    }

    // Ligands per block of a run of several processes: all ranks together score one block
    // between two exchanges, and rank 0 holds its ligands until it has written them.
    static constexpr int DistributedBlock = 256;

    /** The run's identity, for the journal: the options and what the model and the receptor hold. */
    RescoreJournal::Identity identity() const {
        RescoreJournal::Identity fields = options.outputShapingOptions;
        fields.emplace_back("model file content", AffinityRescore::ContentDigest::ofFile(options.model));
        fields.emplace_back("receptor file content", AffinityRescore::ContentDigest::ofFile(options.receptor));
        return fields;
    }

    RescoreJournal openJournal() {
        std::optional<RescoreJournal> journal;
        if (options.resume) {
            journal.emplace(RescoreJournal::resume(journalPath, identity()));
            std::fprintf(stderr, "affinity-rescore: resuming from the journal %s: %lld ligands done%s\n",
                         journalPath.c_str(), journal->ligandsDone(),
                         journal->droppedTornRecord() ? " (a half-written last record was dropped)" : "");
        } else {
            journal.emplace(journalPath, identity());
        }
        AffinityCli::PendingTemporaryFiles::setInterruptNote("affinity-rescore: interrupted; the journal " +
                                                             journalPath + " keeps the ligands done: " + rerunAdvice() +
                                                             " to continue\n");
        return std::move(*journal);
    }

    /** What a run stopped by an output error tells of its journal. */
    std::string journalNote() const {
        if (journalPath.empty())
            return "";
        return "; the journal " + journalPath + " keeps the ligands done: " + rerunAdvice() +
               " once the outputs can be written";
    }

    /** How to continue from the journal: --resume runs as one process only. */
    std::string rerunAdvice() const {
        if (group.size() == 1)
            return "rerun the same command with --resume";
        return "rerun the same command as one process (without mpirun) with --resume";
    }

    /** A resumed run reads its input again: the ligand the journal holds must be the one read now. */
    static void checkSameLigand(const LigandOutcome& done, const LigandPoses& ligand, long long index,
                                const std::string& journal) {
        if (done.inputDigest == LigandOutcome::digestOf(ligand))
            return;
        throw std::runtime_error("--resume: ligand " + std::to_string(index) + " of the input is '" + ligand.name +
                                 "' (" + ligand.source + ", record " + std::to_string(ligand.firstRecord) +
                                 "); the journal " + journal + " holds '" + done.name + "' (" + done.source +
                                 ", record " + std::to_string(done.firstRecord) +
                                 ") there, or other poses of it: the pose files changed since the interrupted run; "
                                 "remove the journal to start afresh");
    }

    /**
     * Score one ligand (on the rank that owns it): its energies and domain flags, or the problem
     * that skips it, whatever stops it from being scored.
     */
    LigandEvaluation evaluate(const LigandPoses& ligand) {
        LigandEvaluation evaluation;
        evaluation.problem = ligand.problem;
        if (!evaluation.problem.empty())
            return evaluation;
        try {
            score(ligand, evaluation);
        } catch (const std::exception& e) {
            evaluation = LigandEvaluation();
            evaluation.problem = conciseError(e.what());
        }
        return evaluation;
    }

    /**
     * A ligand's outcome from its evaluation (on rank 0, in input order): the text of each
     * output, or, when it cannot be scored, the report of why and the skipped entries.
     */
    LigandOutcome outcomeOf(LigandPoses& ligand, const LigandEvaluation& evaluation, ProgressReport& progress) {
        LigandOutcome outcome;
        outcome.inputDigest = LigandOutcome::digestOf(ligand);
        outcome.name = ligand.name;
        outcome.source = ligand.source;
        outcome.firstRecord = ligand.firstRecord;
        ligand.problem = evaluation.problem;
        if (ligand.problem.empty()) {
            try {
                ScoredLigand scored = ScoredLigand::combine(ligand, evaluation.pocketAtoms, evaluation.energiesKJ,
                                                            *combination, options.temperature, readout);
                scored.domain = evaluation.domain;
                outcome.scored = true;
                outcome.poses = (long long)ligand.poses.size();
                outcome.flagged = !scored.domain.warning.empty();
                outcome.ranking = LigandRanking::entryOf(scored);
                for (auto& writer : writers)
                    outcome.entries.push_back(writer->entryFor(scored));
                if (outcome.flagged)
                    progress.message("affinity-rescore: warning: ligand '" + ligand.name + "' (" + ligand.source +
                                     ", record " + std::to_string(ligand.firstRecord) + "): " + scored.domain.warning);
                return outcome;
            } catch (const std::exception& e) {
                ligand.problem = conciseError(e.what());
                outcome.scored = false;
                outcome.poses = 0;
                outcome.flagged = false;
                outcome.ranking = LigandRanking::Entry();
                outcome.entries.clear();
            }
        }
        std::stringstream msg;
        msg << "affinity-rescore: skipped ligand '" << ligand.name << "' (" << ligand.source;
        if (ligand.firstRecord > 0)
            msg << ", record " << ligand.firstRecord;
        msg << "): " << ligand.problem;
        progress.message(msg.str());
        for (auto& writer : writers)
            outcome.entries.push_back(writer->entryForSkipped(ligand));
        return outcome;
    }

    /** Add a ligand's outcome (just made, or from the journal) to the outputs, the ranking and the totals. */
    void apply(const LigandOutcome& outcome) {
        for (size_t i = 0; i < writers.size(); i++) {
            writers[i]->append(outcome.entries.at(i));
            try {
                writers[i]->output().check(); // a full disk stops the run now, not at its end
            } catch (const std::exception& e) {
                throw std::runtime_error(std::string(e.what()) + journalNote());
            }
        }
        if (outcome.scored) {
            ranking.add(outcome.ranking);
            totals.ligandsScored++;
            totals.posesScored += outcome.poses;
            totals.ligandsFlagged += outcome.flagged;
        } else {
            totals.ligandsSkipped++;
        }
    }

    /** Score one ligand into evaluation; sets its problem when it cannot be scored. */
    void score(const LigandPoses& ligand, LigandEvaluation& evaluation) {
        const std::vector<int>& supported = scorer.supportedElements();
        const int unknownLigandAtom = scorer.firstUnknownElement(ligand.poses[0].atomicNumbers);
        if (unknownLigandAtom >= 0) {
            evaluation.problem =
                unknownElementMessage(unknownLigandAtom, ligand.poses[0].atomicNumbers, supported, "ligand");
            return;
        }
        const std::vector<int> pocket = pocketSelector.select(ligand);
        std::vector<int> pocketNumbers;
        for (int r : pocket)
            pocketNumbers.push_back(receptor.atomicNumbers[r]);
        const int unknownPocketAtom = scorer.firstUnknownElement(pocketNumbers);
        if (unknownPocketAtom >= 0) {
            evaluation.problem = unknownElementMessage(pocket[unknownPocketAtom], receptor.atomicNumbers, supported,
                                                       "receptor (pocket)");
            return;
        }
        const AffinityPlugin::PoseEnsemble complex = pocketComplexPoses(receptor, pocket, ligand);
        try {
            evaluation.energiesKJ = scorer.energies(complex);
        } catch (const std::exception& e) {
            evaluation.energiesKJ.clear();
            evaluation.problem = "the model failed on its complex of " + std::to_string(complex.getNumAtoms()) +
                                 " atoms (" + std::to_string(pocket.size()) +
                                 " in the pocket): " + conciseError(e.what());
            return;
        }
        evaluation.pocketAtoms = (int)pocket.size();
        const ScoredLigand scored = ScoredLigand::combine(ligand, evaluation.pocketAtoms, evaluation.energiesKJ,
                                                          *combination, options.temperature, readout);
        evaluation.domain = domain.check(complex, scored.poseDeltaG, scored.combinedDeltaG);
    }

    const RescoreOptions& options;
    const std::string journalPath;
    const ProcessGroup& group;
    std::FILE* report;
    ScoringModel scorer;
    AtomConvention convention;
    double pocketCutoff;
    Receptor receptor;
    PocketSelector pocketSelector;
    TrainingDomain domain;
    std::unique_ptr<AffinityPlugin::Combination> combination;
    AffinityPlugin::Readout readout;
    LigandRanking ranking;
    std::vector<std::unique_ptr<ScoreWriter>> writers;
    RunTotals totals;
};

/**
 * What can be checked before the model is loaded: no output is an input or another output,
 * and a journal is there exactly when --resume asks for one.
 */
void checkPaths(const RescoreOptions& options, const std::string& journal) {
    std::vector<AffinityCli::NamedPath> inputs = {{"--model", options.model}, {"--receptor", options.receptor}};
    for (const std::string& file : options.poseFiles)
        if (!isStandardInput(file)) // read through descriptor 0: no output path can be it
            inputs.push_back({"--poses", file});
    // "-" is standard output, no path: it is neither an input nor another output.
    auto file = [](const std::string& path) { return path == "-" ? std::string() : path; };
    AffinityCli::checkDistinctPaths(inputs, {{"--out", file(options.csvOutput)},
                                             {"--out-sdf", file(options.sdfOutput)},
                                             {"--json", file(options.jsonOutput)},
                                             {"--journal", journal}});
    struct stat info;
    const bool journalExists = !journal.empty() && lstat(journal.c_str(), &info) == 0;
    if (options.resume && journal.empty())
        throw std::runtime_error("--resume: --out " + options.csvOutput +
                                 (options.csvOutput == "-" ? " is standard output" : " is not a file") +
                                 ", so there is no journal beside it; name it with --journal");
    if (options.resume && !journalExists)
        throw std::runtime_error("--resume: there is no journal " + journal +
                                 " (a run that finished removes its journal; a run that never started keeps none)");
    if (!options.resume && journalExists)
        throw std::runtime_error("the journal " + journal +
                                 " of an interrupted run is there: add --resume to continue that run, or remove the "
                                 "journal to start afresh");
    if (!journal.empty())
        AffinityCli::checkWritableLocation({"--journal", journal});
}

} // namespace

int main(int argc, char* argv[]) {
    RescoreOptions options;
    int status = Success;
    if (!parseRescoreOptions(argc, argv, options, status))
        return status;
    AffinityCli::PendingTemporaryFiles::removeOnSignal();
    std::unique_ptr<ProcessGroup> group;
    try {
        group = std::make_unique<ProcessGroup>();
        if (options.resume && group->size() > 1) {
            // Every rank refuses alike, so none waits for another; rank 0 alone says why.
            if (group->isRoot())
                std::fprintf(stderr,
                             "affinity-rescore: --resume runs as one process: under mpirun (%d processes here) it is "
                             "refused; rerun the same command without mpirun to continue from the journal\n",
                             group->size());
            return UsageError;
        }
        if (group->size() > 1)
            for (const std::string& file : options.poseFiles)
                if (isStreamInput(file)) {
                    // Every rank reads all the input; a stream gives each rank only part of it (or,
                    // for standard input, gives it to rank 0 alone).
                    if (group->isRoot())
                        std::fprintf(stderr,
                                     "affinity-rescore: --poses %s is %s, which the %d processes under mpirun cannot "
                                     "each read whole; write the poses to a file and name it, or run one process\n",
                                     file.c_str(),
                                     isStandardInput(file) ? "standard input" : "not a regular file (a pipe or device)",
                                     group->size());
                    return UsageError;
                }
        // Rank 0 alone writes: it alone checks the outputs and keeps the journal.
        const std::string journal = group->isRoot() ? journalPath(options) : "";
        if (group->isRoot())
            checkPaths(options, journal);
        RescoreRun run(options, journal, *group);
        if (group->isRoot())
            run.printHeader();
        run.run();
        if (group->isRoot())
            run.printSummary();
        // Every rank ends with rank 0's status, which only rank 0 knows.
        std::vector<double> skipped{(double)run.getTotals().ligandsSkipped};
        group->sumInPlace(skipped);
        return skipped[0] > 0 ? SomethingSkipped : Success;
    } catch (const std::exception& e) {
        const std::string message = e.what();
        std::fprintf(stderr, "%s%s\n",
                     message.rfind("affinity-rescore", 0) == 0 ? "" : "affinity-rescore: ", message.c_str());
        // The other ranks may be waiting for this one: end them all.
        if (group && group->size() > 1)
            group->abort(Failure);
        return Failure;
    }
}
