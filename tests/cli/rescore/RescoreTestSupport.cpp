// SPDX-License-Identifier: MIT
#include "RescoreTestSupport.h"
#include <boost/property_tree/json_parser.hpp>
#include <cstdlib>
#include <fstream>
#include <openbabel/atom.h>
#include <openbabel/generic.h>
#include <openbabel/mol.h>
#include <openbabel/obconversion.h>
#include <sstream>
#include <stdexcept>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace RescoreTest;

namespace {

std::string readText(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

} // namespace

std::string RescoreTest::fixture(const std::string& name) {
    return std::string(AFFINITY_RESCORE_FIXTURES) + "/" + name;
}

std::string RescoreTest::modelPath(const std::string& name) {
    if (name == "example")
        return AFFINITY_EXAMPLE_MODEL;
    return std::string(AFFINITY_RESCORE_TEST_MODELS) + "/" + name;
}

bool RescoreTest::fileExists(const std::string& path) {
    struct stat info;
    return stat(path.c_str(), &info) == 0;
}

std::string RescoreTest::outputFolder(const std::string& name) {
    const std::string folder = std::string(AFFINITY_RESCORE_OUTPUTS) + "/" + name;
    if (std::system(("rm -rf '" + folder + "' && mkdir -p '" + folder + "'").c_str()) != 0)
        throw std::runtime_error("cannot make " + folder);
    return folder;
}

ToolRun RescoreTest::runRescore(const std::string& arguments) {
    return runRescoreWithin(0, arguments);
}

ToolRun RescoreTest::runRescoreWithin(int seconds, const std::string& arguments) {
    static int counter = 0;
    // Named by process too: the test programs may run in parallel and share the folder.
    const std::string base =
        std::string(AFFINITY_RESCORE_OUTPUTS) + "/run-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
    const std::string limit = seconds > 0 ? "timeout -k 10 " + std::to_string(seconds) + " " : "";
    const std::string command = "cd '" + std::string(AFFINITY_RESCORE_FIXTURES) + "' && " + limit + "'" +
                                std::string(AFFINITY_RESCORE_EXE) + "' " + arguments + " >'" + base + ".out' 2>'" +
                                base + ".err' </dev/null";
    const int status = std::system(command.c_str());
    ToolRun run;
    run.exitStatus = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    run.out = readText(base + ".out");
    run.err = readText(base + ".err");
    return run;
}

CsvTable RescoreTest::readCsv(const std::string& path) {
    CsvTable table;
    std::ifstream in(path);
    if (!in)
        throw std::runtime_error("cannot read " + path);
    std::string line;
    auto split = [](const std::string& text) {
        // RFC 4180 fields; no field of these tests spans lines.
        std::vector<std::string> fields(1);
        bool quoted = false;
        for (size_t i = 0; i < text.size(); i++) {
            const char c = text[i];
            if (quoted && c == '"' && i + 1 < text.size() && text[i + 1] == '"')
                fields.back() += text[++i];
            else if (c == '"')
                quoted = !quoted;
            else if (c == ',' && !quoted)
                fields.emplace_back();
            else
                fields.back() += c;
        }
        return fields;
    };
    if (!std::getline(in, line))
        return table;
    table.header = split(line);
    while (std::getline(in, line)) {
        const std::vector<std::string> fields = split(line);
        if (fields.size() != table.header.size())
            throw std::runtime_error(path + ": a row has " + std::to_string(fields.size()) + " fields; the header " +
                                     std::to_string(table.header.size()));
        std::map<std::string, std::string> row;
        for (size_t i = 0; i < fields.size(); i++)
            row[table.header[i]] = fields[i];
        table.rows.push_back(row);
    }
    return table;
}

boost::property_tree::ptree RescoreTest::readJson(const std::string& path) {
    boost::property_tree::ptree tree;
    boost::property_tree::read_json(path, tree);
    return tree;
}

std::vector<SdfRecord> RescoreTest::readSdf(const std::string& path) {
    std::vector<SdfRecord> records;
    OpenBabel::OBConversion conversion;
    conversion.SetInFormat("sdf");
    OpenBabel::OBMol mol;
    bool more = conversion.ReadFile(&mol, path);
    while (more) {
        SdfRecord record;
        record.title = mol.GetTitle();
        for (unsigned int i = 1; i <= mol.NumAtoms(); i++)
            record.atomicNumbers.push_back((int)mol.GetAtom(i)->GetAtomicNum());
        for (OpenBabel::OBGenericData* data : mol.GetAllData(OpenBabel::OBGenericDataType::PairData))
            record.tags[data->GetAttribute()] = data->GetValue();
        records.push_back(record);
        mol.Clear();
        more = conversion.Read(&mol);
    }
    return records;
}

std::vector<Molecule> RescoreTest::readMolecules(const std::string& path, bool hydrogens) {
    std::vector<Molecule> molecules;
    OpenBabel::OBConversion conversion;
    conversion.AddOption("b", OpenBabel::OBConversion::INOPTIONS);
    OpenBabel::OBMol mol;
    bool more = conversion.ReadFile(&mol, path);
    while (more) {
        Molecule molecule;
        for (unsigned int i = 1; i <= mol.NumAtoms(); i++) {
            OpenBabel::OBAtom* atom = mol.GetAtom(i);
            if (!hydrogens && atom->GetAtomicNum() == 1)
                continue;
            molecule.atomicNumbers.push_back((int)atom->GetAtomicNum());
            for (double x : {atom->GetX(), atom->GetY(), atom->GetZ()})
                molecule.positions.push_back(0.1 * x);
        }
        molecules.push_back(molecule);
        mol.Clear();
        more = conversion.Read(&mol);
    }
    return molecules;
}
