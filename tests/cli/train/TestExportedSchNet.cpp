// SPDX-License-Identifier: MIT
// Models written by `python -m openmmaffinity.models.export` load through
// AffinityModel::fromFile with the second contract and their attributes, and give, through
// AffinityScorer, the energies PyTorch gives (export_schnet_fixture.py writes both).

#include "AffinityModel.h"
#include "AffinityScorer.h"
#include "AffinityUnits.h"
#include "TestSupport.h"
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>

using namespace AffinityPlugin;

namespace {

struct Reference {
    std::vector<int> atomicNumbers;
    std::vector<bool> ligandMask;
    std::vector<double> positions;
    std::vector<double> energies;
    int numPoses = 0;
};

Reference readReference(const std::string& path) {
    std::ifstream in(path);
    REQUIRE(in.good());
    Reference r;
    int atoms = 0;
    in >> atoms >> r.numPoses;
    r.atomicNumbers.resize(atoms);
    for (int& z : r.atomicNumbers)
        in >> z;
    for (int i = 0; i < atoms; i++) {
        int flag;
        in >> flag;
        r.ligandMask.push_back(flag != 0);
    }
    r.positions.resize(3 * atoms * r.numPoses);
    for (double& x : r.positions)
        in >> x;
    r.energies.resize(r.numPoses);
    for (double& e : r.energies)
        in >> e;
    REQUIRE(!in.fail());
    return r;
}

std::string exported(const std::string& name) {
    return std::string(AFFINITY_EXPORTED_MODEL_DIR) + "/" + name;
}

} // namespace

TEST_CASE("An exported SchNet model loads with its contract and attributes and gives PyTorch's energies") {
    struct Case {
        std::string name;
        EnergyUnit unit;
        torch::ScalarType dtype;
        double kJPerUnit, tolerance;
    };
    auto c = GENERATE(Case{"schnet_small_delta", EnergyUnit::KcalPerMol, torch::kFloat64, KJPerKcal, 1e-10},
                      Case{"schnet_pyg_defaults", EnergyUnit::KJPerMol, torch::kFloat32, 1.0, 1e-4});
    INFO(c.name);
    AffinityModel model = AffinityModel::fromFile(exported(c.name + ".pt"));
    CHECK(model.getContract() == ModelContract::PositionsAtomicNumbersLigandMask);
    CHECK(model.getEnergyUnit() == c.unit);
    CHECK(model.supportsBatch());
    CHECK(model.parameterDtype() == c.dtype);
    CHECK(!model.trainableParameters().empty());

    Reference reference = readReference(exported(c.name + ".txt"));
    PoseEnsemble poses(reference.atomicNumbers, reference.ligandMask);
    poses.addPoses(reference.positions.data(), reference.numPoses);
    AffinityScorer scorer(model, reference.atomicNumbers, reference.ligandMask, torch::kCPU, c.dtype);
    for (int batch : {1, 3}) {
        std::vector<double> energies = scorer.poseEnergies(poses, batch);
        REQUIRE(energies.size() == reference.energies.size());
        for (size_t p = 0; p < energies.size(); p++) {
            double expected = reference.energies[p] * c.kJPerUnit;
            CHECK(std::abs(energies[p] - expected) <= c.tolerance * std::max(1.0, std::abs(expected)));
        }
    }
}
