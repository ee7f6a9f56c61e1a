// SPDX-License-Identifier: MIT
// What both builds of ProcessGroup share (MpiProcessGroup.cpp, LocalProcessGroup.cpp).
#include "ProcessGroup.h"
#include <algorithm>
#include <cstdlib>

namespace AffinityCli {

int launcherProcessCount() {
    // Open MPI's mpirun, then the PMI of MPICH's hydra and of Slurm's srun.
    for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"})
        if (const char* value = std::getenv(name))
            return std::max(1, std::atoi(value));
    return 0;
}

AffinityPlugin::DeviceName deviceOfRank(const AffinityPlugin::DeviceName& device, const ProcessGroup& group) {
    AffinityPlugin::DeviceName result = device;
    if (device.cuda && device.index < 0 && group.size() > 1)
        result.index = group.localRank();
    return result;
}

std::pair<int, int> shareOfRank(int count, int rank, int size) {
    const int base = count / size, extra = count % size;
    const int first = rank * base + std::min(rank, extra);
    return {first, first + base + (rank < extra ? 1 : 0)};
}

} // namespace AffinityCli
