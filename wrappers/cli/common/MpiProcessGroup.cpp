// SPDX-License-Identifier: MIT
// ProcessGroup over MPI_COMM_WORLD (a build with Open MPI found).
#include "ProcessGroup.h"
#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <mpi.h>
#include <stdexcept>

namespace AffinityCli {

namespace {

// MPI counts are ints: larger buffers go in pieces of at most this many elements.
constexpr size_t MaxPiece = (size_t)1 << 30;

void check(int code, const char* call) {
    if (code != MPI_SUCCESS) {
        char text[MPI_MAX_ERROR_STRING];
        int length = 0;
        MPI_Error_string(code, text, &length);
        throw std::runtime_error(std::string(call) + " failed: " + std::string(text, (size_t)length));
    }
}

} // namespace

ProcessGroup::ProcessGroup() {
    // Started without a launcher, this is a group of one: MPI is not initialised, so that a
    // plain run neither starts Open MPI's runtime nor depends on it working here.
    if (launcherProcessCount() == 0)
        return;
    int provided = 0;
    // Only the main thread calls MPI; LibTorch's own threads never do.
    check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    initialised = true;
    check(MPI_Comm_rank(MPI_COMM_WORLD, &rankInGroup), "MPI_Comm_rank");
    check(MPI_Comm_size(MPI_COMM_WORLD, &groupSize), "MPI_Comm_size");
    MPI_Comm host;
    check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rankInGroup, MPI_INFO_NULL, &host),
          "MPI_Comm_split_type");
    check(MPI_Comm_rank(host, &rankOnHost), "MPI_Comm_rank");
    MPI_Comm_free(&host);
}

ProcessGroup::~ProcessGroup() {
    if (initialised)
        MPI_Finalize();
}

bool ProcessGroup::builtWithMpi() {
    return true;
}

void ProcessGroup::sumInPlace(std::vector<double>& values) const {
    if (groupSize == 1)
        return;
    for (size_t start = 0; start < values.size(); start += MaxPiece) {
        const int count = (int)std::min(MaxPiece, values.size() - start);
        check(MPI_Allreduce(MPI_IN_PLACE, values.data() + start, count, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD),
              "MPI_Allreduce");
    }
}

std::vector<std::string> ProcessGroup::gatherToRoot(const std::string& bytes) const {
    if (groupSize == 1)
        return {bytes};
    const uint64_t mine = bytes.size();
    std::vector<uint64_t> sizes(isRoot() ? (size_t)groupSize : 0);
    check(MPI_Gather(&mine, 1, MPI_UINT64_T, sizes.data(), 1, MPI_UINT64_T, 0, MPI_COMM_WORLD), "MPI_Gather");
    if (!isRoot()) {
        for (size_t start = 0; start < bytes.size(); start += MaxPiece) {
            const int count = (int)std::min(MaxPiece, bytes.size() - start);
            check(MPI_Send(bytes.data() + start, count, MPI_BYTE, 0, 0, MPI_COMM_WORLD), "MPI_Send");
        }
        return {};
    }
    std::vector<std::string> all((size_t)groupSize);
    all[0] = bytes;
    for (int r = 1; r < groupSize; r++) {
        all[r].resize(sizes[r]);
        for (size_t start = 0; start < all[r].size(); start += MaxPiece) {
            const int count = (int)std::min(MaxPiece, all[r].size() - start);
            check(MPI_Recv(&all[r][start], count, MPI_BYTE, r, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "MPI_Recv");
        }
    }
    return all;
}

void ProcessGroup::abort(int status) const {
    std::fflush(stdout);
    std::fflush(stderr);
    if (initialised)
        MPI_Abort(MPI_COMM_WORLD, status);
    std::exit(status);
}

} // namespace AffinityCli
