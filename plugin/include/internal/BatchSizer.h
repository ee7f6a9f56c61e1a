// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_BATCH_SIZER_H_
#define OPENMM_AFFINITY_BATCH_SIZER_H_

#include "AffinityExport.h"
#include "internal/BoundModel.h"
#include <cstdint>

namespace AffinityPlugin {

/**
 * Chooses the number of poses per model call, and of poses evaluated side by side. On a GPU it
 * measures the memory one pose takes (the peak allocation of a probe batch, with and without an
 * autograd graph, and of one pose alone with one) once, and keeps the figures: memory does not
 * depend on where the atoms are.
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
    enum Probe { Energies, Gradients, OnePoseGradients };
    int64_t bytesPerPose(BoundModel& model, Probe probe);
    int64_t measuredBytesPerPose[3] = {0, 0, 0};
};

} // namespace AffinityPlugin

#endif
