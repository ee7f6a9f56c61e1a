// SPDX-License-Identifier: MIT
#ifndef AFFINITY_CLI_POSE_INPUTS_H_
#define AFFINITY_CLI_POSE_INPUTS_H_

#include <boost/program_options/options_description.hpp>
#include <string>
#include <vector>

namespace AffinityCli {

/** How the pose inputs of a run are read: --format and --ligand-tag. */
struct PoseInputOptions {
    /** --format: the format of every pose input ("sdf", "pdbqt", ...), "" to take each from its extension. */
    std::string format;
    /** --ligand-tag: the data item whose value names each record's ligand, "" to group by title. */
    std::string ligandTag;
};

/** The formats --format names, as their extensions: the pose formats PoseReader reads. */
const std::vector<std::string>& poseFormatNames();

/** Add --format to a tool's command line (a choice in any case, stored as listed). */
void addPoseFormatOption(boost::program_options::options_description& description, PoseInputOptions& options);
/** Add --ligand-tag, with the tool's own words on what it applies to. */
void addLigandTagOption(boost::program_options::options_description& description, PoseInputOptions& options,
                        const std::string& help);

/** Whether a pose input is standard input ("-"). */
inline bool isStandardInput(const std::string& path) {
    return path == "-";
}

/**
 * Whether a pose input can be read only once, in one process: standard input, or what is not
 * a regular file (a pipe, a FIFO, a device such as /dev/stdin). A path that does not exist is
 * not one.
 */
bool isStreamInput(const std::string& path);

/**
 * The pose files that --poses entries name, in order:
 *  - "-" is standard input (at most once, and not when it is a terminal);
 *  - a directory gives every pose file in it (not its subfolders, nor names starting with
 *    "."): each regular file whose name ends in a pose extension (.sdf, .sd, .pdbqt, .mol2,
 *    .ml2, .pdb, .ent, .mol; each also with .gz), sorted by name byte by byte (as
 *    `LC_ALL=C ls`);
 *  - an entry with *, ? or [ that names no file is a pattern the shell did not expand (it was
 *    quoted): it is expanded here with glob(3), its matches sorted the same way and each taken
 *    as if named (a directory among them gives its pose files);
 *  - anything else is taken as named (a file that does not exist is reported when read).
 * Every file needs a format: when format is "", its extension (before an optional .gz) must
 * be a pose format.
 *
 * @param option  the option's name in messages ("--poses")
 * @throws CommandLineError for a directory or pattern that yields no pose file, "-" twice or
 *         on a terminal, or a file without a format, each naming the entry
 */
std::vector<std::string> expandPoseInputs(const std::vector<std::string>& entries, const std::string& format,
                                          const std::string& option);

/** The extension of a file name that tells its format, before an optional .gz, in lower case ("" for none). */
std::string poseExtension(const std::string& path);

} // namespace AffinityCli

#endif
