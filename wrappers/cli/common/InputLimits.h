// SPDX-License-Identifier: MIT
#ifndef AFFINITY_CLI_INPUT_LIMITS_H_
#define AFFINITY_CLI_INPUT_LIMITS_H_

#include <cstddef>

namespace AffinityCli {

// The bounds the readers hold input to before any of it reaches Open Babel, whose readers
// loop forever on a line longer than their 32 KiB buffer. Each is far beyond what a docking
// file holds (a PDBQT atom line has 79 characters, a pose of 1,000 atoms about 80 KB).

/** The longest line, in bytes without its line end, of a pose or receptor file. */
constexpr size_t MaxLineBytes = 16384;
/** The largest pose record (one molecule of a pose file), in bytes. */
constexpr size_t MaxPoseRecordBytes = size_t(16) << 20;
/** The largest receptor structure, in bytes (some 3 million PDB atom lines). */
constexpr size_t MaxReceptorRecordBytes = size_t(256) << 20;
/**
 * The largest coordinate magnitude accepted, in Å. Fixed-column formats cannot even write
 * more than 1e5 Å; beyond this a coordinate is damage, not a position.
 */
constexpr double MaxCoordinateAngstrom = 1e6;

} // namespace AffinityCli

#endif
