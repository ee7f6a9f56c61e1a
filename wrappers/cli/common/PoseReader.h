// SPDX-License-Identifier: MIT
#ifndef AFFINITY_CLI_POSE_READER_H_
#define AFFINITY_CLI_POSE_READER_H_

#include "AtomConvention.h"
#include "LigandPoses.h"
#include <cstdint>
#include <memory>
#include <string>

namespace AffinityCli {

/**
 * Reads a pose file (SDF, PDBQT, MOL2, anything Open Babel reads; optionally gzip-compressed)
 * one ligand at a time: the consecutive records that share a title. Only the ligand being
 * returned and the one record after it are held, so memory does not grow with the file.
 *
 * Problems are returned, not thrown, as a LigandPoses whose problem says what went wrong, so
 * that the caller can report and skip them and go on with the next ligand or file: a file
 * that cannot be opened, is empty or holds no record Open Babel can read; a record without
 * atoms or with non-finite coordinates; a record that fails to parse in the middle of a file
 * (the ligand it belongs to, and the rest of the file, are then skipped: after a parse error
 * the next record boundary cannot be trusted).
 *
 * Each record's atoms are those the atom convention keeps (AtomConvention.h): by default every
 * atom but hydrogen, so that a pose gives the same atoms whatever hydrogens its file spells.
 * The SDF blocks kept for annotated output are the records as the file holds them.
 */
class PoseReader {
public:
    /**
     * @param path           the pose file
     * @param keepSdfBlocks  whether to keep each record as an SDF block, for annotated output
     * @param convention     which of the file's atoms each pose keeps
     */
    PoseReader(const std::string& path, bool keepSdfBlocks, AtomConvention convention);
    ~PoseReader();
    PoseReader(const PoseReader&) = delete;
    PoseReader& operator=(const PoseReader&) = delete;
    /** Read the next ligand into ligand; false when the file holds no more. */
    bool next(LigandPoses& ligand);
    /** The bytes of the file consumed so far (of the compressed file, for .gz), for progress. */
    uint64_t bytesRead() const;

private:
    class Impl;
    std::unique_ptr<Impl> impl;
};

} // namespace AffinityCli

#endif
