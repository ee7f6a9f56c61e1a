// SPDX-License-Identifier: MIT
#ifndef AFFINITY_RESCORE_RESCORE_JOURNAL_H_
#define AFFINITY_RESCORE_RESCORE_JOURNAL_H_

#include "LigandOutcome.h"
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace AffinityRescore {

/**
 * The journal of a rescoring run: every ligand's outcome, appended as soon as it is known, so
 * that a run stopped in any way (SIGKILL, a full disk, a crash) can be continued with
 * --resume and still write the outputs an uninterrupted run writes, byte for byte.
 *
 * The file is a line "affinity-rescore journal 1", then records, each framed as
 * "record LENGTH DIGEST\n" + LENGTH bytes + "\n" with DIGEST the FNV-1a of the bytes: a
 * record cut short or damaged (the process died while writing it) is detected and dropped
 * with everything after it. The first record is the run's identity (its options and the
 * digests of model and receptor), the others one ligand each. Each record goes to the file in
 * one write(), which a killed process cannot lose; a machine crash may lose the last ones.
 */
class RescoreJournal {
public:
    /** Named fields that must be equal for a run to continue another's journal. */
    using Identity = std::vector<std::pair<std::string, std::string>>;

    /** Start a new journal. @throws std::runtime_error when it cannot be written */
    RescoreJournal(const std::string& path, const Identity& identity);
    /**
     * Continue a journal: check that it belongs to a run with this identity (naming the first
     * field that differs), find its last whole record, and cut a torn one off. The ligands it
     * holds are then read with nextDone().
     * @throws std::runtime_error when it cannot be read or is another run's
     */
    static RescoreJournal resume(const std::string& path, const Identity& identity);
    ~RescoreJournal();
    RescoreJournal(RescoreJournal&& other) noexcept;
    RescoreJournal(const RescoreJournal&) = delete;
    RescoreJournal& operator=(const RescoreJournal&) = delete;

    /** The next ligand the journal holds from the earlier run; false after the last. */
    bool nextDone(LigandOutcome& outcome);
    /** How many ligands the journal held when resumed (0 for a new one). */
    long long ligandsDone() const {
        return doneCount;
    }
    /** Whether a torn last record was dropped when resumed. */
    bool droppedTornRecord() const {
        return tornRecord;
    }
    /** Append a ligand's outcome. @throws std::runtime_error when writing fails */
    void append(const LigandOutcome& outcome);
    /** Remove the journal: the run's outputs are in place. */
    void remove();
    const std::string& path() const {
        return file;
    }

private:
    RescoreJournal() = default;
    void openForAppend();
    void writeRecord(const std::vector<std::string>& fields);
    std::string file;
    int descriptor = -1;
    std::ifstream replay;
    long long doneCount = 0, replayed = 0;
    bool tornRecord = false;
};

} // namespace AffinityRescore

#endif
