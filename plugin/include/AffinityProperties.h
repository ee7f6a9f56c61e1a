// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_PROPERTIES_H_
#define OPENMM_AFFINITY_PROPERTIES_H_

#include "AffinityDefaults.h"
#include "AffinityExport.h"
#include "MatmulPrecision.h"
#include <map>
#include <string>

namespace AffinityPlugin {

/**
 * The platform properties of an AffinityForce, parsed and checked once. See AffinityForce
 * for what each means.
 */
struct OPENMM_EXPORT_AFFINITY AffinityProperties {
    bool useCUDAGraphs = false;
    int cudaGraphWarmupSteps = 10;
    int poseBatchSize = 0;
    double poseMemoryBudgetMiB = DefaultMemoryBudgetMiB;
    MatmulPrecision matmulPrecision = MatmulPrecision::Float32;
    /**
     * Parse a property map.
     *
     * @throws OpenMMException naming the property for an unknown name or a bad value
     */
    static AffinityProperties parse(const std::map<std::string, std::string>& properties);
    /** Every property name with its default value, as AffinityForce::getProperties() lists them. */
    static const std::map<std::string, std::string>& defaults();
    /**
     * Check that a property name is known.
     *
     * @throws OpenMMException naming the known properties if it is not
     */
    static void checkName(const std::string& name);
};

} // namespace AffinityPlugin

#endif
