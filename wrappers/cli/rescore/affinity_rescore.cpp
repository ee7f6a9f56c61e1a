// SPDX-License-Identifier: MIT
// affinity-rescore: rescore docked poses with a learned affinity model. Reads a receptor and
// pose files through Open Babel one ligand at a time, scores each ligand's poses as one
// pocket complex with AffinityScorer, combines them, and writes CSV, SDF and JSON outputs
// (see --help, and RescoreOptions.cpp for the full description).
#include "AffinityLoss.h"
#include "AtomConvention.h"
#include "Combination.h"
#include "ElementSymbol.h"
#include "LigandRanking.h"
#include "PocketComplex.h"
#include "PocketSelector.h"
#include "PoseReader.h"
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
    explicit RescoreRun(const RescoreOptions& options)
        : options(options), scorer(options.model, options.deviceName, options.precisionKind, options.temperature,
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
        ProgressReport progress((double)totalBytes, "poses", ProgressReport::shownOnStderr(options.quiet));
        for (const std::string& file : options.poseFiles) {
            PoseReader reader(file, !options.sdfOutput.empty(), convention);
            LigandPoses ligand;
            while (reader.next(ligand)) {
                if (ligand.problem.empty())
                    score(ligand, progress);
                if (!ligand.problem.empty()) {
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
                progress.update((double)(doneBytes + reader.bytesRead()), totals.posesScored, progressDetails());
            }
            doneBytes += fileSize(file);
        }
        progress.finish(totals.posesScored, progressDetails());
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
    std::string progressDetails() const {
        return std::to_string(totals.ligandsScored) + " ligands, " + std::to_string(totals.posesScored) + " poses, " +
               std::to_string(totals.ligandsSkipped) + " skipped";
    }

    /** Score one ligand, or set its problem when it cannot be scored. */
    void score(LigandPoses& ligand, ProgressReport& progress) {
        const std::vector<int>& supported = scorer.supportedElements();
        const int unknownLigandAtom = scorer.firstUnknownElement(ligand.poses[0].atomicNumbers);
        if (unknownLigandAtom >= 0) {
            ligand.problem =
                unknownElementMessage(unknownLigandAtom, ligand.poses[0].atomicNumbers, supported, "ligand");
            return;
        }
        const std::vector<int> pocket = pocketSelector.select(ligand);
        std::vector<int> pocketNumbers;
        for (int r : pocket)
            pocketNumbers.push_back(receptor.atomicNumbers[r]);
        const int unknownPocketAtom = scorer.firstUnknownElement(pocketNumbers);
        if (unknownPocketAtom >= 0) {
            ligand.problem = unknownElementMessage(pocket[unknownPocketAtom], receptor.atomicNumbers, supported,
                                                   "receptor (pocket)");
            return;
        }
        const AffinityPlugin::PoseEnsemble complex = pocketComplexPoses(receptor, pocket, ligand);
        std::vector<double> energies;
        try {
            energies = scorer.energies(complex);
        } catch (const std::exception& e) {
            ligand.problem = "the model failed on its complex of " + std::to_string(complex.getNumAtoms()) +
                             " atoms (" + std::to_string(pocket.size()) + " in the pocket): " + conciseError(e.what());
            return;
        }
        ScoredLigand scored =
            ScoredLigand::combine(ligand, (int)pocket.size(), energies, *combination, options.temperature, readout);
        scored.domain = domain.check(complex, scored.poseDeltaG, scored.combinedDeltaG);
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
    try {
        RescoreRun run(options);
        run.printHeader();
        run.run();
        run.printSummary();
        return run.getTotals().ligandsSkipped > 0 ? SomethingSkipped : Success;
    } catch (const std::exception& e) {
        const std::string message = e.what();
        std::fprintf(stderr, "%s%s\n",
                     message.rfind("affinity-rescore", 0) == 0 ? "" : "affinity-rescore: ", message.c_str());
        return Failure;
    }
}
