// SPDX-License-Identifier: MIT
#ifndef AFFINITY_TEST_SUPPORT_H_
#define AFFINITY_TEST_SUPPORT_H_

// What the Catch2 tests share: the platform under test (from --platform), the loading of
// the plugins as OpenMM loads them, and the paths of the models that
// tests/models/make_test_models.py writes.

#include "openmm/Platform.h"
#include "openmm/Vec3.h"
#include <string>

namespace AffinityTest {

/** The platform named by --platform (default Reference). */
const std::string& platformName();
/** The platform under test; its plugins are loaded on first use. */
OpenMM::Platform& platform();
/** Load OpenMM's own plugins and this build's plugins, once. */
void loadPlugins();
/** The path of a test model, e.g. model("harmonic.pt"). */
std::string model(const std::string& name);
/** The restraint centre (nm) of the harmonic test models, E = k/2 Σ |x_i − c|². */
const OpenMM::Vec3 HarmonicCenter(1.0, 1.5, 2.0);
/** Their spring constant k, kJ/mol/nm². */
const double HarmonicSpring = 250.0;
/** The contents of a file. */
std::string readFile(const std::string& path);

} // namespace AffinityTest

#endif
