// SPDX-License-Identifier: MIT
// affinity-pose-read-benchmark: how long reading pose files takes, per pose, two ways:
//  - parsed: every record through PoseReader (Open Babel), as affinity-rescore reads them;
//  - scanned: only the record boundaries found (lines that end an SDF or PDBQT record or
//    start a MOL2 one), the least a process must do to skip records that another one scores.
#include "AtomConvention.h"
#include "LigandPoses.h"
#include "PoseReader.h"
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU seconds of this process: steadier than wall time on a shared machine.
double cpuSeconds() {
    return (double)std::clock() / CLOCKS_PER_SEC;
}

bool endsRecord(const std::string& line) {
    return line.rfind("$$$$", 0) == 0 || line.rfind("ENDMDL", 0) == 0 || line.rfind("@<TRIPOS>MOLECULE", 0) == 0;
}

} // namespace

int main(int argc, char** argv) {
    std::vector<std::string> files;
    for (int i = 1; i < argc; i++) {
        if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
            std::printf(
                "usage: affinity-pose-read-benchmark FILE...\n\n"
                "Reads the pose files (SDF, PDBQT, MOL2; not compressed) twice and prints the time per pose:\n"
                "  parsed   every record through the tools' PoseReader (Open Babel), as affinity-rescore reads;\n"
                "  scanned  only the lines read and record boundaries found, without parsing.\n");
            return 0;
        }
        files.push_back(argv[i]);
    }
    if (files.empty()) {
        std::fprintf(stderr, "affinity-pose-read-benchmark: no pose files given; see --help\n");
        return 1;
    }
    long long ligands = 0, poses = 0, skipped = 0;
    Clock::time_point start = Clock::now();
    double cpuStart = cpuSeconds();
    for (const std::string& file : files) {
        AffinityCli::PoseReader reader(file, false, AffinityCli::AtomConvention::HeavyAtoms);
        AffinityCli::LigandPoses ligand;
        while (reader.next(ligand)) {
            if (!ligand.problem.empty()) {
                skipped++;
                continue;
            }
            ligands++;
            poses += (long long)ligand.poses.size();
        }
    }
    const double parsed = secondsSince(start), parsedCpu = cpuSeconds() - cpuStart;
    long long records = 0;
    start = Clock::now();
    cpuStart = cpuSeconds();
    for (const std::string& file : files) {
        std::ifstream in(file);
        std::string line;
        while (std::getline(in, line))
            records += endsRecord(line) ? 1 : 0;
    }
    const double scanned = secondsSince(start), scannedCpu = cpuSeconds() - cpuStart;
    const double perPose = 1e6 / (double)std::max(poses, 1LL);
    std::printf(
        "| files | ligands | poses | skipped ligands | parsed: wall s | parsed: CPU us/pose | scanned: wall s | "
        "scanned: CPU us/pose | records scanned |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    std::printf("| %zu | %lld | %lld | %lld | %.3f | %.1f | %.4f | %.2f | %lld |\n", files.size(), ligands, poses,
                skipped, parsed, parsedCpu * perPose, scanned, scannedCpu * perPose, records);
    return 0;
}
