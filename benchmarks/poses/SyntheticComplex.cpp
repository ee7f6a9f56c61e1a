// SPDX-License-Identifier: MIT
#include "SyntheticComplex.h"
#include <cmath>
#include <cstdint>
#include <fstream>
#include <random>

using OpenMM::Vec3;

namespace {

Vec3 pointInBall(std::mt19937& rng, double radius) {
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    while (true) {
        Vec3 p(u(rng), u(rng), u(rng));
        if (p.dot(p) <= 1.0)
            return p * radius;
    }
}

} // namespace

SyntheticComplex::SyntheticComplex(int receptorAtoms, int ligandAtoms, unsigned seed) {
    std::mt19937 rng(seed);
    const int receptorElements[] = {6, 6, 6, 7, 8, 1, 1, 16};
    const int ligandElements[] = {6, 6, 6, 7, 8, 1, 9, 17};
    // 100 atoms/nm^3 around a cavity of 0.5 nm radius that holds the ligand.
    const double cavity = 0.5;
    const double outer = std::cbrt(receptorAtoms / (100.0 * 4.0 / 3.0 * M_PI) + cavity * cavity * cavity);
    while ((int)positions.size() < receptorAtoms) {
        Vec3 p = pointInBall(rng, outer);
        if (std::sqrt(p.dot(p)) < cavity)
            continue;
        positions.push_back(p);
        atomicNumbers.push_back(receptorElements[positions.size() % 8]);
        ligandMask.push_back(false);
    }
    for (int i = 0; i < ligandAtoms; i++) {
        positions.push_back(pointInBall(rng, 0.4));
        atomicNumbers.push_back(ligandElements[i % 8]);
        ligandMask.push_back(true);
    }
}

AffinityPlugin::PoseEnsemble SyntheticComplex::poses(int count, unsigned seed) const {
    std::mt19937 rng(seed);
    std::normal_distribution<double> normal(0.0, 1.0);
    AffinityPlugin::PoseEnsemble result(atomicNumbers, ligandMask);
    result.reserve(count);
    for (int p = 0; p < count; p++) {
        // A random rotation from a random unit quaternion, and a shift.
        double q[4];
        double norm = 0.0;
        for (double& v : q) {
            v = normal(rng);
            norm += v * v;
        }
        for (double& v : q)
            v /= std::sqrt(norm);
        const double w = q[0], x = q[1], y = q[2], z = q[3];
        const double r[3][3] = {{1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)},
                                {2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)},
                                {2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)}};
        const Vec3 shift = Vec3(normal(rng), normal(rng), normal(rng)) * 0.05;
        std::vector<Vec3> pose = positions;
        for (size_t i = 0; i < pose.size(); i++)
            if (ligandMask[i]) {
                const Vec3 a = positions[i];
                pose[i] = Vec3(r[0][0] * a[0] + r[0][1] * a[1] + r[0][2] * a[2],
                               r[1][0] * a[0] + r[1][1] * a[1] + r[1][2] * a[2],
                               r[2][0] * a[0] + r[2][1] * a[1] + r[2][2] * a[2]) +
                          shift;
            }
        result.addPose(pose);
    }
    return result;
}

void writePoses(const AffinityPlugin::PoseEnsemble& poses, const std::string& file) {
    std::ofstream out(file, std::ios::binary);
    const int32_t header[2] = {poses.getNumPoses(), poses.getNumAtoms()};
    out.write(reinterpret_cast<const char*>(header), sizeof(header));
    for (int z : poses.getAtomicNumbers()) {
        const int32_t value = z;
        out.write(reinterpret_cast<const char*>(&value), sizeof(value));
    }
    for (bool ligand : poses.getLigandMask()) {
        const uint8_t value = ligand;
        out.write(reinterpret_cast<const char*>(&value), 1);
    }
    out.write(reinterpret_cast<const char*>(poses.getPositions().data()), poses.getPositions().size() * sizeof(double));
}
