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
    int count = 0;
    for (const CapturedCall* call : calls())
        count += call->isCaptured() ? 1 : 0;
    return count;
}

std::string BatchPassCache::getCUDAGraphFailure() const {
    for (const CapturedCall* call : calls())
        if (!call->failure().empty())
            return call->failure();
    return "";
}

std::vector<const CapturedCall*> BatchPassCache::calls() const {
    std::vector<const CapturedCall*> result;
    if (energy)
        result.push_back(&energy->capturedCall());
    if (gradient)
        result.push_back(&gradient->capturedCall());
    if (onePass) {
        result.push_back(&onePass->forwardCall());
        result.push_back(&onePass->backwardCall());
    }
    if (poseGradients)
        result.push_back(&poseGradients->capturedCall());
    return result;
}

void BatchPassCache::release() {
    energy.reset();
    gradient.reset();
    onePass.reset();
    poseGradients.reset();
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

OnePassBatchPass& BatchPassCache::onePassPass(const BoundModel& model, int batch, const OnePassSums& sums) {
    if (!onePass || onePass->batchSize() != batch || !(onePass->sums() == sums))
        onePass = std::make_unique<OnePassBatchPass>(model, batch, sums, useCUDAGraphs, sharedPool(model.device));
    return *onePass;
}

PoseGradientsPass& BatchPassCache::poseGradientsPass(const BoundModel& model, int batch, bool positionGradients) {
    if (!poseGradients || poseGradients->batchSize() != batch ||
        poseGradients->hasPositionGradients() != positionGradients)
        poseGradients = std::make_unique<PoseGradientsPass>(model, batch, positionGradients, useCUDAGraphs,
                                                            sharedPool(model.device));
    return *poseGradients;
}
