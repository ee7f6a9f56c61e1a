// SPDX-License-Identifier: MIT
#ifndef OPENMM_AFFINITY_UNITS_H_
#define OPENMM_AFFINITY_UNITS_H_

#include "AffinityDefaults.h"

namespace AffinityPlugin {

/** Boltzmann's constant in kJ/(mol K), the value OpenMM itself uses (R / 1000). */
constexpr double BoltzmannKJPerMolK = 0.00831446261815324;
/** Kilojoules per kilocalorie (thermochemical calorie). */
constexpr double KJPerKcal = 4.184;
/** Nanometres per Ångström: docking files are in Å, OpenMM and the models in nm. */
constexpr double NmPerAngstrom = 0.1;

/** β = 1/(k_B T) in mol/kJ for a temperature in K. */
inline double betaForTemperature(double kelvin) {
    return 1.0 / (BoltzmannKJPerMolK * kelvin);
}

} // namespace AffinityPlugin

#endif
