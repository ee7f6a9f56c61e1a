// SPDX-License-Identifier: MIT
#include "ScoringOptions.h"
#include "AffinityLoss.h"
#include "AtomConvention.h"
#include "Combination.h"
#include <boost/program_options.hpp>
#include <cmath>
#include <sstream>
#include <stdexcept>

using namespace AffinityCli;
namespace po = boost::program_options;

namespace {

void require(bool condition, const std::string& message) {
    if (!condition)
        throw std::runtime_error(message);
}

bool positive(double x) {
    return x > 0.0 && std::isfinite(x);
}

} // namespace

std::string AffinityCli::shortNumber(double value) {
    std::ostringstream text;
    text << value;
    return text.str();
}

void AffinityCli::addScoringOptions(po::options_description& description, ScoringOptions& o) {
    // clang-format off
    description.add_options()
        ("combination,c", po::value(&o.combination)->default_value(o.combination)->value_name("NAME"),
         "how a ligand's poses combine: boltzmann, max (the strongest binding pose, smoothly) or mean")
        ("temperature,T", po::value(&o.temperature)->default_value(o.temperature, shortNumber(o.temperature))
         ->value_name("K"), "temperature in kelvin")
        ("max-scale", po::value(&o.maxScale)->default_value(o.maxScale, shortNumber(o.maxScale))->value_name("t"),
         "scale t of the max combination")
        ("readout", po::value(&o.readout)->default_value(o.readout)->value_name("R"),
         "none (dG itself; also dg), pki (-beta dG / ln 10) or pic50 (pKi - log10(1 + [S]/Km))")
        ("substrate", po::value(&o.substrateConcentration)->default_value(o.substrateConcentration,
         shortNumber(o.substrateConcentration))->value_name("S"), "[S] for pic50, in the unit of --km")
        ("km", po::value(&o.michaelisConstant)->default_value(o.michaelisConstant, shortNumber(o.michaelisConstant))
         ->value_name("Km"), "Michaelis constant for pic50")
        ("pocket-cutoff", po::value(&o.pocketCutoff)->default_value(o.pocketCutoff, shortNumber(o.pocketCutoff))
         ->value_name("nm"), ("pocket radius around a ligand's poses, in nm (default: the model's pocket_cutoff_nm, "
         "else " + shortNumber(o.pocketCutoff) + ")").c_str())
        ("atom-convention", po::value(&o.atomConvention)->value_name("C"),
         "heavy-atoms (drop every hydrogen) or as-read (default: the model's atom_convention, else heavy-atoms)")
        ("device", po::value(&o.device)->default_value(o.device)->value_name("DEV"), "cpu, cuda or cuda:i")
        ("precision", po::value(&o.precision)->default_value(o.precision)->value_name("P"),
         "auto (float64 on the CPU, the model's dtype on CUDA), double or single")
        ("batch-size", po::value(&o.batchSize)->default_value(o.batchSize)->value_name("n"),
         "poses per model call (0: one on the CPU, where batches do not pay; on CUDA as many as fit in "
         "--memory-budget)")
        ("memory-budget", po::value(&o.memoryBudgetMiB)->default_value(o.memoryBudgetMiB,
         shortNumber(o.memoryBudgetMiB))->value_name("MiB"), "device memory a batch of poses may use");
    // clang-format on
}

void AffinityCli::checkScoringOptions(const po::variables_map& values, ScoringOptions& o) {
    o.pocketCutoffGiven = values.count("pocket-cutoff") && !values["pocket-cutoff"].defaulted();
    require(positive(o.maxScale), "--max-scale must be positive");
    try {
        AffinityPlugin::Combination::fromName(o.combination, o.maxScale);
    } catch (const std::exception&) {
        throw std::runtime_error("--combination is '" + o.combination + "'; expected boltzmann, max or mean");
    }
    require(positive(o.temperature), "--temperature must be a positive number of kelvin");
    require(positive(o.michaelisConstant) && o.substrateConcentration >= 0.0 && std::isfinite(o.substrateConcentration),
            "--km must be positive and --substrate not negative");
    try {
        AffinityPlugin::Readout::fromName(o.readout, o.substrateConcentration, o.michaelisConstant);
    } catch (const std::exception&) {
        throw std::runtime_error("--readout is '" + o.readout + "'; expected none (dg), pki or pic50");
    }
    require(positive(o.pocketCutoff), "--pocket-cutoff must be a positive distance in nm");
    if (!o.atomConvention.empty())
        atomConventionFromName(o.atomConvention, "--atom-convention");
    try {
        o.deviceName = AffinityPlugin::DeviceName::fromName(o.device);
    } catch (const std::exception& e) {
        throw std::runtime_error("--device: " + std::string(e.what()));
    }
    try {
        o.precisionKind = precisionFromName(o.precision);
    } catch (const std::runtime_error& e) {
        throw std::runtime_error("--precision: " + std::string(e.what()));
    }
    require(o.batchSize >= 0, "--batch-size must be 0 (automatic) or positive");
    require(positive(o.memoryBudgetMiB), "--memory-budget must be a positive number of MiB");
}
