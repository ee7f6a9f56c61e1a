// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_BATCH_SIZER_H_
#define OPENMM_AFFINITY_BATCH_SIZER_H_

#include "AffinityExport.h"
#include "internal/BoundModel.h"
#include <cstdint>

namespace AffinityPlugin {

/**
 * Chooses the number of poses per model call. On a GPU it measures the memory one pose takes
 * (the peak allocation of a probe batch, with and without an autograd graph) once, and keeps
 * the figures: memory does not depend on where the atoms are.
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

private:
    int64_t bytesPerPose(BoundModel& model, bool withGradient);
    int64_t measuredBytesPerPose[2] = {0, 0};
};

} // namespace AffinityPlugin

#endif
