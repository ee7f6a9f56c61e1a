// SPDX-License-Identifier: MIT
#ifndef AFFINITY_CLI_POSE_READER_H_
#define AFFINITY_CLI_POSE_READER_H_

#include "AtomConvention.h"
#include "LigandPoses.h"
#include <cstdint>
#include <memory>
#include <string>

namespace AffinityCli {

/** What makes consecutive records of a pose file one ligand. */
enum class LigandGrouping {
    /** The records' titles (the SDF first line, the MOL2 name, PDBQT's "REMARK Name ="). */
    Title,
    /** A data item of each record, PoseReaderSettings::ligandTag (--ligand-tag). */
    Tag,
    /** Every record of the file is a pose of one ligand, whatever the titles (affinity-train's per-ligand files). */
    WholeFile
};

/** How a pose file is read. */
struct PoseReaderSettings {
    /** Whether to keep each record as an SDF block, for annotated output. */
    bool keepSdfBlocks = false;
    /** Which of the file's atoms each pose keeps. */
    AtomConvention convention = AtomConvention::HeavyAtoms;
    /** The format ("sdf", "pdbqt", ...: --format), or "" to take it from the file's extension. */
    std::string format;
    LigandGrouping grouping = LigandGrouping::Title;
    /** The tag of LigandGrouping::Tag (RecordTag.h says where it is found in each format). */
    std::string ligandTag;
};

/**
 * Reads a pose file (SDF, PDBQT, MOL2 or PDB; optionally gzip-compressed) one ligand at a
 * time: the consecutive records that share a title (or the value of the tag settings name; a
 * title or tag that comes back after other ligands starts another ligand). Only the ligand
 * being returned and the one record after it are held, so memory does not grow with the file.
 * The path "-" reads standard input; a file whose name does not end in .gz is decompressed all
 * the same when it starts with gzip's magic bytes (a gzip stream piped in).
 *
 * Records that cannot be told apart never become one ligand: grouping by title, a record of an
 * SDF or MOL2 file (whose records each have a title line) with an empty title is a ligand of
 * its own with a problem naming it, unless it is the file's only record (then the ligand is
 * named after the file); grouping by tag, a record without the tag, or with an empty value, is
 * likewise a ligand of its own with a problem naming the record and the tag. PDBQT and PDB
 * records have no title line: those without a "REMARK Name =" are one ligand named after the
 * file, as in Vina's multi-model output of one docking.
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
     * @param path           the pose file ("-": standard input)
     * @param keepSdfBlocks  whether to keep each record as an SDF block, for annotated output
     * @param convention     which of the file's atoms each pose keeps
     */
    PoseReader(const std::string& path, bool keepSdfBlocks, AtomConvention convention);
    PoseReader(const std::string& path, const PoseReaderSettings& settings);
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
