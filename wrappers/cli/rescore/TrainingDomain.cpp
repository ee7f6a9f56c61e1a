// SPDX-License-Identifier: MIT
#include "TrainingDomain.h"
#include "AffinityUnits.h"
#include "ElementSymbol.h"
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

using namespace AffinityRescore;
using namespace AffinityCli;

namespace {

void addFlag(std::string& flags, const char* flag) {
    if (flags.find(flag) != std::string::npos)
        return;
    flags += (flags.empty() ? "" : ";") + std::string(flag);
}

/** The shortest distance (nm) between a ligand atom and a receptor atom of one pose. */
double closestContact(const AffinityPlugin::PoseEnsemble& complex, int pose) {
    const double* x = complex.getPosePositions(pose);
    const std::vector<bool>& ligand = complex.getLigandMask();
    double closest = 1e300;
    for (int i = 0; i < complex.getNumAtoms(); i++) {
        if (!ligand[i])
            continue;
        for (int j = 0; j < complex.getNumAtoms(); j++) {
            if (ligand[j])
                continue;
            const double dx = x[3 * i] - x[3 * j], dy = x[3 * i + 1] - x[3 * j + 1], dz = x[3 * i + 2] - x[3 * j + 2];
            closest = std::min(closest, dx * dx + dy * dy + dz * dz);
        }
    }
    return std::sqrt(closest);
}

} // namespace

TrainingDomain::TrainingDomain(std::vector<int> elements, double contactDistance)
    : trainingElements(std::move(elements)), contactDistance(contactDistance) {
    std::sort(trainingElements.begin(), trainingElements.end());
}

DomainFlags TrainingDomain::check(const AffinityPlugin::PoseEnsemble& complex, const std::vector<double>& poseDeltaG,
                                  double combinedDeltaG) const {
    DomainFlags flags;
    std::set<int> unseen;
    if (!trainingElements.empty())
        for (int z : complex.getAtomicNumbers())
            if (!std::binary_search(trainingElements.begin(), trainingElements.end(), z))
                unseen.insert(z);
    int noContact = 0, positive = 0;
    for (int n = 0; n < complex.getNumPoses(); n++) {
        std::string pose;
        if (closestContact(complex, n) > contactDistance) {
            addFlag(pose, "no-contact");
            noContact++;
        }
        if (!unseen.empty())
            addFlag(pose, "unseen-element");
        if (poseDeltaG[n] > 0.0) {
            addFlag(pose, "positive-dG");
            positive++;
        }
        flags.pose.push_back(pose);
    }
    std::stringstream warning;
    const int poses = complex.getNumPoses();
    if (noContact > 0) {
        addFlag(flags.ligand, "no-contact");
        warning << "; " << noContact << " of " << poses << " poses have no receptor atom within "
                << contactDistance / AffinityPlugin::NmPerAngstrom << " A of the ligand";
    }
    if (!unseen.empty()) {
        addFlag(flags.ligand, "unseen-element");
        warning << "; element";
        for (int z : unseen)
            warning << " " << elementSymbol(z);
        warning << (unseen.size() > 1 ? " were" : " was") << " never seen in training";
    }
    if (positive > 0 || combinedDeltaG > 0.0) {
        addFlag(flags.ligand, "positive-dG");
        char text[96];
        std::snprintf(text, sizeof(text), "; %d of %d poses score above 0 (combined dG %+.2f kcal/mol)", positive,
                      poses, combinedDeltaG);
        warning << text;
    }
    const std::string text = warning.str();
    if (!text.empty())
        flags.warning = "outside the model's domain, do not trust this score" + text;
    return flags;
}
