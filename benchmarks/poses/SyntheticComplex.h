// SPDX-License-Identifier: MIT
#ifndef AFFINITY_BENCHMARK_SYNTHETIC_COMPLEX_H_
#define AFFINITY_BENCHMARK_SYNTHETIC_COMPLEX_H_

#include "PoseEnsemble.h"
#include "openmm/Vec3.h"
#include <string>
#include <vector>

/**
 * A protein–ligand complex of a chosen size for benchmarks: receptor atoms at protein density
 * (about 100 atoms/nm^3) in a sphere around a ligand blob, with protein-like elements, and
 * poses made by rotating and shifting the ligand.
 */
struct SyntheticComplex {
    std::vector<OpenMM::Vec3> positions;
    std::vector<int> atomicNumbers;
    std::vector<bool> ligandMask;

    SyntheticComplex(int receptorAtoms, int ligandAtoms, unsigned seed = 1);
    /** `count` poses: the ligand turned by a random rotation and shifted by up to 0.1 nm. */
    AffinityPlugin::PoseEnsemble poses(int count, unsigned seed = 2) const;
};

/**
 * Write poses for python_reference.py: int32 P and N, int32 atomic numbers [N], uint8 ligand
 * flags [N], float64 positions [P,N,3] in nm, little-endian.
 */
void writePoses(const AffinityPlugin::PoseEnsemble& poses, const std::string& file);

#endif
