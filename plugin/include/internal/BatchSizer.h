// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_BATCH_SIZER_H_
#define OPENMM_AFFINITY_BATCH_SIZER_H_

#include "AffinityExport.h"
#include "internal/BoundModel.h"
#include <cstdint>

namespace AffinityPlugin {

/**
 * Chooses the number of poses per model call, and of poses evaluated side by side. On a GPU it
 * measures once what a model call takes, and keeps the figures: memory does not depend on where
 * the atoms are. A batch's peak allocation is a fixed part (what a call makes whatever its poses,
 * such as a model's tables) plus a part per pose, found from probe batches of two sizes, with and
 * without an autograd graph; a pose side by side with others is a call of its own, which takes
 * both parts.
 */
class OPENMM_EXPORT_AFFINITY BatchSizer {
public:
    /**
     * The given batch size if > 0, else on a GPU as many poses as fit in a memory budget, and
     * on the CPU one (batching does not pay there); one pose for models without batch support.
     *
     * @param model         the model the batches are for
     * @param requested     a batch size, or 0 to choose one
     * @param budgetMiB     memory a batch may use
     * @param withGradient  whether the batch keeps an autograd graph
     */
    int batchSize(BoundModel& model, int requested, double budgetMiB, bool withGradient);
    /**
     * The poses to evaluate side by side, each a model call of one pose with an autograd graph:
     * the given number if > 0, else on a GPU as many as fit in a memory budget, and on the CPU one
     * (side by side pays only on a GPU); never more than `most`.
     */
    int sideBySide(BoundModel& model, int requested, double budgetMiB, int most);

private:
    enum Probe { Energies, Gradients };
    /** The peak allocation of a model call of B poses: fixed + perPose B bytes. */
    struct CallMemory {
        int64_t fixed = 0, perPose = 0;
    };
    const CallMemory& callMemory(BoundModel& model, Probe probe);
    CallMemory measured[2];
};

} // namespace AffinityPlugin

#endif
