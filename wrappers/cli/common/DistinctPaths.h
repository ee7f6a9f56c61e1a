// SPDX-License-Identifier: MIT
#ifndef AFFINITY_CLI_DISTINCT_PATHS_H_
#define AFFINITY_CLI_DISTINCT_PATHS_H_

#include <string>
#include <vector>

namespace AffinityCli {

/** A file a run reads or writes, with the option that names it ("--poses"). */
struct NamedPath {
    std::string option, path;
};

/**
 * Check, before anything is read or written, that no output is one of the inputs or another
 * output: two paths name one file when they resolve to the same device and inode (the file
 * exists: hard links, symbolic links and "./x" all count) or to the same normalised absolute
 * path (it does not exist yet), so that a run never overwrites what it reads nor writes two
 * outputs into one file. Empty paths are ignored.
 * @throws std::runtime_error naming both options and paths
 */
void checkDistinctPaths(const std::vector<NamedPath>& inputs, const std::vector<NamedPath>& outputs);

/**
 * Check that an output written in place (not through OutputFile: an appended log, a file
 * another library writes) can be created: its folder exists and is writable, and it is not a
 * folder itself. @throws std::runtime_error naming the option and the reason
 */
void checkWritableLocation(const NamedPath& output);

} // namespace AffinityCli

#endif
