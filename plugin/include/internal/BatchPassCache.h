// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_BATCH_PASS_CACHE_H_
#define OPENMM_AFFINITY_BATCH_PASS_CACHE_H_

#include "AffinityExport.h"
#include "internal/BatchPasses.h"
#include "internal/OnePassBatchPass.h"
#include "internal/PoseGradientsPass.h"
#include <memory>
#include <string>
#include <vector>

namespace AffinityPlugin {

/**
 * The batch passes kept between batched evaluations, and with them the lifecycle of their CUDA
 * graphs: one energy pass, one gradient pass, one pass of the one-pass strategy and one of each pose's own
 * gradients (store-all), each for the latest batch shape, sharing one graph memory pool. A pass is rebuilt (and its
 * graph captured anew) when the batch shape changes; release() drops them all and the memory their graphs hold,
 * which an owner does whenever what a graph captured (the topology, the temperature) changes.
 */
class OPENMM_EXPORT_AFFINITY BatchPassCache {
public:
    BatchPassCache();
    ~BatchPassCache();
    BatchPassCache(BatchPassCache&&) noexcept;
    BatchPassCache& operator=(BatchPassCache&&) noexcept;
    /** Whether passes on a CUDA device capture CUDA graphs (default: on); a change releases the passes. */
    void setUseCUDAGraphs(bool use);
    /** Whether passes on a CUDA device capture CUDA graphs. */
    bool getUseCUDAGraphs() const {
        return useCUDAGraphs;
    }
    /** How many CUDA graphs the kept passes replay: one per pass, two for the one-pass pass (0 to 5). */
    int getNumCapturedGraphs() const;
    /** Why the model could not be captured in the kept passes, or empty. */
    std::string getCUDAGraphFailure() const;
    /** Drop the kept passes and the device memory their graphs hold. */
    void release();
    /** The energy pass for batches of `batch` poses of a model, rebuilt unless the kept one has that shape. */
    EnergyBatchPass& energyPass(const BoundModel& model, int batch);
    /**
     * The gradient pass for batches of `batch` poses of a model, with or without position
     * gradients, rebuilt unless the kept one is of that kind.
     */
    GradientBatchPass& gradientPass(const BoundModel& model, int batch, bool positionGradients);
    /** The one-pass strategy's pass for batches of `batch` poses with these sums, rebuilt unless the kept one is of
     * that kind. */
    OnePassBatchPass& onePassPass(const BoundModel& model, int batch, const OnePassSums& sums);
    /**
     * The pass of each pose's own gradients for batches of `batch` poses, with or without position gradients,
     * rebuilt unless the kept one is of that kind.
     */
    PoseGradientsPass& poseGradientsPass(const BoundModel& model, int batch, bool positionGradients);

private:
    GraphMemoryPool sharedPool(const torch::Device& device);
    std::vector<const CapturedCall*> calls() const;
    bool useCUDAGraphs = true;
    std::unique_ptr<EnergyBatchPass> energy;
    std::unique_ptr<GradientBatchPass> gradient;
    std::unique_ptr<OnePassBatchPass> onePass;
    std::unique_ptr<PoseGradientsPass> poseGradients;
    std::unique_ptr<GraphMemoryPool> pool;
};

} // namespace AffinityPlugin

#endif
