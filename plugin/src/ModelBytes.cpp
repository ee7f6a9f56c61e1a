// SPDX-License-Identifier: MIT
#include "internal/ModelBytes.h"
#include "internal/PickledTensors.h"
#include "internal/ZipRecords.h"
#include "openmm/OpenMMException.h"
#include <fstream>
#include <sstream>
#include <stdexcept>

using namespace AffinityPlugin;

namespace {

/** The folder every record of a TorchScript archive is in ("model/"), from its data.pkl. */
std::string archiveFolder(const ZipRecords& zip) {
    for (const auto& [name, contents] : zip.byName()) {
        const size_t slash = name.find('/');
        if (slash != std::string::npos && name.compare(slash, std::string::npos, "/data.pkl") == 0)
            return name.substr(0, slash + 1);
    }
    throw std::runtime_error("the zip archive has no data.pkl record; expected a TorchScript archive");
}

/** The storages and tensors of one pickle of the archive (data.pkl with data/N records, ...). */
void checkPickle(const ZipRecords& zip, const std::string& folder, const std::string& archive) {
    const auto& records = zip.byName();
    auto pickle = records.find(folder + archive + ".pkl");
    if (pickle == records.end()) {
        if (archive == "data")
            throw std::runtime_error("the zip archive has no " + folder + "data.pkl record");
        return;
    }
    PickledTensors found;
    try {
        found = readPickledTensors(pickle->second);
    } catch (const std::runtime_error& e) {
        throw std::runtime_error("record " + pickle->first + " is damaged: " + e.what());
    }
    for (const PickledStorage& storage : found.storages) {
        if (storage.numel == 0)
            continue;
        const std::string name = folder + archive + "/" + storage.key;
        auto record = records.find(name);
        if (record == records.end())
            throw std::runtime_error(pickle->first + " names the storage " + name + ", which the archive lacks");
        int64_t needed;
        if (__builtin_mul_overflow(storage.numel, storage.itemSize, &needed) ||
            (uint64_t)needed > record->second.size())
            throw std::runtime_error("record " + name + " holds " + std::to_string(record->second.size()) +
                                     " bytes, but " + pickle->first + " gives its storage " +
                                     std::to_string(storage.numel) + " elements of " +
                                     std::to_string(storage.itemSize) + " bytes (" + storage.type + ")");
    }
    for (const PickledTensor& tensor : found.tensors) {
        const int64_t read = elementsRead(tensor);
        if (read < 0 || read > tensor.storageNumel)
            throw std::runtime_error("a tensor of " + pickle->first + " reads " +
                                     (read < 0 ? std::string("past any storage (negative or overflowing extent)")
                                               : std::to_string(read) + " elements") +
                                     " of storage " + tensor.storageKey + ", which has " +
                                     std::to_string(tensor.storageNumel));
    }
}

} // namespace

std::string AffinityPlugin::readModelFile(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw OpenMM::OpenMMException("AffinityForce: cannot open model file '" + file +
                                      "'; expected a readable TorchScript file (torch.jit.save)");
    std::stringstream bytes;
    bytes << in.rdbuf();
    return bytes.str();
}

void AffinityPlugin::checkTorchScriptArchive(const std::string& bytes) {
    const ZipRecords zip(bytes);
    const std::string folder = archiveFolder(zip);
    checkPickle(zip, folder, "data");
    checkPickle(zip, folder, "constants");
}
