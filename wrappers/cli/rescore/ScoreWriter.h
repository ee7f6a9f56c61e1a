// SPDX-License-Identifier: MIT
#ifndef AFFINITY_RESCORE_SCORE_WRITER_H_
#define AFFINITY_RESCORE_SCORE_WRITER_H_

#include "LigandPoses.h"
#include "OutputFile.h"
#include "RescoreOptions.h"
#include "ScoredLigand.h"
#include <string>
#include <vector>

namespace AffinityRescore {

/** The settings of a run, as the outputs record them. */
struct RunSettings {
    std::string model, modelDescription, receptor, combination, device, readout, atomConvention;
    /** The SHA-256 of the model file's bytes, 64 lower-case hexadecimal digits. */
    std::string modelSha256;
    /** pocketCutoff as resolved (given, the model's, or the default); atomConvention as resolved. */
    double temperature = 0.0, maxScale = 0.0, pocketCutoff = 0.0;
    /** Every option that shapes the outputs, as given or defaulted (RescoreOptions::outputShapingSettings). */
    std::vector<OptionSetting> options;
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
    /** path "-" is standard output (OutputFile: written there when the run commits its outputs). */
    ScoreWriter(const std::string& path, const std::string& label)
        : file(path, label, AffinityCli::OutputFile::Dash::StandardOutput) {}
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

/**
 * The SDF of the poses, sorted by rank per ligand: each record's molfile and the data items the
 * input carried (see PoseRecord::sdfBlock), then the scores as data items (sdfTagsWritten; the
 * README's "Outputs" lists them). An input item under one of those names is not carried: this
 * run's replaces it.
 */
class SdfScoreWriter : public ScoreWriter {
public:
    SdfScoreWriter(const std::string& path, const std::string& readoutName);
    std::string entryFor(const ScoredLigand& scored) const override;

private:
    std::string readoutName;
};

/**
 * The JSON summary: the tool and its version, the settings (the model's SHA-256 and every
 * option that shapes the outputs among them), one entry per ligand (scored or skipped), totals.
 * Its strings are written by nlohmann/json, so it is valid UTF-8 whatever the input's titles,
 * file names and Open Babel's messages hold (a byte sequence that is not UTF-8 becomes U+FFFD);
 * its numbers by OutputNumber, as the CSV and the SDF print them (null for none).
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

/** The names of every SD tag the scored SDF may add to a record, those of every readout included. */
const std::vector<std::string>& sdfTagsWritten();

/** The name of a readout's column and tag: "pKi", "pIC50", or "" for none. */
std::string readoutColumn(const std::string& readout);

} // namespace AffinityRescore

#endif
