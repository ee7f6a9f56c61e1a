// SPDX-License-Identifier: MIT
#ifndef AFFINITY_RESCORE_TEST_SUPPORT_H_
#define AFFINITY_RESCORE_TEST_SUPPORT_H_

// What the affinity-rescore tests share: running the tool, the fixtures that
// make_rescore_fixtures.sh writes, and readers of its outputs that do not share code with it
// (CSV by hand, JSON with Boost.PropertyTree, SDF with Open Babel).

#include <boost/property_tree/ptree.hpp>
#include <map>
#include <string>
#include <vector>

namespace RescoreTest {

/** What one run of affinity-rescore did. */
struct ToolRun {
    int exitStatus = -1;
    std::string out, err;
};

/** Run affinity-rescore with arguments (a shell-quoted string), in the fixtures folder. */
ToolRun runRescore(const std::string& arguments);
/** The same, stopped after a time limit (exit status 124 then, as coreutils' timeout gives). */
ToolRun runRescoreWithin(int seconds, const std::string& arguments);
/** A fixture file's path. */
std::string fixture(const std::string& name);
/** A model's path: the bundled example model ("example") or one of the test models ("elements_model.pt"). */
std::string modelPath(const std::string& name);
/** A fresh, empty folder for a test's outputs. */
std::string outputFolder(const std::string& name);
bool fileExists(const std::string& path);

/** A CSV file as rows of named fields. */
struct CsvTable {
    std::vector<std::string> header;
    std::vector<std::map<std::string, std::string>> rows;
};
CsvTable readCsv(const std::string& path);

boost::property_tree::ptree readJson(const std::string& path);

/** One record of an SDF file as Open Babel reads it. */
struct SdfRecord {
    std::string title;
    std::vector<int> atomicNumbers;
    std::map<std::string, std::string> tags;
};
std::vector<SdfRecord> readSdf(const std::string& path);

/** One molecule record of any file Open Babel reads: elements and positions in nm. */
struct Molecule {
    std::vector<int> atomicNumbers;
    std::vector<double> positions;
};
/** Every record of a file (the receptor is read without bond perception). */
std::vector<Molecule> readMolecules(const std::string& path, bool hydrogens = true);

} // namespace RescoreTest

#endif
