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
 * Reads a pose file (SDF, PDBQT, MOL2 or PDB; optionally gzip-compressed) one ligand at a
 * time: the consecutive records that share a title. Only the ligand being returned and the
 * one record after it are held, so memory does not grow with the file.
 *
 * The file is split into records here (RecordReader), within the limits of InputLimits.h, and
 * Open Babel parses one record at a time, so that no over-long line or cut record reaches it.
 *
 * Problems are returned, not thrown, as a LigandPoses whose problem says what went wrong, so
 * that the caller can report and skip them and go on with the next ligand or file: a file
 * that cannot be opened, is empty or holds no record; a damaged record (over a limit, cut
 * short, inconsistent with itself, a gzip stream error: RecordReader.h), one Open Babel cannot
 * parse, one without atoms or with a coordinate that is not finite or beyond
 * MaxCoordinateAngstrom. Such a record skips the ligand it belongs to, naming the record and
 * its first line; the records after it are read on (after a gzip stream error there are none).
 *
 * Each record's atoms are those the atom convention keeps (AtomConvention.h): by default every
 * atom but hydrogen, so that a pose gives the same atoms whatever hydrogens its file spells.
 * The SDF blocks kept for annotated output are the records as Open Babel writes them.
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
