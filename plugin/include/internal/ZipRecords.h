// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_ZIP_RECORDS_H_
#define OPENMM_AFFINITY_ZIP_RECORDS_H_

// The records of a zip archive (a TorchScript file is one), read and checked without LibTorch:
// LibTorch's reader checks neither the records' CRC-32 nor that they do not overlap, so a damaged
// file would load with damaged weights or code.

#include <map>
#include <string>

namespace AffinityPlugin {

/**
 * Every record of a zip archive by name, with its uncompressed contents. Made only from an
 * archive whose central directory, local headers and CRC-32s agree.
 */
class ZipRecords {
public:
    /**
     * @param archive  the bytes of a zip file (stored or deflated records, zip64 allowed)
     * @throws std::runtime_error naming the record and what is wrong with it
     */
    explicit ZipRecords(const std::string& archive);
    /** The records by their full names ("model/data.pkl"). */
    const std::map<std::string, std::string>& byName() const {
        return records;
    }

private:
    std::map<std::string, std::string> records;
};

} // namespace AffinityPlugin

#endif
