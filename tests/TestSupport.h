#ifndef AFFINITY_TEST_SUPPORT_H_
#define AFFINITY_TEST_SUPPORT_H_

// What the Catch2 tests share: the platform under test (from --platform), the loading of
// the plugins as OpenMM loads them, and the paths of the models that
// tests/models/make_test_models.py writes.

#include "openmm/Platform.h"
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
/** The contents of a file. */
std::string readFile(const std::string& path);

} // namespace AffinityTest

#endif
