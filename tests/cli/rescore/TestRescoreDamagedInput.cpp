// SPDX-License-Identifier: MIT
// affinity-rescore on damaged input, each case as a tester found it with the real tools: a
// line too long for Open Babel (which would loop forever), input cut short or inconsistent
// (which Open Babel reads in part without a word), and coordinates too large for any grid.
// A damaged pose record skips its ligand with a message naming the file, record and line, and
// the run exits 3; a damaged receptor ends the run (exit 1). Every run has a time limit, so a
// hang fails the test instead of stalling the suite.
#include "RescoreTestSupport.h"
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

using namespace RescoreTest;
using Catch::Contains;

namespace {

// A run of the example model on these inputs takes a few seconds; a hang is far longer.
constexpr int TimeLimitSeconds = 120;

std::string readBytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

void writeBytes(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
}

void gzip(const std::string& path) {
    REQUIRE(std::system(("gzip -f -n '" + path + "'").c_str()) == 0);
}

std::vector<std::string> linesOf(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line))
        lines.push_back(line);
    return lines;
}

std::string joined(const std::vector<std::string>& lines) {
    std::string text;
    for (const std::string& line : lines)
        text += line + "\n";
    return text;
}

int rowsFor(const CsvTable& csv, const std::string& ligand) {
    int count = 0;
    for (const auto& row : csv.rows)
        count += row.at("ligand") == ligand;
    return count;
}

ToolRun rescore(const std::string& receptor, const std::string& poses, const std::string& out) {
    return runRescoreWithin(TimeLimitSeconds, "--model '" + modelPath("example") + "' --receptor '" + receptor +
                                                  "' --poses " + poses + " --out " + out + "/r.csv --json " + out +
                                                  "/r.json");
}

/**
 * Write `bytes` as the receptor `name` in `out`, rescore a ligand against it, and check that the
 * run ends with exit 1, the receptor's message and no output.
 */
void checkReceptorRefused(const std::string& out, const std::string& name, const std::string& bytes,
                          const std::string& message) {
    writeBytes(out + name, bytes);
    const ToolRun run = rescore(out + name, "imatinib.pdbqt", out);
    INFO(run.out << run.err);
    CHECK(run.exitStatus == 1);
    CHECK_THAT(run.err, Contains("receptor " + out + name + ": " + message));
    CHECK(!fileExists(out + "/r.csv"));
}

} // namespace

TEST_CASE("A line longer than the limit is reported with its file and line number, not read forever") {
    // 40,000 bytes: beyond Open Babel's 32 KiB line buffer, on which its readers loop forever.
    const std::string longRemark = "REMARK " + std::string(40000, 'x');
    std::vector<std::string> imatinib = linesOf(readBytes(fixture("imatinib.pdbqt")));
    imatinib.insert(imatinib.begin() + 2, longRemark);

    SECTION("in a pose file, plain or gzipped: its ligand is skipped, the other files are scored") {
        const std::string out = outputFolder("long_line_poses");
        writeBytes(out + "/long.pdbqt", joined(imatinib));
        writeBytes(out + "/longgz.pdbqt", joined(imatinib));
        gzip(out + "/longgz.pdbqt");
        const ToolRun run =
            rescore("receptor.pdbqt", out + "/long.pdbqt " + out + "/longgz.pdbqt.gz caffeine.pdbqt.gz", out);
        INFO(run.out << run.err);
        REQUIRE(run.exitStatus == 3);
        for (const char* file : {"long.pdbqt", "longgz.pdbqt.gz"})
            CHECK_THAT(run.err, Contains(std::string(file) + ", record 1): record 1 (line 1) is damaged: line 3 is "
                                                             "longer than 16384 bytes, the longest line accepted"));
        const CsvTable csv = readCsv(out + "/r.csv");
        CHECK(csv.rows.size() == readMolecules(fixture("caffeine.pdbqt.gz")).size());
        CHECK(readJson(out + "/r.json").get<int>("totals.ligands_skipped") == 2);
    }
    SECTION("in the receptor: the run ends with exit 1") {
        const std::string out = outputFolder("long_line_receptor");
        std::vector<std::string> receptor = linesOf(readBytes(fixture("receptor.pdbqt")));
        receptor.insert(receptor.begin() + 10, longRemark);
        checkReceptorRefused(out, "/receptor.pdbqt", joined(receptor),
                             "its first structure (line 1) is damaged: line 11 is longer than 16384 bytes");
    }
}

TEST_CASE("A gzip file cut in half skips the ligand it cuts, with the gzip error; the rest is scored") {
    const std::string out = outputFolder("gzip_cut");
    const std::string whole = readBytes(fixture("caffeine.pdbqt.gz"));
    writeBytes(out + "/caffeine.pdbqt.gz", whole.substr(0, whole.size() / 2));
    const ToolRun run = rescore("receptor.pdbqt", out + "/caffeine.pdbqt.gz imatinib.pdbqt", out);
    INFO(run.out << run.err);
    CHECK(run.exitStatus == 3);
    CHECK_THAT(run.err, Contains("skipped ligand 'caffeine' (" + out + "/caffeine.pdbqt.gz, record 1): record "));
    CHECK_THAT(run.err, Contains("is damaged: the gzip stream is cut short (it ends without its trailer; the file is "
                                 "truncated)"));
    const CsvTable csv = readCsv(out + "/r.csv");
    CHECK(rowsFor(csv, "caffeine") == 0);
    CHECK(rowsFor(csv, "imatinib") == (int)readMolecules(fixture("imatinib.pdbqt")).size());
    CHECK(readJson(out + "/r.json").get<int>("totals.ligands_skipped") == 1);
}

TEST_CASE("A MOL2 file cut inside a record's atoms skips that record's ligand") {
    const std::string out = outputFolder("mol2_cut");
    const std::vector<std::string> lines = linesOf(readBytes(fixture("imatinib.mol2")));
    // Cut the last record in the middle of its ATOM section.
    size_t lastAtoms = 0;
    for (size_t i = 0; i < lines.size(); i++)
        if (lines[i].rfind("@<TRIPOS>ATOM", 0) == 0)
            lastAtoms = i;
    REQUIRE(lastAtoms > 0);
    writeBytes(out + "/cut.mol2", joined(std::vector<std::string>(lines.begin(), lines.begin() + lastAtoms + 11)));
    const ToolRun run = rescore("receptor.pdbqt", out + "/cut.mol2", out);
    INFO(run.out << run.err);
    CHECK(run.exitStatus == 3);
    CHECK_THAT(run.err, Contains("cut.mol2, record 1): record 4 (line "));
    CHECK_THAT(run.err, Contains("is damaged: its MOLECULE section gives " +
                                 std::to_string(readMolecules(fixture("imatinib.mol2")).back().atomicNumbers.size()) +
                                 " atoms, but its ATOM section holds 10 atom lines (is the record cut short?)"));
    CHECK(readCsv(out + "/r.csv").rows.empty());
}

TEST_CASE("A receptor .gz cut short ends the run with the gzip error") {
    const std::string out = outputFolder("receptor_gz_cut");
    writeBytes(out + "/receptor.pdbqt", readBytes(fixture("receptor.pdbqt")));
    gzip(out + "/receptor.pdbqt");
    const std::string whole = readBytes(out + "/receptor.pdbqt.gz");
    checkReceptorRefused(out, "/receptor.pdbqt.gz", whole.substr(0, whole.size() * 2 / 5),
                         "its first structure (line 1) is damaged: the gzip stream is cut short");
}

TEST_CASE("An SDF counts line that overflows its 3-column field skips the record, naming the line") {
    // 1,200 atoms: "1200" in the 3-column atom count reads as 120, and Open Babel read 120 atoms.
    const std::string out = outputFolder("sdf_counts_overflow");
    std::ostringstream sdf;
    sdf << "overflow\n  test\n\n" << 1200 << "  0  0  0  0  0  0  0  0999 V2000\n";
    char line[128];
    for (int i = 0; i < 1200; i++) {
        std::snprintf(line, sizeof(line), "%10.4f%10.4f%10.4f C   0  0  0  0  0  0  0  0  0  0  0  0\n",
                      10.0 + 1.5 * (i % 10), 8.0 + 1.5 * (i / 10 % 10), 8.0 + 1.5 * (i / 100));
        sdf << line;
    }
    sdf << "M  END\n$$$$\n";
    writeBytes(out + "/overflow.sdf", sdf.str());
    const ToolRun run = rescore("receptor.pdbqt", out + "/overflow.sdf caffeine.pdbqt.gz", out);
    INFO(run.out << run.err);
    CHECK(run.exitStatus == 3);
    CHECK_THAT(run.err, Contains("skipped ligand 'overflow' (" + out +
                                 "/overflow.sdf, record 1): record 1 (line 1) is damaged: line 125 "));
    CHECK_THAT(run.err, Contains("follows the atom and bond blocks (the counts line (line 4) gives 120 atoms and 0 "
                                 "bonds) but is neither a property line nor M  END; it is an atom line, so the counts "
                                 "line gives too few atoms"));
    const CsvTable csv = readCsv(out + "/r.csv");
    CHECK(rowsFor(csv, "overflow") == 0);
    CHECK(rowsFor(csv, "caffeine") > 0);
}

TEST_CASE("A coordinate too large for any position is an error naming the atom, in a pose or in the receptor") {
    SECTION("a pose: its ligand is skipped") {
        const std::string out = outputFolder("huge_coordinate_pose");
        std::vector<std::string> lines = linesOf(readBytes(fixture("bromobenzene.sdf")));
        lines[5].replace(0, 10, "1.0000e+20"); // atom 2's x, 1e20 Å
        writeBytes(out + "/huge.sdf", joined(lines));
        const ToolRun run = rescore("receptor.pdbqt", out + "/huge.sdf caffeine.pdbqt.gz", out);
        INFO(run.out << run.err);
        CHECK(run.exitStatus == 3);
        CHECK_THAT(run.err, Contains("skipped ligand 'bromobenzene' (" + out +
                                     "/huge.sdf, record 1): record 1 (line 1): atom 2 has the coordinate 1e+20 "
                                     "angstrom; expected finite positions within 1e+06 angstrom"));
        CHECK(rowsFor(readCsv(out + "/r.csv"), "caffeine") > 0);
    }
    SECTION("the receptor: the run ends with exit 1") {
        const std::string out = outputFolder("huge_coordinate_receptor");
        std::vector<std::string> lines = linesOf(readBytes(fixture("receptor.pdbqt")));
        size_t atom = 0;
        while (lines[atom].rfind("ATOM", 0) != 0)
            atom++;
        lines[atom].replace(30, 8, "1.00e+19");
        checkReceptorRefused(
            out, "/receptor.pdbqt", joined(lines),
            "atom 1 has the coordinate 1e+19 angstrom; expected finite positions within 1e+06 angstrom");
    }
}
