// SPDX-License-Identifier: MIT
// ProcessGroup in a build without MPI: always this process alone.
#include "ProcessGroup.h"
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace AffinityCli {

ProcessGroup::ProcessGroup() {
    const int launched = launcherProcessCount();
    if (launched > 1)
        throw std::runtime_error(
            "started as one of " + std::to_string(launched) +
            " processes by an MPI launcher, but this build has no MPI; each process would do the "
            "whole run and write the same outputs (rebuild with Open MPI found, or run one process)");
}

ProcessGroup::~ProcessGroup() = default;

bool ProcessGroup::builtWithMpi() {
    return false;
}

void ProcessGroup::sumInPlace(std::vector<double>&) const {}

std::vector<std::string> ProcessGroup::gatherToRoot(const std::string& bytes) const {
    return {bytes};
}

void ProcessGroup::abort(int status) const {
    std::fflush(stdout);
    std::fflush(stderr);
    std::exit(status);
}

} // namespace AffinityCli
