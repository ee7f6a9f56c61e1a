// SPDX-License-Identifier: MIT
#include "DistinctPaths.h"
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

using namespace AffinityCli;
namespace fs = std::filesystem;

namespace {

// What identifies the file a path names: its device and inode when it exists (stat follows
// symbolic links), otherwise its absolute path with "." / ".." and symbolic links in the
// existing folders resolved.
std::string identityOf(const std::string& path) {
    struct stat info;
    if (stat(path.c_str(), &info) == 0)
        return "inode " + std::to_string((unsigned long long)info.st_dev) + ":" +
               std::to_string((unsigned long long)info.st_ino);
    std::error_code error;
    const fs::path normal = fs::weakly_canonical(fs::absolute(path, error), error);
    return "path " + (error ? fs::absolute(path).lexically_normal().string() : normal.string());
}

std::string describe(const NamedPath& named) {
    return named.option + " " + named.path;
}

} // namespace

void AffinityCli::checkDistinctPaths(const std::vector<NamedPath>& inputs, const std::vector<NamedPath>& outputs) {
    std::vector<std::string> inputIds, outputIds;
    for (const NamedPath& input : inputs)
        inputIds.push_back(input.path.empty() ? "" : identityOf(input.path));
    for (size_t o = 0; o < outputs.size(); o++) {
        if (outputs[o].path.empty()) {
            outputIds.emplace_back();
            continue;
        }
        const std::string id = identityOf(outputs[o].path);
        for (size_t i = 0; i < inputs.size(); i++)
            if (inputIds[i] == id)
                throw std::runtime_error("the output " + describe(outputs[o]) + " is the input " + describe(inputs[i]) +
                                         "; writing it would destroy the input. Give another output path");
        for (size_t p = 0; p < o; p++)
            if (outputIds[p] == id)
                throw std::runtime_error("the outputs " + describe(outputs[p]) + " and " + describe(outputs[o]) +
                                         " are one file; give each output its own path");
        outputIds.push_back(id);
    }
}

void AffinityCli::checkWritableLocation(const NamedPath& output) {
    if (output.path.empty())
        return;
    struct stat info;
    if (stat(output.path.c_str(), &info) == 0 && S_ISDIR(info.st_mode))
        throw std::runtime_error(describe(output) + " is a folder; expected a file");
    const fs::path parent = fs::absolute(output.path).parent_path();
    if (stat(parent.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))
        throw std::runtime_error(describe(output) + ": its folder " + parent.string() + " does not exist");
    if (access(parent.c_str(), W_OK) != 0)
        throw std::runtime_error(describe(output) + ": its folder " + parent.string() +
                                 " is not writable: " + std::strerror(errno));
}
