// SPDX-License-Identifier: MIT
#ifndef AFFINITY_RESCORE_SCORE_WRITER_H_
#define AFFINITY_RESCORE_SCORE_WRITER_H_

#include "AtomicOutputFile.h"
#include "LigandPoses.h"
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
 * ligand is held) into an AtomicOutputFile that finish() puts in place.
 */
class ScoreWriter {
public:
    explicit ScoreWriter(const std::string& path) : file(path) {}
    virtual ~ScoreWriter() = default;
    /** Record a scored ligand. */
    virtual void write(const ScoredLigand& scored) = 0;
    /** Record a skipped ligand or file (ligand.problem says why); by default nothing is written. */
    virtual void skip(const AffinityCli::LigandPoses& ligand) {}
    /** Write what goes last and put the file in place. */
    virtual void finish(const RunTotals& totals) {
        file.commit();
    }
    const std::string& path() const {
        return file.path();
    }

protected:
    AtomicOutputFile file;
};

/** The CSV, one row per pose (columns: see affinity-rescore --help). */
class CsvScoreWriter : public ScoreWriter {
public:
    CsvScoreWriter(const std::string& path, const std::string& readoutName);
    void write(const ScoredLigand& scored) override;

private:
    std::string readoutName;
};

/** The SDF of the poses, sorted by rank per ligand, with the scores as SD data items. */
class SdfScoreWriter : public ScoreWriter {
public:
    SdfScoreWriter(const std::string& path, const std::string& readoutName);
    void write(const ScoredLigand& scored) override;

private:
    std::string readoutName;
};

/** The JSON summary: settings, one entry per ligand (scored or skipped), totals. */
class JsonSummaryWriter : public ScoreWriter {
public:
    JsonSummaryWriter(const std::string& path, const RunSettings& settings);
    void write(const ScoredLigand& scored) override;
    void skip(const AffinityCli::LigandPoses& ligand) override;
    void finish(const RunTotals& totals) override;

private:
    void beginEntry();
    std::string readoutName;
    bool firstEntry = true;
};

/** The name of a readout's column and tag: "pKi", "pIC50", or "" for none. */
std::string readoutColumn(const std::string& readout);

} // namespace AffinityRescore

#endif
