// SPDX-License-Identifier: MIT
// affinity-rescore on Vina's real docking output: the outputs parse back with the right
// counts, the per-pose ΔG equal the plugin's computePoseEnergies for the whole complex, and
// the combined ΔG and weights equal the combinations' formulas evaluated here.
#include "AffinityForce.h"
#include "PoseEnsemble.h"
#include "RescoreTestSupport.h"
#include "TestSupport.h"
#include "openmm/Context.h"
#include "openmm/System.h"
#include "openmm/VerletIntegrator.h"
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

using namespace RescoreTest;
using Catch::Contains;

namespace {

const double KcalPerKJ = 1.0 / 4.184;
const double GasConstant = 0.00831446261815324; // kJ/(mol K)

// The scores Vina wrote, read from its PDBQT text ("REMARK VINA RESULT:  -7.1 ...").
std::vector<double> vinaScores(const std::string& path) {
    std::ifstream in(path);
    std::vector<double> scores;
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("REMARK VINA RESULT:", 0) == 0)
            scores.push_back(std::stod(line.substr(19)));
    return scores;
}

std::vector<std::map<std::string, std::string>> rowsOf(const CsvTable& table, const std::string& ligand) {
    std::vector<std::map<std::string, std::string>> rows;
    for (const auto& row : table.rows)
        if (row.at("ligand") == ligand)
            rows.push_back(row);
    return rows;
}

// Per-pose energies (kcal/mol) of a ligand's poses against the whole receptor, from
// AffinityForce::computePoseEnergies on the Reference platform.
std::vector<double> referenceEnergies(const std::string& modelFile, const Molecule& receptor,
                                      const std::vector<Molecule>& poses) {
    OpenMM::System system;
    auto* force = new AffinityPlugin::AffinityForce(modelFile);
    const int numReceptor = (int)receptor.atomicNumbers.size(), numLigand = (int)poses[0].atomicNumbers.size();
    for (int i = 0; i < numReceptor + numLigand; i++) {
        system.addParticle(1.0);
        const bool ligand = i >= numReceptor;
        force->addParticle(i, ligand ? poses[0].atomicNumbers[i - numReceptor] : receptor.atomicNumbers[i], ligand);
    }
    system.addForce(force);
    OpenMM::VerletIntegrator integrator(0.001);
    OpenMM::Context context(system, integrator, AffinityTest::platform());
    AffinityPlugin::PoseEnsemble ensemble = AffinityPlugin::PoseEnsemble::forForce(*force);
    for (const Molecule& pose : poses) {
        std::vector<OpenMM::Vec3> positions;
        for (int i = 0; i < numReceptor; i++)
            positions.emplace_back(receptor.positions[3 * i], receptor.positions[3 * i + 1],
                                   receptor.positions[3 * i + 2]);
        for (int i = 0; i < numLigand; i++)
            positions.emplace_back(pose.positions[3 * i], pose.positions[3 * i + 1], pose.positions[3 * i + 2]);
        ensemble.addPose(positions);
    }
    std::vector<double> energies = force->computePoseEnergies(context, ensemble);
    for (double& e : energies)
        e *= KcalPerKJ;
    return energies;
}

// Receptor atoms within cutoff (nm) of any atom of any pose, counted by brute force.
int pocketSize(const Molecule& receptor, const std::vector<Molecule>& poses, double cutoff) {
    int count = 0;
    for (size_t r = 0; r < receptor.atomicNumbers.size(); r++) {
        bool near = false;
        for (const Molecule& pose : poses)
            for (size_t a = 0; a < pose.atomicNumbers.size() && !near; a++) {
                double d2 = 0;
                for (int k = 0; k < 3; k++)
                    d2 += std::pow(pose.positions[3 * a + k] - receptor.positions[3 * r + k], 2);
                near = d2 <= cutoff * cutoff;
            }
        count += near;
    }
    return count;
}

} // namespace

TEST_CASE("Vina's multi-model PDBQT output is rescored end to end and the outputs parse back") {
    const std::string out = outputFolder("end_to_end");
    const ToolRun run = runRescore("--model '" + modelPath("example") +
                                   "' --receptor receptor.pdbqt --poses imatinib.pdbqt caffeine.pdbqt.gz --readout pki"
                                   " --out " +
                                   out + "/r.csv --json " + out + "/r.json --out-sdf " + out + "/r.sdf");
    INFO(run.out << run.err);
    REQUIRE(run.exitStatus == 0);
    CHECK_THAT(run.out, Contains(modelPath("example"))); // which model was used
    CHECK_THAT(run.err, !Contains("skipped ligand"));

    const std::vector<Molecule> imatinib = readMolecules(fixture("imatinib.pdbqt"));
    const std::vector<Molecule> caffeine = readMolecules(fixture("caffeine.pdbqt.gz"));
    const std::vector<double> imatinibVina = vinaScores(fixture("imatinib.pdbqt"));
    REQUIRE(imatinib.size() == imatinibVina.size());
    REQUIRE(imatinib.size() >= 2);
    REQUIRE(caffeine.size() >= 2);
    const size_t total = imatinib.size() + caffeine.size();

    // CSV: one row per pose, ranks by ΔG, weights summing to 1, Vina's scores carried along.
    const CsvTable csv = readCsv(out + "/r.csv");
    REQUIRE(csv.rows.size() == total);
    const double beta = 1.0 / (GasConstant * 298.15);
    for (const auto& [name, count] : {std::pair<std::string, size_t>{"imatinib", imatinib.size()},
                                      std::pair<std::string, size_t>{"caffeine", caffeine.size()}}) {
        const auto rows = rowsOf(csv, name);
        REQUIRE(rows.size() == count);
        double weightSum = 0;
        std::set<int> ranks;
        for (size_t n = 0; n < rows.size(); n++) {
            CHECK(std::stoi(rows[n].at("pose")) == (int)n + 1);
            CHECK(rows[n].at("combined_dG_kcal_mol") == rows[0].at("combined_dG_kcal_mol"));
            CHECK(rows[n].at("pKi") == rows[0].at("pKi"));
            weightSum += std::stod(rows[n].at("weight"));
            ranks.insert(std::stoi(rows[n].at("rank")));
            for (size_t m = 0; m < rows.size(); m++)
                if (std::stod(rows[m].at("dG_kcal_mol")) < std::stod(rows[n].at("dG_kcal_mol")))
                    CHECK(std::stoi(rows[m].at("rank")) < std::stoi(rows[n].at("rank")));
            if (name == "imatinib")
                CHECK(std::stod(rows[n].at("docking_score_kcal_mol")) == Approx(imatinibVina[n]).margin(5e-4));
        }
        CHECK(weightSum == Approx(1.0).margin(1e-5));
        CHECK(ranks.size() == count);
        CHECK(*ranks.begin() == 1);
        CHECK(*ranks.rbegin() == (int)count);
        // pKi = −βΔG / ln 10, with ΔG in kJ/mol.
        const double combined = std::stod(rows[0].at("combined_dG_kcal_mol"));
        CHECK(std::stod(rows[0].at("pKi")) == Approx(-beta * combined * 4.184 / std::log(10.0)).margin(1e-3));
    }

    // JSON: one entry per ligand, the totals, and the same combined ΔG.
    const auto json = readJson(out + "/r.json");
    CHECK(json.get<std::string>("settings.model") == modelPath("example"));
    CHECK(json.get<int>("totals.ligands_scored") == 2);
    CHECK(json.get<int>("totals.poses_scored") == (int)total);
    CHECK(json.get<int>("totals.ligands_skipped") == 0);
    std::map<std::string, boost::property_tree::ptree> entries;
    for (const auto& item : json.get_child("ligands"))
        entries[item.second.get<std::string>("name")] = item.second;
    REQUIRE(entries.size() == 2);
    CHECK(entries["imatinib"].get<std::string>("status") == "scored");
    CHECK(entries["imatinib"].get<int>("poses") == (int)imatinib.size());
    CHECK(entries["caffeine"].get<int>("poses") == (int)caffeine.size());
    CHECK(entries["caffeine"].get<double>("combined_dG_kcal_mol") ==
          Approx(std::stod(rowsOf(csv, "caffeine")[0].at("combined_dG_kcal_mol"))).margin(1e-6));
    CHECK(entries["imatinib"].get_child("pose_dG_kcal_mol").size() == imatinib.size());

    // SDF, read by Open Babel: every pose, sorted by rank within each ligand, with its scores
    // as data items and the atoms of the input pose it names.
    const std::vector<SdfRecord> sdf = readSdf(out + "/r.sdf");
    REQUIRE(sdf.size() == total);
    for (size_t i = 0; i < sdf.size(); i++) {
        const bool isImatinib = i < imatinib.size();
        const auto rows = rowsOf(csv, isImatinib ? "imatinib" : "caffeine");
        const int pose = std::stoi(sdf[i].tags.at("affinity_pose"));
        const int rank = std::stoi(sdf[i].tags.at("affinity_rank"));
        CHECK(rank == (int)(isImatinib ? i : i - imatinib.size()) + 1);
        REQUIRE(pose >= 1);
        REQUIRE(pose <= (int)rows.size());
        CHECK(std::stoi(rows[pose - 1].at("rank")) == rank);
        CHECK(std::stod(sdf[i].tags.at("affinity_dG_kcal_mol")) == std::stod(rows[pose - 1].at("dG_kcal_mol")));
        CHECK(std::stod(sdf[i].tags.at("affinity_weight")) == std::stod(rows[pose - 1].at("weight")));
        CHECK(sdf[i].tags.count("affinity_combined_dG_kcal_mol") == 1);
        CHECK(sdf[i].tags.count("affinity_pKi") == 1);
        CHECK(sdf[i].atomicNumbers == (isImatinib ? imatinib : caffeine)[pose - 1].atomicNumbers);
    }
}

TEST_CASE("Per-pose ΔG equal computePoseEnergies of the whole complex; combined ΔG the combinations' formulas") {
    // The tool's default atom convention: heavy atoms only, in the receptor and the ligand.
    const Molecule receptor = readMolecules(fixture("receptor.pdbqt"), false).at(0);
    const std::vector<Molecule> poses = readMolecules(fixture("imatinib.pdbqt"), false);
    // The example model's pair terms vanish beyond 1.0 nm, so a pocket of that radius must
    // give exactly the energies of the whole receptor.
    const std::vector<double> reference = referenceEnergies(modelPath("example"), receptor, poses);
    const double temperature = 310.0, beta = 1.0 / (GasConstant * temperature), scale = 3.0;

    for (const std::string combination : {"boltzmann", "max", "mean"}) {
        DYNAMIC_SECTION("combination " << combination) {
            const std::string out = outputFolder("reference_" + combination);
            const ToolRun run = runRescore("--model '" + modelPath("example") +
                                           "' --receptor receptor.pdbqt --poses imatinib.pdbqt --pocket-cutoff 1.0"
                                           " --temperature 310 --max-scale 3 --batch-size 3 --combination " +
                                           combination + " --out " + out + "/r.csv --json " + out + "/r.json");
            INFO(run.out << run.err);
            REQUIRE(run.exitStatus == 0);
            const CsvTable csv = readCsv(out + "/r.csv");
            REQUIRE(csv.rows.size() == poses.size());
            std::vector<double> g; // kJ/mol
            for (size_t n = 0; n < poses.size(); n++) {
                CHECK(std::stod(csv.rows[n].at("dG_kcal_mol")) == Approx(reference[n]).margin(2e-6));
                g.push_back(reference[n] * 4.184);
            }
            // The combinations, written out here: w = softmax(κG) with κ = −β (Boltzmann),
            // −tβ (max: the strongest binding pose), 0 (mean).
            const double kappa = combination == "boltzmann" ? -beta : combination == "max" ? -scale * beta : 0.0;
            const double shift = kappa * (kappa < 0 ? *std::min_element(g.begin(), g.end()) : 0.0);
            double sum = 0;
            for (double e : g)
                sum += std::exp(kappa * e - shift);
            double expected = 0;
            if (combination == "max")
                expected = (shift + std::log(sum)) / kappa;
            else
                for (double e : g)
                    expected += std::exp(kappa * e - shift) / sum * e;
            for (size_t n = 0; n < g.size(); n++)
                CHECK(std::stod(csv.rows[n].at("weight")) ==
                      Approx(std::exp(kappa * g[n] - shift) / sum).epsilon(1e-5).margin(1e-12));
            CHECK(std::stod(csv.rows[0].at("combined_dG_kcal_mol")) == Approx(expected / 4.184).margin(2e-6));

            const auto json = readJson(out + "/r.json");
            CHECK(json.get_child("ligands").begin()->second.get<int>("pocket_atoms") ==
                  pocketSize(receptor, poses, 1.0));
        }
    }
}

TEST_CASE("The same poses score the same from PDBQT, SDF, MOL2 and gzip; titles separate the ligands of one file") {
    const std::string out = outputFolder("formats");
    const ToolRun run = runRescore("--model '" + modelPath("example") +
                                   "' --receptor receptor.pdbqt --poses imatinib.pdbqt "
                                   "caffeine.pdbqt.gz both.sdf imatinib.mol2 --top 0 --out " +
                                   out + "/r.csv");
    INFO(run.out << run.err);
    REQUIRE(run.exitStatus == 0);
    const CsvTable csv = readCsv(out + "/r.csv");
    std::map<std::string, std::vector<std::string>> bySource;                    // ligand names per file
    std::map<std::pair<std::string, std::string>, std::vector<double>> energies; // (source, ligand) -> ΔG
    for (const auto& row : csv.rows) {
        auto& names = bySource[row.at("source")];
        if (std::find(names.begin(), names.end(), row.at("ligand")) == names.end())
            names.push_back(row.at("ligand"));
        energies[{row.at("source"), row.at("ligand")}].push_back(std::stod(row.at("dG_kcal_mol")));
    }
    REQUIRE(bySource["both.sdf"].size() == 2); // two titles, two ligands
    const std::vector<double> pdbqt = energies[{"imatinib.pdbqt", "imatinib"}];
    const std::vector<double> gz = energies[{"caffeine.pdbqt.gz", "caffeine"}];
    const std::vector<double> sdfImatinib = energies[{"both.sdf", bySource["both.sdf"][0]}];
    const std::vector<double> sdfCaffeine = energies[{"both.sdf", bySource["both.sdf"][1]}];
    const std::vector<double> mol2 = energies[{"imatinib.mol2", bySource["imatinib.mol2"].at(0)}];
    REQUIRE(!pdbqt.empty());
    REQUIRE(sdfImatinib.size() == pdbqt.size());
    REQUIRE(mol2.size() == pdbqt.size());
    REQUIRE(sdfCaffeine.size() == gz.size());
    for (size_t n = 0; n < pdbqt.size(); n++) {
        CHECK(sdfImatinib[n] == Approx(pdbqt[n]).margin(1e-5));
        CHECK(mol2[n] == Approx(pdbqt[n]).margin(1e-5));
    }
    for (size_t n = 0; n < gz.size(); n++)
        CHECK(sdfCaffeine[n] == Approx(gz[n]).margin(1e-5));
}

TEST_CASE("A record without a name is named after its file, also in Open Babel's own PDBQT") {
    // Open Babel writes "REMARK  Name = " with nothing after it for a molecule without a title.
    const std::string out = outputFolder("unnamed");
    std::ifstream in(fixture("caffeine.pdbqt"));
    std::stringstream text;
    text << in.rdbuf();
    std::string pdbqt = text.str();
    const std::string named = "Name = caffeine";
    int models = 0;
    for (size_t at = pdbqt.find(named); at != std::string::npos; at = pdbqt.find(named, at), models++)
        pdbqt.replace(at, named.size(), "Name = ");
    REQUIRE(models >= 2);
    std::ofstream(out + "/unnamed_ligand.pdbqt") << pdbqt;
    const ToolRun run = runRescore("--model '" + modelPath("example") + "' --receptor receptor.pdbqt --poses " + out +
                                   "/unnamed_ligand.pdbqt --out " + out + "/r.csv");
    INFO(run.out << run.err);
    REQUIRE(run.exitStatus == 0);
    const CsvTable csv = readCsv(out + "/r.csv");
    REQUIRE(csv.rows.size() == (size_t)models); // one ligand: all its poses, under the file's name
    for (const auto& row : csv.rows)
        CHECK(row.at("ligand") == "unnamed_ligand");
}
