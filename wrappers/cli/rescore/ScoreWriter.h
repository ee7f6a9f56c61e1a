// SPDX-License-Identifier: MIT
#ifndef AFFINITY_RESCORE_SCORE_WRITER_H_
#define AFFINITY_RESCORE_SCORE_WRITER_H_

#include "LigandPoses.h"
#include "OutputFile.h"
#include "ScoredLigand.h"
#include <string>

namespace AffinityRescore {

/** The settings of a run, as the outputs record them. */
struct RunSettings {
    std::string model, modelDescription, receptor, combination, device, readout, atomConvention;
    double temperature = 0.0, maxScale = 0.0, pocketCutoff = 0.0;
};

/** The totals of a run, known at its end. */
struct RunTotals {
    long long ligandsScored = 0, posesScored = 0, ligandsSkipped = 0, ligandsFlagged = 0;
};

/**
 * One output of affinity-rescore, written as ligands are scored (so nothing but the current
 * ligand is held) into an OutputFile that the run commits, with the others, at its end.
 *
 * A ligand's text is made first (entryFor, entryForSkipped) and appended then, so that the
 * journal can keep it and a resumed run append the very same bytes.
 */
class ScoreWriter {
public:
    ScoreWriter(const std::string& path, const std::string& label) : file(path, label) {}
    virtual ~ScoreWriter() = default;
    /** The text a scored ligand adds to this output. */
    virtual std::string entryFor(const ScoredLigand& scored) const = 0;
    /** The text a skipped ligand or file adds (ligand.problem says why); by default none. */
    virtual std::string entryForSkipped(const AffinityCli::LigandPoses& ligand) const {
        return "";
    }
    /** Append a ligand's text, made by entryFor or entryForSkipped, now or in an earlier run. */
    virtual void append(const std::string& entry) {
        file.stream() << entry;
    }
    /** Write what goes last (the file is committed by the run, with the others). */
    virtual void writeEnd(const RunTotals& totals) {}
    AffinityCli::OutputFile& output() {
        return file;
    }
    const std::string& path() const {
        return file.path();
    }

protected:
    AffinityCli::OutputFile file;
};

/** The CSV, one row per pose (columns: see affinity-rescore --help). */
class CsvScoreWriter : public ScoreWriter {
public:
    CsvScoreWriter(const std::string& path, const std::string& readoutName);
    std::string entryFor(const ScoredLigand& scored) const override;

private:
    std::string readoutName;
};

/** The SDF of the poses, sorted by rank per ligand, with the scores as SD data items. */
class SdfScoreWriter : public ScoreWriter {
public:
    SdfScoreWriter(const std::string& path, const std::string& readoutName);
    std::string entryFor(const ScoredLigand& scored) const override;

private:
    std::string readoutName;
};

/**
 * The JSON summary: settings, one entry per ligand (scored or skipped), totals. Made with
 * nlohmann/json, so it is valid JSON and valid UTF-8 whatever the input's titles, file names
 * and Open Babel's messages hold: a byte sequence that is not UTF-8 becomes U+FFFD.
 */
class JsonSummaryWriter : public ScoreWriter {
public:
    JsonSummaryWriter(const std::string& path, const RunSettings& settings);
    std::string entryFor(const ScoredLigand& scored) const override;
    std::string entryForSkipped(const AffinityCli::LigandPoses& ligand) const override;
    void append(const std::string& entry) override;
    void writeEnd(const RunTotals& totals) override;

private:
    std::string readoutName;
    bool firstEntry = true;
};

/**
 * A record's SDF block with the date and time Open Babel stamps into the molfile's header
 * line (line 2, columns 11-20: when the block was written, not anything about the pose)
 * blanked, so that the scored SDF of a run, and of a resumed run, does not depend on the
 * minute it ran in. Other header lines are returned unchanged.
 */
std::string withoutWriteTime(const std::string& sdfBlock);

/** The name of a readout's column and tag: "pKi", "pIC50", or "" for none. */
std::string readoutColumn(const std::string& readout);

} // namespace AffinityRescore

#endif
