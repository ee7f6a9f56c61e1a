// SPDX-License-Identifier: MIT
#ifndef AFFINITY_RESCORE_OUTPUT_NUMBER_H_
#define AFFINITY_RESCORE_OUTPUT_NUMBER_H_

#include <string>

namespace AffinityRescore {

/**
 * How a number of affinity-rescore's outputs is rounded before it is printed: the one rule the
 * CSV, the SDF tags and the JSON summary share, so that each number reads back the same from
 * all three (README, "Outputs").
 */
struct NumberPrecision {
    enum Kind {
        Exact,      // not rounded: the double as the run holds it (an input's or an option's value)
        Decimals,   // rounded to `digits` places after the point
        Significant // rounded to `digits` significant digits
    };
    Kind kind;
    int digits;
};

/** Values given to the run (options, docking scores read from the input): printed as they are. */
constexpr NumberPrecision ExactNumber{NumberPrecision::Exact, 0};
/** Energies in kcal/mol (per-pose and combined ΔG): 1e-6 kcal/mol, below a float32 model's resolution. */
constexpr NumberPrecision EnergyPrecision{NumberPrecision::Decimals, 6};
/** The combination's weights, which span many orders of magnitude: six significant digits. */
constexpr NumberPrecision WeightPrecision{NumberPrecision::Significant, 6};
/** Readouts (pK_i, pIC50), in log10 units: four places. */
constexpr NumberPrecision ReadoutPrecision{NumberPrecision::Decimals, 4};

/**
 * The value rounded as precision says (correctly, from its exact binary value), with -0 made 0;
 * a value that is not finite is returned as it is.
 */
double roundedNumber(double value, NumberPrecision precision);

/**
 * The rounded value as the shortest text that reads back (strtod, Python's float, a JSON parser)
 * to exactly that double, by std::to_chars: "-7.18", not "-7.1799999999999997" nor "-7.180000";
 * "1.5e-07" where the exponent form is shorter. "" for a value that is not finite (the writers
 * print an empty CSV field, no SD tag and JSON null for it).
 */
std::string numberText(double value, NumberPrecision precision);

} // namespace AffinityRescore

#endif
