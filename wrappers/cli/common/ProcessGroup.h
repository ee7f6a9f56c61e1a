// SPDX-License-Identifier: MIT
#ifndef AFFINITY_CLI_PROCESS_GROUP_H_
#define AFFINITY_CLI_PROCESS_GROUP_H_

#include "DeviceName.h"
#include <string>
#include <utility>
#include <vector>

namespace AffinityCli {

/**
 * The processes that share one run of a tool: the ranks that an MPI launcher (`mpirun -n K`)
 * started, or this process alone.
 *
 * Two builds implement it: with Open MPI (MpiProcessGroup.cpp) and without
 * (LocalProcessGroup.cpp). Either way a process that was not started by an MPI launcher is a
 * group of one and never initialises MPI, so that a plain run is what it was before MPI. A
 * build without MPI that finds itself one of several processes refuses to run: each would
 * otherwise do the whole run and write the same outputs.
 *
 * The collectives must be called by every rank, in the same order: a rank that cannot go on
 * ends the run with abort() rather than leave the others waiting.
 */
class ProcessGroup {
public:
    /**
     * Join the run's processes (MPI_Init_thread when started by an MPI launcher).
     *
     * @throws std::runtime_error when started as one of several processes by a build without MPI
     */
    ProcessGroup();
    /** MPI_Finalize, where MPI was initialised. */
    ~ProcessGroup();
    ProcessGroup(const ProcessGroup&) = delete;
    ProcessGroup& operator=(const ProcessGroup&) = delete;

    /** This process's index, 0 … size() − 1. */
    int rank() const {
        return rankInGroup;
    }
    int size() const {
        return groupSize;
    }
    /** This process's index among the group's processes on its host (the GPU it should use). */
    int localRank() const {
        return rankOnHost;
    }
    /** Rank 0: the one that writes outputs and reports. */
    bool isRoot() const {
        return rankInGroup == 0;
    }
    /** Whether this build can run as several processes (it was built with MPI). */
    static bool builtWithMpi();

    /** Sum values element-wise over every rank, in place; every rank gets the same sums. */
    void sumInPlace(std::vector<double>& values) const;
    /**
     * Every rank's bytes, on rank 0, in rank order (element r from rank r); an empty vector on
     * the other ranks.
     */
    std::vector<std::string> gatherToRoot(const std::string& bytes) const;
    /**
     * End every process of the group with this exit status (MPI_Abort), after this rank met an
     * error that the others cannot learn of; a group of one just exits.
     */
    [[noreturn]] void abort(int status) const;

private:
    int rankInGroup = 0, groupSize = 1, rankOnHost = 0;
    bool initialised = false;
};

/**
 * The device of a rank: "cuda" (no index) becomes "cuda:<local rank>", so that the ranks on a
 * host use one GPU each; "cpu" and an explicit "cuda:i" are kept.
 */
AffinityPlugin::DeviceName deviceOfRank(const AffinityPlugin::DeviceName& device, const ProcessGroup& group);

/**
 * The items [first, last) of count that a rank takes: contiguous shares in rank order, whose
 * sizes differ by at most one, so that rank order is item order.
 */
std::pair<int, int> shareOfRank(int count, int rank, int size);

/** How many processes the MPI launcher that started this one declared; 0 when none did. */
int launcherProcessCount();

} // namespace AffinityCli

#endif
