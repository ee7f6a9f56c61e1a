// SPDX-License-Identifier: MIT
// affinity-rescore: rescore docked poses with a learned affinity model. Reads a receptor and
// pose files through Open Babel one ligand at a time, scores each ligand's poses as one
// pocket complex with AffinityScorer, combines them, and writes CSV, SDF and JSON outputs
// (see --help, and RescoreOptions.cpp for the full description). Under `mpirun -n K` the
// ranks share the ligands (LigandDistributor) and rank 0 alone writes.
#include "AffinityLoss.h"
#include "AtomConvention.h"
#include "Combination.h"
#include "ElementSymbol.h"
#include "LigandDistributor.h"
#include "LigandRanking.h"
#include "PocketComplex.h"
#include "PocketSelector.h"
#include "PoseReader.h"
#include "ProcessGroup.h"
#include "ProgressReport.h"
#include "Receptor.h"
#include "RescoreOptions.h"
#include "ScoreWriter.h"
#include "ScoringModel.h"
#include "TrainingDomain.h"
#include <cstdio>
#include <memory>
#include <sstream>
#include <sys/stat.h>
#include <vector>

using namespace AffinityRescore;
using namespace AffinityCli;

namespace {

uint64_t fileSize(const std::string& path) {
    struct stat info;
    return stat(path.c_str(), &info) == 0 ? (uint64_t)info.st_size : 0;
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
    RescoreRun(const RescoreOptions& options, const ProcessGroup& group)
        : options(options), group(group),
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

    void printHeader() const {
        std::printf(
            "model:    %s\nreceptor: %s (%d atoms)\nscoring:  %s combination, T = %.2f K, pocket cutoff %.3g nm, "
            "atoms: %s\n",
            scorer.description().c_str(), receptor.source.c_str(), receptor.numAtoms(), options.combination.c_str(),
            options.temperature, pocketCutoff, atomConventionName(convention).c_str());
        std::fflush(stdout);
    }

    void run() {
        uint64_t totalBytes = 0, doneBytes = 0;
        for (const std::string& file : options.poseFiles)
            totalBytes += fileSize(file);
        ProgressReport progress(totalBytes, !options.quiet && group.isRoot());
        LigandDistributor distributor(
            group, DistributedBlock, [this](LigandPoses& ligand) { return evaluate(ligand); },
            [this, &progress](LigandPoses& ligand, const LigandOutcome& outcome) {
                record(ligand, outcome, progress);
            });
        for (const std::string& file : options.poseFiles) {
            // Rank 0 writes the annotated SDF, so only it keeps the records' SDF blocks.
            PoseReader reader(file, !options.sdfOutput.empty() && group.isRoot(), convention);
            LigandPoses ligand;
            while (reader.next(ligand)) {
                distributor.add(ligand);
                progress.update(doneBytes + reader.bytesRead(), totals.ligandsScored, totals.posesScored,
                                totals.ligandsSkipped);
            }
            doneBytes += fileSize(file);
        }
        distributor.flush();
        progress.finish(totals.ligandsScored, totals.posesScored, totals.ligandsSkipped);
        for (auto& writer : writers)
            writer->finish(totals);
    }

    void printSummary() const {
        std::printf("\n");
        ranking.print(stdout);
        std::printf("\n%lld ligands (%lld poses) scored, %lld skipped, %lld flagged; wrote", totals.ligandsScored,
                    totals.posesScored, totals.ligandsSkipped, totals.ligandsFlagged);
        for (const auto& writer : writers)
            std::printf(" %s", writer->path().c_str());
        std::printf("\n");
    }

    const RunTotals& getTotals() const {
        return totals;
    }

private:
    // Ligands per block of a run of several processes: all ranks together score one block
    // between two exchanges, and rank 0 holds its ligands until it has written them.
    static constexpr int DistributedBlock = 256;

    /** Score one ligand: its energies and domain flags, or the problem that skips it. */
    LigandOutcome evaluate(const LigandPoses& ligand) {
        LigandOutcome outcome;
        outcome.problem = ligand.problem;
        if (!outcome.problem.empty())
            return outcome;
        const std::vector<int>& supported = scorer.supportedElements();
        const int unknownLigandAtom = scorer.firstUnknownElement(ligand.poses[0].atomicNumbers);
        if (unknownLigandAtom >= 0) {
            outcome.problem =
                unknownElementMessage(unknownLigandAtom, ligand.poses[0].atomicNumbers, supported, "ligand");
            return outcome;
        }
        const std::vector<int> pocket = pocketSelector.select(ligand);
        std::vector<int> pocketNumbers;
        for (int r : pocket)
            pocketNumbers.push_back(receptor.atomicNumbers[r]);
        const int unknownPocketAtom = scorer.firstUnknownElement(pocketNumbers);
        if (unknownPocketAtom >= 0) {
            outcome.problem = unknownElementMessage(pocket[unknownPocketAtom], receptor.atomicNumbers, supported,
                                                    "receptor (pocket)");
            return outcome;
        }
        const AffinityPlugin::PoseEnsemble complex = pocketComplexPoses(receptor, pocket, ligand);
        try {
            outcome.energiesKJ = scorer.energies(complex);
        } catch (const std::exception& e) {
            outcome.problem = "the model failed on its complex of " + std::to_string(complex.getNumAtoms()) +
                              " atoms (" + std::to_string(pocket.size()) + " in the pocket): " + conciseError(e.what());
            return outcome;
        }
        outcome.pocketAtoms = (int)pocket.size();
        const ScoredLigand scored = ScoredLigand::combine(ligand, outcome.pocketAtoms, outcome.energiesKJ, *combination,
                                                          options.temperature, readout);
        outcome.domain = domain.check(complex, scored.poseDeltaG, scored.combinedDeltaG);
        return outcome;
    }

    /** Write one ligand's outcome, or report and record it as skipped; on rank 0, in input order. */
    void record(LigandPoses& ligand, const LigandOutcome& outcome, ProgressReport& progress) {
        if (outcome.problem.empty())
            recordScored(ligand, outcome, progress);
        else
            ligand.problem = outcome.problem;
        if (ligand.problem.empty())
            return;
        totals.ligandsSkipped++;
        std::stringstream msg;
        msg << "affinity-rescore: skipped ligand '" << ligand.name << "' (" << ligand.source;
        if (ligand.firstRecord > 0)
            msg << ", record " << ligand.firstRecord;
        msg << "): " << ligand.problem;
        progress.message(msg.str());
        for (auto& writer : writers)
            writer->skip(ligand);
    }

    void recordScored(const LigandPoses& ligand, const LigandOutcome& outcome, ProgressReport& progress) {
        ScoredLigand scored = ScoredLigand::combine(ligand, outcome.pocketAtoms, outcome.energiesKJ, *combination,
                                                    options.temperature, readout);
        scored.domain = outcome.domain;
        if (!scored.domain.warning.empty()) {
            totals.ligandsFlagged++;
            progress.message("affinity-rescore: warning: ligand '" + ligand.name + "' (" + ligand.source + ", record " +
                             std::to_string(ligand.firstRecord) + "): " + scored.domain.warning);
        }
        for (auto& writer : writers)
            writer->write(scored);
        ranking.add(scored);
        totals.ligandsScored++;
        totals.posesScored += (long long)ligand.poses.size();
    }

    const RescoreOptions& options;
    const ProcessGroup& group;
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

} // namespace

int main(int argc, char* argv[]) {
    RescoreOptions options;
    int status = Success;
    if (!parseRescoreOptions(argc, argv, options, status))
        return status;
    AtomicOutputFile::removeOnSignal();
    std::unique_ptr<ProcessGroup> group;
    try {
        group = std::make_unique<ProcessGroup>();
        RescoreRun run(options, *group);
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
