// SPDX-License-Identifier: MIT
// affinity-read-inputs: the docking-input layer of affinity-rescore on its own (the receptor
// and pose readers and the pocket selection, without the model), so that it can be built and
// run under AddressSanitizer and UndefinedBehaviorSanitizer in minutes rather than hours.
//
// usage: affinity-read-inputs [--receptor FILE] [--pocket-cutoff NM] POSES...
// Prints one line per ligand and a totals line "poses_read N ligands L skipped S"; exits as
// affinity-rescore does: 0, 3 when a ligand was skipped, 1 when the receptor cannot be read.
#include "PocketSelector.h"
#include "PoseReader.h"
#include "Receptor.h"
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

using namespace AffinityCli;

int main(int argc, char* argv[]) {
    std::string receptorFile;
    double cutoff = 0.6;
    std::vector<std::string> poseFiles;
    for (int i = 1; i < argc; i++) {
        const std::string arg = argv[i];
        if (arg == "--receptor" && i + 1 < argc)
            receptorFile = argv[++i];
        else if (arg == "--pocket-cutoff" && i + 1 < argc)
            cutoff = std::stod(argv[++i]);
        else if (arg == "--help" || arg.rfind("--", 0) == 0) {
            std::printf("usage: affinity-read-inputs [--receptor FILE] [--pocket-cutoff NM] POSES...\n");
            return arg == "--help" ? 0 : 2;
        } else
            poseFiles.push_back(arg);
    }
    Receptor receptor;
    std::unique_ptr<PocketSelector> selector;
    if (!receptorFile.empty()) {
        try {
            receptor = Receptor::read(receptorFile, AtomConvention::HeavyAtoms);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "affinity-read-inputs: %s\n", e.what());
            return 1;
        }
        std::printf("receptor %s: %d atoms\n", receptorFile.c_str(), receptor.numAtoms());
        selector = std::make_unique<PocketSelector>(receptor, cutoff);
    }
    long long poses = 0, ligands = 0, skipped = 0;
    for (const std::string& file : poseFiles) {
        PoseReader reader(file, true, AtomConvention::HeavyAtoms);
        LigandPoses ligand;
        while (reader.next(ligand)) {
            if (!ligand.problem.empty()) {
                skipped++;
                std::fprintf(stderr, "skipped ligand '%s' (%s, record %d): %s\n", ligand.name.c_str(),
                             ligand.source.c_str(), ligand.firstRecord, ligand.problem.c_str());
                continue;
            }
            const size_t pocket = selector ? selector->select(ligand).size() : 0;
            std::printf("ligand '%s' (%s, record %d): %zu poses of %d atoms, %zu pocket atoms\n", ligand.name.c_str(),
                        ligand.source.c_str(), ligand.firstRecord, ligand.poses.size(), ligand.numLigandAtoms(),
                        pocket);
            ligands++;
            poses += (long long)ligand.poses.size();
        }
    }
    std::printf("poses_read %lld ligands %lld skipped %lld\n", poses, ligands, skipped);
    return skipped > 0 ? 3 : 0;
}
