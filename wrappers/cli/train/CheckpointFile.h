// SPDX-License-Identifier: MIT
#ifndef AFFINITY_TRAIN_CHECKPOINT_FILE_H_
#define AFFINITY_TRAIN_CHECKPOINT_FILE_H_

// The file of an affinity-train checkpoint: one header line that gives the format, the size and
// the SHA-256 of what follows, then LibTorch's archive of the parameters and optimizer state.
// A checkpoint is written whole or not at all, and read back only when it is whole.

#include <string>

namespace AffinityTrain {

/**
 * Write a checkpoint atomically: into a temporary file beside it, flushed to the disk (fsync),
 * then renamed over the old one; a failed write (a full disk) removes the temporary file and
 * leaves the old checkpoint as it was.
 *
 * @param archive  the LibTorch archive of the checkpoint
 * @throws OpenMMException naming the file and the system's reason
 */
void writeCheckpointFile(const std::string& file, const std::string& archive);

/**
 * The archive of a checkpoint, after checking its header, size and SHA-256. A file of the first
 * format (the bare archive, without a checksum) is returned as it is, for the archive checks.
 *
 * @throws OpenMMException naming the file and what is wrong with it
 */
std::string readCheckpointFile(const std::string& file);

} // namespace AffinityTrain

#endif
