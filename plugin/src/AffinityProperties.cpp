// SPDX-License-Identifier: MIT
#include "AffinityProperties.h"
#include "openmm/OpenMMException.h"
#include <cmath>
#include <cstdlib>
#include <sstream>

using namespace AffinityPlugin;
using OpenMM::OpenMMException;

namespace {

[[noreturn]] void badValue(const std::string& name, const std::string& value, const std::string& expected) {
    throw OpenMMException("AffinityForce: property " + name + " is '" + value + "'; expected " + expected);
}

bool parseBool(const std::string& name, const std::string& value) {
    if (value == "true" || value == "1")
        return true;
    if (value == "false" || value == "0")
        return false;
    badValue(name, value, "true or false");
}

long parseInteger(const std::string& name, const std::string& value, long minimum) {
    char* end = nullptr;
    long result = std::strtol(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || result < minimum)
        badValue(name, value, "an integer >= " + std::to_string(minimum));
    return result;
}

double parsePositive(const std::string& name, const std::string& value) {
    char* end = nullptr;
    double result = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0' || !(result > 0.0) || !std::isfinite(result))
        badValue(name, value, "a positive number");
    return result;
}

MatmulPrecision parseMatmulPrecision(const std::string& name, const std::string& value) {
    if (std::optional<MatmulPrecision> precision = matmulPrecisionNamed(value))
        return *precision;
    badValue(name, value, matmulPrecisionChoices());
}

} // namespace

const std::map<std::string, std::string>& AffinityProperties::defaults() {
    static const std::map<std::string, std::string> values = [] {
        const AffinityProperties d;
        std::ostringstream budget;
        budget << d.poseMemoryBudgetMiB;
        return std::map<std::string, std::string>{{"useCUDAGraphs", d.useCUDAGraphs ? "true" : "false"},
                                                  {"CUDAGraphWarmupSteps", std::to_string(d.cudaGraphWarmupSteps)},
                                                  {"poseBatchSize", std::to_string(d.poseBatchSize)},
                                                  {"poseMemoryBudgetMiB", budget.str()},
                                                  {"matmulPrecision", matmulPrecisionName(d.matmulPrecision)}};
    }();
    return values;
}

void AffinityProperties::checkName(const std::string& name) {
    if (defaults().count(name) > 0)
        return;
    std::string known;
    for (const auto& [knownName, value] : defaults())
        known += (known.empty() ? "" : ", ") + knownName;
    throw OpenMMException("AffinityForce: unknown property '" + name + "'; expected one of " + known);
}

AffinityProperties AffinityProperties::parse(const std::map<std::string, std::string>& properties) {
    AffinityProperties result;
    for (const auto& [name, value] : properties) {
        checkName(name);
        if (name == "useCUDAGraphs")
            result.useCUDAGraphs = parseBool(name, value);
        else if (name == "CUDAGraphWarmupSteps")
            result.cudaGraphWarmupSteps = (int)parseInteger(name, value, 1);
        else if (name == "poseBatchSize")
            result.poseBatchSize = (int)parseInteger(name, value, 0);
        else if (name == "poseMemoryBudgetMiB")
            result.poseMemoryBudgetMiB = parsePositive(name, value);
        else if (name == "matmulPrecision")
            result.matmulPrecision = parseMatmulPrecision(name, value);
    }
    return result;
}
