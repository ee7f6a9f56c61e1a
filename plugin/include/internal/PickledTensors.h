// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_PICKLED_TENSORS_H_
#define OPENMM_AFFINITY_PICKLED_TENSORS_H_

// The tensors of a TorchScript pickle (data.pkl, constants.pkl), read without LibTorch.
// LibTorch's unpickler gives each storage the size its pickle states, whatever the size of the
// record behind it, and each tensor the offset, sizes and strides stated, without checking
// them against the storage: a damaged file is then read out of bounds. These are what must be
// checked before it loads.

#include <cstdint>
#include <string>
#include <vector>

namespace AffinityPlugin {

/** A storage named by a pickle: its record and how many elements of which size it claims. */
struct PickledStorage {
    /** The record's key ("0" for data/0). */
    std::string key;
    /** The storage type ("FloatStorage"). */
    std::string type;
    int64_t numel = 0;
    int64_t itemSize = 0;
};

/** A tensor rebuilt from a storage: the elements it reads. */
struct PickledTensor {
    std::string storageKey;
    int64_t storageNumel = 0;
    int64_t offset = 0;
    std::vector<int64_t> sizes, strides;
};

/** The storages and tensors of a pickle. */
struct PickledTensors {
    std::vector<PickledStorage> storages;
    std::vector<PickledTensor> tensors;
};

/**
 * Read a pickle as LibTorch's unpickler does, far enough to find every storage and tensor.
 *
 * @throws std::runtime_error naming the opcode's position for a pickle that LibTorch could not
 *         read either (unknown or truncated opcodes, a stack or memo used out of range, a
 *         tensor whose arguments are not a storage, an offset and two tuples of integers)
 */
PickledTensors readPickledTensors(const std::string& pickle);

/**
 * The number of storage elements a tensor reads (0 when it has no element), or -1 if its
 * offset, sizes or strides are negative or their extent overflows.
 */
int64_t elementsRead(const PickledTensor& tensor);

} // namespace AffinityPlugin

#endif
