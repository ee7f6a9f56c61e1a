// SPDX-License-Identifier: MIT
#include "MoleculeFileFormat.h"
#include <algorithm>
#include <cctype>
#include <openbabel/oberror.h>

using namespace AffinityCli;

namespace {

bool endsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string lowercase(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return (char)std::tolower(c); });
    return s;
}

std::string baseName(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

} // namespace

MoleculeFileFormat MoleculeFileFormat::forFile(const std::string& path) {
    return forFile(path, "");
}

MoleculeFileFormat MoleculeFileFormat::forFile(const std::string& path, const std::string& formatName) {
    MoleculeFileFormat result;
    std::string name = lowercase(baseName(path));
    if (endsWith(name, ".gz")) {
        result.gzipped = true;
        name.resize(name.size() - 3);
    }
    const size_t dot = name.find_last_of('.');
    if (!formatName.empty())
        result.extension = lowercase(formatName);
    else if (dot == std::string::npos || path == "-")
        return result;
    else
        result.extension = name.substr(dot + 1);
    // Open Babel's "cif" is small-molecule crystallography; receptors come as mmCIF.
    const std::string id = result.extension == "cif" ? "mmcif" : result.extension;
    result.format = OpenBabel::OBConversion::FindFormat(id);
    return result;
}

OpenBabelMessages::OpenBabelMessages() {
    OpenBabel::obErrorLog.SetOutputStream(&captured);
    OpenBabel::obErrorLog.SetOutputLevel(OpenBabel::obWarning);
    // Open Babel also keeps every message in a log without limit by default; a stream of
    // many thousands of records must not grow it.
    OpenBabel::obErrorLog.SetMaxLogEntries(100);
}

OpenBabelMessages::~OpenBabelMessages() {
    OpenBabel::obErrorLog.SetOutputStream(&std::clog);
}

std::string OpenBabelMessages::take() {
    // Open Babel frames each message with "====" rules and "*** Open Babel Warning in …"
    // headers; keep only the messages themselves.
    std::string line, result;
    while (std::getline(captured, line)) {
        const size_t start = line.find_first_not_of(" \t=*");
        if (start == std::string::npos || line.compare(start, 11, "Open Babel ") == 0)
            continue;
        if (!result.empty())
            result += "; ";
        result += line.substr(start);
    }
    captured.str("");
    captured.clear();
    OpenBabel::obErrorLog.ClearLog();
    return result;
}

std::string AffinityCli::fileStem(const std::string& path) {
    if (path == "-")
        return "stdin";
    std::string name = baseName(path);
    if (endsWith(lowercase(name), ".gz"))
        name.resize(name.size() - 3);
    const size_t dot = name.find_last_of('.');
    return dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
}

std::string AffinityCli::inputName(const std::string& path) {
    return path == "-" ? "stdin" : path;
}
