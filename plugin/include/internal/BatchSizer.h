// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_BATCH_SIZER_H_
#define OPENMM_AFFINITY_BATCH_SIZER_H_

#include "AffinityExport.h"
#include "internal/BoundModel.h"
#include <cstdint>
#include <map>

namespace AffinityPlugin {

/**
 * Chooses the number of poses per model call, and of poses evaluated side by side. On a GPU it
 * measures what model calls of random poses take, and keeps the figures: memory does not depend
 * on where the atoms are. A batch size comes from a first estimate (a fixed part, such as a
 * model's tables, plus a part per pose, from probe batches of two small sizes) and is then
 * measured itself, and made smaller until its call fits the budget: a call's peak grows faster
 * per pose at large batches, where the poses' tensors outweigh the fixed part, than the small
 * probes show. A gradient probe differentiates as the gradient passes do, with respect to the
 * parameters keeping the autograd graph and then to the positions. A pose side by side with
 * others is a call of its own, which takes both parts of the estimate.
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
    /** The first estimate of a model call's peak allocation for B poses: fixed + perPose B bytes. */
    struct CallMemory {
        int64_t fixed = 0, perPose = 0;
    };
    const CallMemory& callMemory(BoundModel& model, Probe probe);
    int64_t peakOf(BoundModel& model, Probe probe, int poses);
    CallMemory estimated[2];
    /** The measured peak allocation of a call, by number of poses. */
    std::map<int, int64_t> peaks[2];
    /** The batch size chosen, by memory budget. */
    std::map<double, int> chosen[2];
};

} // namespace AffinityPlugin

#endif
