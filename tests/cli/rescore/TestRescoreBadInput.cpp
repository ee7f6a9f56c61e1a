// SPDX-License-Identifier: MIT
// affinity-rescore on bad input: a ligand or file that cannot be scored is reported and
// skipped, the others are scored, and the exit status says so (3); a missing model or
// receptor stops the run at once (1) and leaves earlier outputs as they were; usage errors
// exit 2.
#include "RescoreTestSupport.h"
#include <catch2/catch.hpp>
#include <dirent.h>
#include <fstream>
#include <sstream>

using namespace RescoreTest;
using Catch::Contains;

namespace {

std::vector<std::string> filesIn(const std::string& folder) {
    std::vector<std::string> names;
    if (DIR* dir = opendir(folder.c_str())) {
        while (dirent* entry = readdir(dir))
            if (std::string(entry->d_name) != "." && std::string(entry->d_name) != "..")
                names.push_back(entry->d_name);
        closedir(dir);
    }
    return names;
}

std::string contents(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

int rowsFor(const CsvTable& csv, const std::string& ligand) {
    int count = 0;
    for (const auto& row : csv.rows)
        count += row.at("ligand") == ligand;
    return count;
}

} // namespace

TEST_CASE("Unreadable, malformed, empty and inconsistent input is reported and skipped; the rest is scored") {
    const std::string out = outputFolder("bad_input");
    const ToolRun run =
        runRescore("--model '" + modelPath("example") +
                   "' --receptor receptor.pdbqt --poses imatinib.pdbqt "
                   "empty.sdf malformed.sdf mismatch.sdf reordered.sdf does-not-exist.sdf caffeine.pdbqt.gz --out " +
                   out + "/r.csv --json " + out + "/r.json");
    INFO(run.out << run.err);
    CHECK(run.exitStatus == 3);
    CHECK_THAT(run.err, Contains("skipped ligand 'empty' (empty.sdf): the file is empty; expected at least one pose"));
    CHECK_THAT(run.err,
               Contains("skipped ligand 'malformed' (malformed.sdf, record 1): record 1 (line 1) is damaged: the "
                        "counts line (line 4) gives 14 atoms and 15 bonds, but the record ends after 6 atom "
                        "lines"));
    CHECK_THAT(run.err, Contains("skipped ligand 'mismatch' (mismatch.sdf, record 1): pose 2 (record 2) has 14 atoms; "
                                 "expected 37, as pose 1 has"));
    CHECK_THAT(run.err, Contains("skipped ligand 'reordered' (reordered.sdf, record 1): pose 2 (record 2) has "));
    CHECK_THAT(run.err, Contains("all poses of a ligand need the same atoms in the same order"));
    CHECK_THAT(run.err, Contains("skipped ligand 'does-not-exist' (does-not-exist.sdf): cannot open the file: No such "
                                 "file or directory"));

    const CsvTable csv = readCsv(out + "/r.csv");
    const int imatinibPoses = (int)readMolecules(fixture("imatinib.pdbqt")).size();
    const int caffeinePoses = (int)readMolecules(fixture("caffeine.pdbqt.gz")).size();
    CHECK(rowsFor(csv, "imatinib") == imatinibPoses);
    CHECK(rowsFor(csv, "caffeine") == caffeinePoses);
    CHECK(csv.rows.size() == (size_t)(imatinibPoses + caffeinePoses));

    const auto json = readJson(out + "/r.json");
    CHECK(json.get<int>("totals.ligands_scored") == 2);
    CHECK(json.get<int>("totals.ligands_skipped") == 5);
    std::map<std::string, std::string> status, reason;
    for (const auto& item : json.get_child("ligands")) {
        status[item.second.get<std::string>("name")] = item.second.get<std::string>("status");
        reason[item.second.get<std::string>("name")] = item.second.get<std::string>("reason", "");
    }
    CHECK(status.size() == 7);
    for (const char* skipped : {"empty", "malformed", "mismatch", "reordered", "does-not-exist"})
        CHECK(status[skipped] == "skipped");
    CHECK(status["imatinib"] == "scored");
    CHECK(status["caffeine"] == "scored");
    CHECK_THAT(reason["mismatch"], Contains("has 14 atoms; expected 37"));
}

TEST_CASE("A ligand with an element the model does not know is skipped with a message naming it") {
    SECTION("the model declares supported_elements") {
        const std::string out = outputFolder("elements_declared");
        const ToolRun run = runRescore("--model '" + modelPath("elements_model.pt") +
                                       "' --receptor receptor.pdbqt --poses bromobenzene.sdf caffeine.pdbqt.gz --out " +
                                       out + "/r.csv");
        INFO(run.out << run.err);
        CHECK(run.exitStatus == 3);
        CHECK_THAT(run.err, Contains("skipped ligand 'bromobenzene' (bromobenzene.sdf, record 1): ligand atom 1 is Br "
                                     "(Z=35), an element the model does not know; expected one of its "
                                     "supported_elements: H C N O S"));
        const CsvTable csv = readCsv(out + "/r.csv");
        CHECK(rowsFor(csv, "bromobenzene") == 0);
        CHECK(rowsFor(csv, "caffeine") == (int)readMolecules(fixture("caffeine.pdbqt.gz")).size());
    }
    SECTION("the model raises for it") {
        const std::string out = outputFolder("elements_raised");
        const ToolRun run = runRescore("--model '" + modelPath("raising_model.pt") +
                                       "' --receptor receptor.pdbqt --poses bromobenzene.sdf caffeine.pdbqt.gz --out " +
                                       out + "/r.csv");
        INFO(run.out << run.err);
        CHECK(run.exitStatus == 3);
        CHECK_THAT(run.err, Contains("skipped ligand 'bromobenzene' (bromobenzene.sdf, record 1): the model failed on "
                                     "its complex"));
        CHECK_THAT(run.err, Contains("RaisingModel has no parameters for bromine (Z=35)"));
        const CsvTable csv = readCsv(out + "/r.csv");
        CHECK(rowsFor(csv, "bromobenzene") == 0);
        CHECK(rowsFor(csv, "caffeine") > 0);
    }
}

TEST_CASE("A ligand with an atom of no known element is skipped; the rest of its file is scored") {
    const std::string out = outputFolder("unknown_element");
    // Bromobenzene with its bromine spelled Xx, between two good ligands in one file.
    std::ifstream in(fixture("bromobenzene.sdf"));
    std::stringstream text;
    text << in.rdbuf();
    std::string good = text.str(), bad = good;
    bad.replace(bad.find(" Br "), 4, " Xx ");
    bad.replace(0, bad.find('\n'), "unknown");
    std::string second = good;
    second.replace(0, second.find('\n'), "second");
    std::ofstream(out + "/three.sdf") << good << bad << second;
    const ToolRun run = runRescore("--model '" + modelPath("example") + "' --receptor receptor.pdbqt --poses " + out +
                                   "/three.sdf --out " + out + "/r.csv");
    INFO(run.out << run.err);
    CHECK(run.exitStatus == 3);
    CHECK_THAT(run.err, Contains("skipped ligand 'unknown' ("));
    CHECK_THAT(run.err, Contains("three.sdf, record 2): record 2: atom 1 (type '"));
    CHECK_THAT(run.err, Contains("') has no element Open Babel recognises; expected atomic numbers 1-118"));
    const CsvTable csv = readCsv(out + "/r.csv");
    CHECK(rowsFor(csv, "unknown") == 0);
    CHECK(rowsFor(csv, "bromobenzene") == 1);
    CHECK(rowsFor(csv, "second") == 1);
}

TEST_CASE("A missing model or receptor stops the run at once and leaves earlier outputs untouched") {
    const std::string out = outputFolder("fatal");
    std::ofstream(out + "/r.csv") << "an earlier result\n";
    const std::string outputs = " --out " + out + "/r.csv --json " + out + "/r.json --out-sdf " + out + "/r.sdf";

    ToolRun run =
        runRescore("--model " + out + "/missing.pt --receptor receptor.pdbqt --poses imatinib.pdbqt" + outputs);
    CHECK(run.exitStatus == 1);
    CHECK_THAT(run.err,
               Contains("the model file " + out + "/missing.pt cannot be opened; expected a TorchScript file"));

    run =
        runRescore("--model '" + modelPath("example") + "' --receptor missing.pdbqt --poses imatinib.pdbqt" + outputs);
    CHECK(run.exitStatus == 1);
    CHECK_THAT(run.err, Contains("receptor missing.pdbqt: cannot open the file: No such file or directory"));

    run = runRescore("--model '" + modelPath("example") + "' --receptor empty.sdf --poses imatinib.pdbqt" + outputs);
    CHECK(run.exitStatus == 1);
    CHECK_THAT(run.err, Contains("receptor empty.sdf: the file is empty"));

    CHECK(contents(out + "/r.csv") == "an earlier result\n");
    CHECK(filesIn(out) == std::vector<std::string>{"r.csv"}); // no partial or temporary files
}

TEST_CASE("--help documents every option; a wrong command line exits 2 with the reason") {
    ToolRun run = runRescore("--help");
    CHECK(run.exitStatus == 0);
    for (const char* option : {"--model", "--receptor", "--poses", "--combination", "--temperature", "--max-scale",
                               "--pocket-cutoff", "--device", "--precision", "--threads", "--batch-size", "--readout",
                               "--substrate", "--km", "--out", "--out-sdf", "--json", "--top", "--quiet"})
        CHECK_THAT(run.out, Contains(option));
    CHECK_THAT(run.out, Contains("Exit status"));
    CHECK_THAT(run.out, Contains("supported_elements"));

    run = runRescore("--receptor receptor.pdbqt --poses imatinib.pdbqt");
    CHECK(run.exitStatus == 2);
    CHECK_THAT(run.err, Contains("--out is required"));

    run = runRescore("--receptor receptor.pdbqt --poses imatinib.pdbqt --out x.csv --combination median");
    CHECK(run.exitStatus == 2);
    CHECK_THAT(run.err, Contains("--combination is 'median'; expected boltzmann, max or mean"));
}
