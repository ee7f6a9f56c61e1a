// SPDX-License-Identifier: MIT
#include "ScoringOptions.h"
#include "AffinityLoss.h"
#include "AtomConvention.h"
#include "Combination.h"
#include <boost/program_options.hpp>
#include <cmath>
#include <stdexcept>

using namespace AffinityCli;
namespace po = boost::program_options;

namespace {

void require(bool condition, const std::string& message) {
    if (!condition)
        throw CommandLineError(message);
}

bool positive(double x) {
    return x > 0.0 && std::isfinite(x);
}

} // namespace

void AffinityCli::addScoringOptions(po::options_description& description, ScoringOptions& o) {
    // clang-format off
    description.add_options()
        ("combination,c", choiceValue(&o.combination, "combination", {"boltzmann", "max", "mean"})
         ->default_value(o.combination),
         "how a ligand's poses combine: boltzmann, max (the strongest binding pose, smoothly) or mean")
        ("temperature,T", numberValue(&o.temperature, "K"), "temperature in kelvin")
        ("max-scale", numberValue(&o.maxScale, "t"), "scale t of the max combination")
        ("readout", choiceValue(&o.readout, "readout", {"none", "pki", "pic50"}, {"dg"})->default_value(o.readout),
         "none (dG itself; also dg), pki (-beta dG / ln 10) or pic50 (pKi - log10(1 + [S]/Km))")
        ("substrate", numberValue(&o.substrateConcentration, "S"), "[S] for pic50, in the unit of --km")
        ("km", numberValue(&o.michaelisConstant, "Km"), "Michaelis constant for pic50")
        ("pocket-cutoff", po::value(&o.pocketCutoff)->value_name("nm"),
         ("pocket radius around a ligand's poses, in nm (default: the model's pocket_cutoff_nm, else " +
          shortNumber(o.pocketCutoff) + ")").c_str())
        ("atom-convention", choiceValue(&o.atomConvention, "atom-convention", {"heavy-atoms", "as-read"}),
         "heavy-atoms (drop every hydrogen) or as-read (default: the model's atom_convention, else heavy-atoms)")
        ("device", po::value(&o.device)->default_value(o.device)->value_name("DEV"), "cpu, cuda or cuda:i")
        ("precision", choiceValue(&o.precision, "precision", {"auto", "double", "single", "tf32"},
                                  {"float64", "float32"})->default_value(o.precision),
         "auto (float64 on the CPU, the model's dtype on CUDA), double (also float64), single (float32) or "
         "tf32 (float32 with the matrix products on TF32 tensor cores on CUDA: faster, errors of 1e-4 to 1e-3 relative)")
        ("batch-size", po::value(&o.batchSize)->default_value(o.batchSize)->value_name("n"),
         "poses per model call (0: one on the CPU, where batches do not pay; on CUDA as many as fit in "
         "--memory-budget)")
        ("memory-budget", numberValue(&o.memoryBudgetMiB, "MiB"), "device memory a batch of poses may use");
    // clang-format on
}

void AffinityCli::checkScoringOptions(const po::variables_map& values, ScoringOptions& o) {
    o.pocketCutoffGiven = values.count("pocket-cutoff") > 0;
    o.device = lowerCase(o.device);
    require(positive(o.maxScale), "--max-scale must be positive");
    try {
        AffinityPlugin::Combination::fromName(o.combination, o.maxScale);
    } catch (const std::exception&) {
        throw CommandLineError("--combination is '" + o.combination + "'; expected boltzmann, max or mean");
    }
    require(positive(o.temperature), "--temperature must be a positive number of kelvin");
    require(positive(o.michaelisConstant) && o.substrateConcentration >= 0.0 && std::isfinite(o.substrateConcentration),
            "--km must be positive and --substrate not negative");
    try {
        AffinityPlugin::Readout::fromName(o.readout, o.substrateConcentration, o.michaelisConstant);
    } catch (const std::exception&) {
        throw CommandLineError("--readout is '" + o.readout + "'; expected none (dg), pki or pic50");
    }
    require(positive(o.pocketCutoff), "--pocket-cutoff must be a positive distance in nm");
    if (!o.atomConvention.empty())
        atomConventionFromName(o.atomConvention, "--atom-convention");
    try {
        o.deviceName = AffinityPlugin::DeviceName::fromName(o.device);
    } catch (const std::exception& e) {
        throw CommandLineError("--device: " + std::string(e.what()));
    }
    try {
        o.precisionKind = precisionFromName(o.precision);
    } catch (const std::runtime_error& e) {
        throw CommandLineError("--precision: " + std::string(e.what()));
    }
    require(o.batchSize >= 0, "--batch-size must be 0 (automatic) or positive");
    require(positive(o.memoryBudgetMiB), "--memory-budget must be a positive number of MiB");
}
