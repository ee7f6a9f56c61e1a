// SPDX-License-Identifier: MIT
#include "internal/BatchPassCache.h"

using namespace AffinityPlugin;

BatchPassCache::BatchPassCache() = default;
BatchPassCache::~BatchPassCache() = default;
BatchPassCache::BatchPassCache(BatchPassCache&&) noexcept = default;
BatchPassCache& BatchPassCache::operator=(BatchPassCache&&) noexcept = default;

void BatchPassCache::setUseCUDAGraphs(bool use) {
    if (use != useCUDAGraphs)
        release();
    useCUDAGraphs = use;
}

int BatchPassCache::getNumCapturedGraphs() const {
    return (energy && energy->capturedCall().isCaptured() ? 1 : 0) +
           (gradient && gradient->capturedCall().isCaptured() ? 1 : 0);
}

std::string BatchPassCache::getCUDAGraphFailure() const {
    for (const CapturedCall* call :
         {energy ? &energy->capturedCall() : nullptr, gradient ? &gradient->capturedCall() : nullptr})
        if (call && !call->failure().empty())
            return call->failure();
    return "";
}

void BatchPassCache::release() {
    energy.reset();
    gradient.reset();
    pool.reset();
}

GraphMemoryPool BatchPassCache::sharedPool(const torch::Device& device) {
    // One pool (and stream) for the energy and the gradient graph: they run one after the other
    // and their outputs are copied out at once, so they can hold one batch's working memory
    // between them.
    if (!pool && device.is_cuda())
        pool = std::make_unique<GraphMemoryPool>(GraphMemoryPool::create(device));
    return pool ? *pool : GraphMemoryPool{};
}

EnergyBatchPass& BatchPassCache::energyPass(const BoundModel& model, int batch) {
    if (!energy || energy->batchSize() != batch)
        energy = std::make_unique<EnergyBatchPass>(model, batch, useCUDAGraphs, sharedPool(model.device));
    return *energy;
}

GradientBatchPass& BatchPassCache::gradientPass(const BoundModel& model, int batch, bool positionGradients) {
    if (!gradient || gradient->batchSize() != batch || gradient->hasPositionGradients() != positionGradients)
        gradient = std::make_unique<GradientBatchPass>(model, batch, positionGradients, useCUDAGraphs,
                                                       sharedPool(model.device));
    return *gradient;
}
