// SPDX-License-Identifier: MIT
#include "PoseInputs.h"
#include "TextRecord.h"
#include "ToolCommandLine.h"
#include <algorithm>
#include <boost/program_options.hpp>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace AffinityCli;
namespace po = boost::program_options;

namespace {

/** The pose extensions a directory's files are taken by; --format's choices are the first of each kind. */
const std::vector<std::string> PoseExtensions = {"sdf", "pdbqt", "mol2", "pdb", "mol", "sd", "ml2", "ent", "mdl"};

bool isPoseExtension(const std::string& extension) {
    return std::find(PoseExtensions.begin(), PoseExtensions.end(), extension) != PoseExtensions.end();
}

std::string formatList() {
    const std::vector<std::string>& names = poseFormatNames();
    std::string text;
    for (size_t i = 0; i < names.size(); i++)
        text += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
    return text;
}

bool isDirectory(const std::string& path) {
    struct stat info;
    return stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

bool exists(const std::string& path) {
    struct stat info;
    return stat(path.c_str(), &info) == 0;
}

/** The pose files of a directory, sorted by name byte by byte. */
std::vector<std::string> directoryPoseFiles(const std::string& directory, const std::string& option) {
    DIR* folder = opendir(directory.c_str());
    if (folder == nullptr)
        throw CommandLineError(option + " " + directory + ": cannot read the directory: " + std::strerror(errno));
    std::vector<std::string> names;
    while (const dirent* entry = readdir(folder)) {
        const std::string name = entry->d_name;
        if (name.empty() || name[0] == '.' || !isPoseExtension(poseExtension(name)))
            continue;
        const std::string path = directory + (directory.back() == '/' ? "" : "/") + name;
        struct stat info;
        if (stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode))
            names.push_back(path);
    }
    closedir(folder);
    std::sort(names.begin(), names.end());
    if (names.empty())
        throw CommandLineError(option + " " + directory +
                               ": the directory holds no pose file; expected files named *.sdf, *.pdbqt, *.mol2, "
                               "*.pdb or *.mol (optionally .gz) in it");
    return names;
}

/** The paths a pattern matches, sorted by name byte by byte. */
std::vector<std::string> patternMatches(const std::string& pattern, const std::string& option) {
    glob_t found;
    std::memset(&found, 0, sizeof(found));
    const int rc = glob(pattern.c_str(), GLOB_NOSORT, nullptr, &found);
    std::vector<std::string> matches;
    if (rc == 0)
        for (size_t i = 0; i < found.gl_pathc; i++)
            matches.emplace_back(found.gl_pathv[i]);
    globfree(&found);
    if (rc == GLOB_NOSPACE || rc == GLOB_ABORTED)
        throw CommandLineError(option + " '" + pattern + "': the pattern could not be expanded (" +
                               (rc == GLOB_NOSPACE ? "out of memory" : "a folder could not be read") + ")");
    if (matches.empty())
        throw CommandLineError(option + " '" + pattern +
                               "': the pattern matches no file (it was given quoted, so the tool expands it); "
                               "expected at least one pose file");
    std::sort(matches.begin(), matches.end());
    return matches;
}

} // namespace

const std::vector<std::string>& AffinityCli::poseFormatNames() {
    static const std::vector<std::string> names(PoseExtensions.begin(), PoseExtensions.begin() + 5);
    return names;
}

std::string AffinityCli::poseExtension(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    std::string name = lowerCase(slash == std::string::npos ? path : path.substr(slash + 1));
    if (name.size() > 3 && name.compare(name.size() - 3, 3, ".gz") == 0)
        name.resize(name.size() - 3);
    const size_t dot = name.find_last_of('.');
    return dot == std::string::npos || dot == 0 ? "" : name.substr(dot + 1);
}

void AffinityCli::addPoseFormatOption(po::options_description& description, PoseInputOptions& options) {
    description.add_options()("format", choiceValue(&options.format, "format", poseFormatNames(), {"sd", "ml2"}),
                              ("the format of every pose input, " + formatList() +
                               ", for names without an extension (-, /dev/stdin, a pipe) or to override it; a "
                               "gzip stream is recognised by its first bytes")
                                  .c_str());
}

void AffinityCli::addLigandTagOption(po::options_description& description, PoseInputOptions& options,
                                     const std::string& help) {
    description.add_options()("ligand-tag", po::value(&options.ligandTag)->value_name("NAME"), help.c_str());
}

bool AffinityCli::isStreamInput(const std::string& path) {
    if (isStandardInput(path))
        return true;
    struct stat info;
    return stat(path.c_str(), &info) == 0 && !S_ISREG(info.st_mode) && !S_ISDIR(info.st_mode);
}

std::vector<std::string> AffinityCli::expandPoseInputs(const std::vector<std::string>& entries,
                                                       const std::string& format, const std::string& option) {
    std::vector<std::string> files;
    bool standardInput = false;
    for (const std::string& entry : entries) {
        if (isStandardInput(entry)) {
            if (standardInput)
                throw CommandLineError(option + " names - (standard input) twice; it can be read once");
            if (isatty(STDIN_FILENO))
                throw CommandLineError(option +
                                       " -: standard input is a terminal; pipe the poses in (cat poses.sdf | "
                                       "... " +
                                       option + " - --format sdf) or name their file");
            standardInput = true;
            files.push_back(entry);
        } else if (isDirectory(entry)) {
            for (std::string& file : directoryPoseFiles(entry, option))
                files.push_back(std::move(file));
        } else if (!exists(entry) && entry.find_first_of("*?[") != std::string::npos) {
            for (const std::string& match : patternMatches(entry, option)) {
                if (isDirectory(match))
                    for (std::string& file : directoryPoseFiles(match, option))
                        files.push_back(std::move(file));
                else
                    files.push_back(match);
            }
        } else {
            files.push_back(entry);
        }
    }
    if (format.empty())
        for (const std::string& file : files) {
            const std::string extension = isStandardInput(file) ? "" : poseExtension(file);
            if (isPoseExtension(extension))
                continue;
            const std::string what =
                isStandardInput(file) ? option + " - (standard input) has no name"
                : extension.empty()   ? option + " " + file + ": the name has no extension"
                                      : option + " " + file + ": its extension '." + extension + "' is no pose format";
            throw CommandLineError(what + " to tell the format of its poses; give --format (" + formatList() + ")");
        }
    return files;
}
