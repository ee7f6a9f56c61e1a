// SPDX-License-Identifier: MIT
// The combined gradient of a loss over a set of ligands against full autograd: every ligand's
// poses in one LibTorch graph through the model, each combination and each loss written here
// in LibTorch from its definition, for a set of three ligands of different atom and pose
// counts (float64, the two-layer test model of about 8,700 parameters). Also: a TorchScript
// loss and a C++ callable loss, one ligand reproducing the one-ligand combinedGradient bit for
// bit, and bad input.
#include "GradientExport.h"
#include "LigandSetLoss.h"
#include "TestSupport.h"
#include "openmm/OpenMMException.h"
#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <random>
#include <torch/csrc/autograd/autograd.h>
#include <torch/script.h>

using namespace AffinityPlugin;
using AffinityTest::model;
using Catch::Contains;

namespace {

const double Tolerance = 1e-9;

// A complex of `receptor` + `ligand` atoms and `count` poses that move the ligand around.
struct Complex {
    std::vector<int> atomicNumbers;
    std::vector<bool> ligandMask;
    PoseEnsemble poses;

    Complex(int receptor, int ligand, int count, unsigned seed)
        : atomicNumbers(makeNumbers(receptor + ligand)), ligandMask(makeMask(receptor, ligand)),
          poses(atomicNumbers, ligandMask) {
        std::mt19937 rng(seed);
        std::uniform_real_distribution<double> box(0.0, 1.2);
        std::normal_distribution<double> shift(0.0, 0.15);
        std::vector<OpenMM::Vec3> base;
        for (int i = 0; i < receptor + ligand; i++)
            base.push_back(OpenMM::Vec3(box(rng), box(rng), box(rng)));
        for (int p = 0; p < count; p++) {
            std::vector<OpenMM::Vec3> pose = base;
            const OpenMM::Vec3 offset(shift(rng), shift(rng), shift(rng));
            for (int i = receptor; i < receptor + ligand; i++)
                pose[i] += offset + OpenMM::Vec3(shift(rng), shift(rng), shift(rng)) * 0.3;
            poses.addPose(pose);
        }
    }
    static std::vector<int> makeNumbers(int n) {
        const int elements[] = {6, 7, 8, 6, 16, 1};
        std::vector<int> z;
        for (int i = 0; i < n; i++)
            z.push_back(elements[i % 6]);
        return z;
    }
    static std::vector<bool> makeMask(int receptor, int ligand) {
        std::vector<bool> mask(receptor + ligand, false);
        for (int i = receptor; i < receptor + ligand; i++)
            mask[i] = true;
        return mask;
    }
};

// Three ligands of different sizes, each with its own scorer; the scorers share one model.
struct LigandSet {
    AffinityModel shared;
    std::vector<Complex> complexes;
    std::vector<std::unique_ptr<AffinityScorer>> scorers;
    std::vector<LigandTerm> terms;

    explicit LigandSet(std::vector<std::array<int, 3>> shapes = {{9, 5, 4}, {9, 7, 1}, {6, 3, 6}})
        : shared(AffinityModel::fromFile(model("mlp_f64.pt"))) {
        unsigned seed = 17;
        for (const auto& shape : shapes)
            complexes.emplace_back(shape[0], shape[1], shape[2], seed++);
        for (Complex& c : complexes) {
            scorers.push_back(
                std::make_unique<AffinityScorer>(shared, c.atomicNumbers, c.ligandMask, torch::kCPU, torch::kFloat64));
            LigandTerm term;
            term.scorer = scorers.back().get();
            term.poses = &c.poses;
            terms.push_back(term);
        }
    }
    std::vector<torch::Tensor> parameters() {
        std::vector<torch::Tensor> result;
        for (auto& [name, p] : shared.trainableParameters())
            result.push_back(p);
        return result;
    }
    void zeroGradients() {
        for (auto& p : parameters())
            if (p.grad().defined())
                p.mutable_grad().zero_();
    }
    // Targets near each ligand's energies (so that no loss is trivially flat), distinct, and
    // per-pose targets near the pose energies; in the units of the readouts given.
    void setTargets(const Readout& readout, const Readout& poseReadout, bool poseTargets) {
        for (size_t l = 0; l < terms.size(); l++) {
            const std::vector<double> energies = scorers[l]->poseEnergies(*terms[l].poses);
            const double beta = betaForTemperature(scorers[l]->getTemperature());
            terms[l].target = readout.apply(energies[0] - 2.0 + 1.5 * l, beta);
            terms[l].sigma = 0.5 + 0.25 * l;
            terms[l].poseTargets.clear();
            if (poseTargets && l != 1) // ligand 1 has none
                for (size_t n = 0; n < energies.size(); n++)
                    terms[l].poseTargets.push_back(poseReadout.apply(energies[n] + 0.7 * std::sin(1.0 + n + l), beta));
        }
    }
};

torch::Tensor combineInTorch(const torch::Tensor& g, const std::string& kind, double beta) {
    if (kind == "mean")
        return g.mean();
    if (kind == "max")
        return -torch::logsumexp(-1000.0 * beta * g, 0) / (1000.0 * beta);
    return (torch::softmax(-beta * g, 0) * g).sum();
}

torch::Tensor readoutInTorch(const torch::Tensor& x, const Readout& readout, double beta) {
    return readout.getKind() == Readout::None ? x : readout.apply(0.0, beta) + readout.derivative(beta) * x;
}

// The set's losses written in LibTorch from their definitions in LigandSetLoss.h.
using TorchLoss = std::function<torch::Tensor(const torch::Tensor& p, const std::vector<torch::Tensor>& q,
                                              const torch::Tensor& y, const torch::Tensor& sigma)>;

TorchLoss torchLoss(const std::string& name) {
    if (name == "mse")
        return [](auto& p, auto&, auto& y, auto&) { return (p - y).pow(2).mean(); };
    if (name == "centred-mse")
        return [](auto& p, auto&, auto& y, auto&) {
            torch::Tensor e = p - y;
            return (e - e.mean()).pow(2).mean();
        };
    if (name == "ranking")
        return [](auto& p, auto&, auto& y, auto&) {
            std::vector<torch::Tensor> terms;
            for (int64_t i = 0; i < p.size(0); i++)
                for (int64_t j = i + 1; j < p.size(0); j++) {
                    const double s = (y[i] - y[j]).template item<double>();
                    if (s != 0.0)
                        terms.push_back(torch::softplus(-(s > 0 ? 1.0 : -1.0) * (p[i] - p[j]) / 0.8));
                }
            return torch::stack(terms).mean();
        };
    return [](auto& p, auto&, auto& y, auto& sigma) {
        return ((p - y).pow(2) / (2.0 * sigma.pow(2)) + sigma.log() + 0.5 * std::log(2.0 * M_PI)).mean();
    };
}

std::unique_ptr<LigandSetLoss> makeLoss(const std::string& name) {
    if (name == "ranking")
        return std::make_unique<PairwiseRankingLoss>(0.8);
    return ligandSetLossFromName(name);
}

struct Reference {
    double loss;
    std::vector<double> deltaG;
    std::vector<torch::Tensor> gradients;
};

// All ligands' poses in one graph through the model.
Reference fullAutograd(LigandSet& set, const std::string& kind, const TorchLoss& setLoss, const LigandSetLoss& loss) {
    std::vector<torch::Tensor> p, q, y, sigma;
    torch::Tensor poseTerms = torch::zeros({}, torch::kFloat64);
    const double count = (double)set.terms.size();
    Reference result;
    for (size_t l = 0; l < set.terms.size(); l++) {
        AffinityScorer& scorer = *set.scorers[l];
        const double beta = betaForTemperature(scorer.getTemperature());
        torch::Tensor g =
            scorer.energies(scorer.uploadPoses(*set.terms[l].poses, 0, set.terms[l].poses->getNumPoses()));
        torch::Tensor dg = combineInTorch(g, kind, beta);
        result.deltaG.push_back(dg.item<double>());
        p.push_back(readoutInTorch(dg, loss.getReadout(), beta));
        q.push_back(readoutInTorch(g, loss.getPoseReadout(), beta));
        y.push_back(torch::tensor(set.terms[l].target, torch::kFloat64));
        sigma.push_back(torch::tensor(set.terms[l].sigma, torch::kFloat64));
        if (!set.terms[l].poseTargets.empty())
            poseTerms =
                poseTerms + (loss.getPoseWeight() / count) *
                                (q.back() - torch::tensor(set.terms[l].poseTargets, torch::kFloat64)).pow(2).sum();
    }
    torch::Tensor total = setLoss(torch::stack(p), q, torch::stack(y), torch::stack(sigma)) + poseTerms;
    result.loss = total.item<double>();
    result.gradients = torch::autograd::grad({total}, set.parameters());
    return result;
}

void requireRelativelyClose(const torch::Tensor& actual, const torch::Tensor& expected, double tolerance) {
    const double scale = std::max(expected.abs().max().item<double>(), 1e-300);
    const double error = (actual.to(torch::kFloat64) - expected).abs().max().item<double>();
    INFO("max error " << error << " against max magnitude " << scale);
    REQUIRE(error <= tolerance * scale);
}

void requireMatches(LigandSet& set, const SetGradientResult& result, const Reference& reference) {
    REQUIRE(std::abs(result.loss - reference.loss) <= Tolerance * std::max(1.0, std::abs(reference.loss)));
    for (size_t l = 0; l < reference.deltaG.size(); l++)
        REQUIRE(std::abs(result.scores.combinations[l].deltaG - reference.deltaG[l]) <=
                1e-12 * std::max(1.0, std::abs(reference.deltaG[l])));
    const std::vector<torch::Tensor> params = set.parameters();
    double largest = 0.0;
    for (size_t i = 0; i < params.size(); i++) {
        INFO("parameter " << i);
        requireRelativelyClose(params[i].grad(), reference.gradients[i], Tolerance);
        largest = std::max(largest, reference.gradients[i].abs().max().item<double>());
    }
    REQUIRE(largest > 0.0); // the comparison is not between zeros
}

const GradientStrategy Strategies[] = {GradientStrategy::StoreAll, GradientStrategy::TwoPass,
                                       GradientStrategy::OnePass};

} // namespace

TEST_CASE("combinedGradient over a set equals full autograd for every built-in loss, combination and strategy") {
    LigandSet set;
    REQUIRE(set.terms[0].poses->getNumAtoms() != set.terms[2].poses->getNumAtoms());
    for (const char* name : {"mse", "centred-mse", "ranking", "gaussian-nll"})
        for (bool readouts : {false, true})
            for (bool poseTerms : {false, true}) {
                std::unique_ptr<LigandSetLoss> loss = makeLoss(name);
                if (readouts) {
                    loss->setReadout(Readout(Readout::PIC50, 1.0, 2.0));
                    loss->setPoseReadout(Readout(Readout::PKi));
                }
                if (poseTerms)
                    loss->setPoseWeight(0.3);
                set.setTargets(loss->getReadout(), loss->getPoseReadout(), poseTerms);
                for (const char* kind : {"mean", "max", "boltzmann"}) {
                    std::unique_ptr<Combination> combination = Combination::fromName(kind);
                    const Reference reference = fullAutograd(set, kind, torchLoss(name), *loss);
                    for (GradientStrategy strategy : Strategies) {
                        INFO(name << ", " << kind << ", strategy " << (int)strategy << ", readouts " << readouts
                                  << ", pose terms " << poseTerms);
                        set.zeroGradients();
                        CombinedGradientOptions options;
                        options.strategy = strategy;
                        options.batchSize = 3;
                        const SetGradientResult result = combinedGradient(set.terms, *combination, *loss, options);
                        requireMatches(set, result, reference);
                        REQUIRE(result.lossCoefficients.size() == 3);
                        REQUIRE(result.lossCoefficients[2].size() == 6);
                    }
                    // The validation step: the same loss, no gradient.
                    set.zeroGradients();
                    const SetGradientResult evaluated = evaluateLigandSet(set.terms, *combination, *loss);
                    REQUIRE(std::abs(evaluated.loss - reference.loss) <= Tolerance * std::max(1.0, reference.loss));
                    for (auto& p : set.parameters())
                        REQUIRE(p.grad().abs().max().item<double>() == 0.0);
                }
            }
}

TEST_CASE("A TorchScript loss and a C++ callable loss over a set equal full autograd") {
    LigandSet set;
    // Softplus of the pairwise differences of the predictions, a squared error, and a term on
    // the per-pose predictions against their targets (so ∂L/∂G_l,n comes from the loss itself).
    torch::jit::Module module("PairwiseSoftplus");
    module.define(R"(
def forward(self, predictions, pose_predictions: List[Tensor], targets, sigmas, pose_targets: List[Tensor]):
    d = (predictions.unsqueeze(0) - predictions.unsqueeze(1)) / 2.0
    loss = torch.log1p(torch.exp(d)).sum() + ((predictions - targets) ** 2 / sigmas).sum()
    for i in range(len(pose_predictions)):
        if pose_targets[i].numel() > 0:
            loss = loss + 0.05 * ((pose_predictions[i] - pose_targets[i]) ** 2).sum()
    return loss
)");
    TorchScriptSetLoss scripted(module, "the test's loss module");
    REQUIRE(scripted.getNumArguments() == 5);
    scripted.setReadout(Readout(Readout::PKi));
    set.setTargets(scripted.getReadout(), scripted.getPoseReadout(), true);
    TorchLoss reference = [&set](auto& p, auto& q, auto& y, auto& sigma) {
        torch::Tensor d = (p.unsqueeze(0) - p.unsqueeze(1)) / 2.0;
        torch::Tensor loss = torch::log1p(torch::exp(d)).sum() + ((p - y).pow(2) / sigma).sum();
        for (size_t l = 0; l < q.size(); l++)
            if (!set.terms[l].poseTargets.empty())
                loss = loss + 0.05 * (q[l] - torch::tensor(set.terms[l].poseTargets, torch::kFloat64)).pow(2).sum();
        return loss;
    };
    // The same formula by hand, as a C++ callable returning value and derivatives.
    CallableSetLoss callable([](const SetLossInput& in) {
        SetLossValue v;
        const size_t count = in.predictions.size();
        v.byLigand.assign(count, 0.0);
        for (size_t i = 0; i < count; i++) {
            for (size_t j = 0; j < count; j++) {
                const double d = (in.predictions[j] - in.predictions[i]) / 2.0; // d[i][j] = (p_j − p_i)/2
                v.value += std::log1p(std::exp(d));
                const double s = 0.5 / (1.0 + std::exp(-d));
                v.byLigand[j] += s;
                v.byLigand[i] -= s;
            }
            v.value += std::pow(in.predictions[i] - in.targets[i], 2) / in.sigmas[i];
            v.byLigand[i] += 2.0 * (in.predictions[i] - in.targets[i]) / in.sigmas[i];
            std::vector<double> byPose(in.posePredictions[i].size(), 0.0);
            for (size_t n = 0; n < in.poseTargets[i].size(); n++) {
                const double r = in.posePredictions[i][n] - in.poseTargets[i][n];
                v.value += 0.05 * r * r;
                byPose[n] = 0.1 * r;
            }
            v.byPose.push_back(byPose);
        }
        return v;
    });
    callable.setReadout(Readout(Readout::PKi));
    for (const char* kind : {"mean", "max", "boltzmann"}) {
        std::unique_ptr<Combination> combination = Combination::fromName(kind);
        const Reference expected = fullAutograd(set, kind, reference, scripted);
        for (const LigandSetLoss* loss : {(const LigandSetLoss*)&scripted, (const LigandSetLoss*)&callable})
            for (GradientStrategy strategy : {GradientStrategy::StoreAll, GradientStrategy::TwoPass}) {
                INFO(loss->getName() << ", " << kind << ", strategy " << (int)strategy);
                set.zeroGradients();
                CombinedGradientOptions options;
                options.strategy = strategy;
                requireMatches(set, combinedGradient(set.terms, *combination, *loss, options), expected);
            }
        SECTION(std::string("one-pass refuses a loss that depends on the pose energies itself, ") + kind) {
            set.zeroGradients();
            CombinedGradientOptions options;
            options.strategy = GradientStrategy::OnePass;
            REQUIRE_THROWS_WITH(combinedGradient(set.terms, *combination, scripted, options),
                                Contains("one-pass strategy cannot apply"));
            for (auto& p : set.parameters())
                REQUIRE(p.grad().abs().max().item<double>() == 0.0);
        }
    }
}

TEST_CASE("addLigandSetGradient with given derivatives equals combinedGradient's two-pass") {
    LigandSet set;
    MeanSquaredError loss;
    loss.setPoseWeight(0.5);
    set.setTargets(Readout(), Readout(), true);
    BoltzmannCombination combination;
    set.zeroGradients();
    const SetGradientResult expected = combinedGradient(set.terms, combination, loss);
    std::vector<torch::Tensor> once;
    for (auto& p : set.parameters())
        once.push_back(p.grad().clone());
    set.zeroGradients();
    const LigandSetScores scores = scoreLigandSet(set.terms, combination);
    const auto g = addLigandSetGradient(set.terms, scores, expected.lossByDeltaG, expected.lossByPoseEnergy);
    REQUIRE(g == expected.lossCoefficients);
    const auto params = set.parameters();
    for (size_t i = 0; i < params.size(); i++)
        REQUIRE(torch::equal(params[i].grad(), once[i]));
}

TEST_CASE("One ligand with MeanSquaredError reproduces the one-ligand combinedGradient bit for bit") {
    LigandSet set({{9, 5, 7}});
    AffinityScorer& scorer = *set.scorers[0];
    const std::vector<double> energies = scorer.poseEnergies(*set.terms[0].poses);
    for (const char* kind : {"mean", "max", "boltzmann"})
        for (GradientStrategy strategy : Strategies)
            for (bool poseTerms : {false, true})
                for (bool readout : {false, true}) {
                    INFO(kind << ", strategy " << (int)strategy << ", pose terms " << poseTerms << ", readout "
                              << readout);
                    const Readout r = readout ? Readout(Readout::PIC50, 1.0, 2.0) : Readout();
                    AffinityLoss one(readout ? 5.5 : energies[0] - 3.0, r);
                    MeanSquaredError mse;
                    mse.setReadout(r);
                    LigandTerm& term = set.terms[0];
                    term.target = one.getTarget();
                    term.poseTargets.clear();
                    if (poseTerms) {
                        for (size_t n = 0; n < energies.size(); n++)
                            term.poseTargets.push_back(energies[n] + 0.7 * std::sin(1.0 + n));
                        one.setPoseTargets(term.poseTargets, 0.25);
                        mse.setPoseWeight(0.25);
                    }
                    std::unique_ptr<Combination> combination = Combination::fromName(kind);
                    CombinedGradientOptions options;
                    options.strategy = strategy;
                    options.batchSize = 3;
                    const auto params = set.parameters();
                    for (auto& p : params)
                        p.mutable_grad() = torch::Tensor();
                    const CombinedGradientResult single =
                        combinedGradient(scorer, *term.poses, *combination, one, options);
                    std::vector<torch::Tensor> singleGrads;
                    for (auto& p : params)
                        singleGrads.push_back(p.grad().clone());
                    for (auto& p : params)
                        p.mutable_grad() = torch::Tensor();
                    const SetGradientResult multi = combinedGradient(set.terms, *combination, mse, options);
                    REQUIRE(multi.loss == single.loss);
                    REQUIRE(multi.scores.combinations[0].deltaG == single.combination.deltaG);
                    REQUIRE(multi.scores.energies[0] == single.energies);
                    REQUIRE(multi.lossCoefficients[0] == single.lossCoefficients);
                    for (size_t i = 0; i < params.size(); i++)
                        REQUIRE(torch::equal(params[i].grad(), singleGrads[i]));
                }
}

TEST_CASE("Bad input over a set gives a clear OpenMMException and leaves the gradients as they were") {
    LigandSet set;
    set.setTargets(Readout(), Readout(), false);
    const auto params = set.parameters();
    for (auto& p : params)
        p.mutable_grad() = torch::full_like(p, 7.0);
    auto unchanged = [&] {
        for (auto& p : params)
            REQUIRE(torch::equal(p.grad(), torch::full_like(p, 7.0)));
    };
    CombinedGradientOptions options;
    options.strategy = static_cast<GradientStrategy>(GENERATE(0, 1, 2));
    MeanSquaredError mse;
    auto scriptedLoss = [](const std::string& source) {
        torch::jit::Module module("BadLoss");
        module.define(source);
        return TorchScriptSetLoss(module, "the bad loss");
    };
    SECTION("an empty set") {
        REQUIRE_THROWS_WITH(combinedGradient(std::vector<LigandTerm>(), MeanCombination(), mse, options),
                            Contains("the set of ligands is empty"));
    }
    SECTION("an empty ligand") {
        PoseEnsemble empty(set.complexes[1].atomicNumbers, set.complexes[1].ligandMask);
        set.terms[1].poses = &empty;
        REQUIRE_THROWS_WITH(combinedGradient(set.terms, MeanCombination(), mse, options),
                            Contains("ligand 1") && Contains("the pose ensemble is empty"));
    }
    SECTION("poses that do not match their scorer") {
        set.terms[1].poses = set.terms[0].poses;
        REQUIRE_THROWS_WITH(combinedGradient(set.terms, MeanCombination(), mse, options),
                            Contains("ligand 1: the poses have 14 atoms; expected 16"));
    }
    SECTION("scorers that do not share one model") {
        AffinityScorer other(AffinityModel::fromFile(model("mlp_f64.pt")), set.complexes[2].atomicNumbers,
                             set.complexes[2].ligandMask, torch::kCPU, torch::kFloat64);
        set.terms[2].scorer = &other;
        REQUIRE_THROWS_WITH(combinedGradient(set.terms, MeanCombination(), mse, options),
                            Contains("the scorer of ligand 2 does not share the model of ligand 0"));
    }
    SECTION("a NaN target") {
        set.terms[2].target = NAN;
        REQUIRE_THROWS_WITH(combinedGradient(set.terms, MeanCombination(), mse, options),
                            Contains("the target of ligand 2 is nan"));
    }
    SECTION("pose targets of the wrong count") {
        set.terms[0].poseTargets = {1.0, 2.0};
        REQUIRE_THROWS_WITH(combinedGradient(set.terms, MeanCombination(), mse, options),
                            Contains("ligand 0 has 2 pose targets for 4 poses"));
    }
    SECTION("a non-positive sigma for the Gaussian NLL") {
        set.terms[1].sigma = 0.0;
        REQUIRE_THROWS_WITH(combinedGradient(set.terms, MeanCombination(), GaussianNllLoss(), options),
                            Contains("sigma of ligand 1 is 0; expected a number > 0"));
    }
    SECTION("a loss module that returns a non-scalar") {
        TorchScriptSetLoss loss = scriptedLoss("def forward(self, predictions, pose_predictions: List[Tensor], "
                                               "targets):\n    return predictions - targets\n");
        REQUIRE_THROWS_WITH(combinedGradient(set.terms, MeanCombination(), loss, options),
                            Contains("returned a Tensor of shape [3]; expected a scalar"));
    }
    SECTION("a loss module that returns NaN") {
        TorchScriptSetLoss loss = scriptedLoss("def forward(self, predictions, pose_predictions: List[Tensor], "
                                               "targets):\n    return predictions.sum() * float('nan')\n");
        REQUIRE_THROWS_WITH(combinedGradient(set.terms, MeanCombination(), loss, options),
                            Contains("the loss is nan; expected a finite number"));
    }
    SECTION("a callable loss with a NaN derivative") {
        CallableSetLoss loss([](const SetLossInput& in) {
            SetLossValue v;
            v.byLigand.assign(in.predictions.size(), 0.0);
            v.byLigand[1] = NAN;
            return v;
        });
        REQUIRE_THROWS_WITH(combinedGradient(set.terms, MeanCombination(), loss, options),
                            Contains("the derivative by the prediction of ligand 1 is nan"));
    }
    SECTION("a callable loss with derivatives of the wrong size") {
        CallableSetLoss loss([](const SetLossInput&) {
            SetLossValue v;
            v.byLigand = {1.0};
            return v;
        });
        REQUIRE_THROWS_WITH(combinedGradient(set.terms, MeanCombination(), loss, options),
                            Contains("1 derivatives by the ligands' predictions for 3 ligands"));
    }
    unchanged();
}

TEST_CASE("A loss module with the wrong signature is refused when it is made") {
    auto make = [](const std::string& source) {
        torch::jit::Module module("WrongLoss");
        module.define(source);
        return TorchScriptSetLoss(module, "the wrong loss");
    };
    REQUIRE_THROWS_WITH(make("def forward(self, predictions, targets):\n    return predictions.sum()\n"),
                        Contains("the wrong loss's forward takes 2 arguments") && Contains("expected forward("));
    REQUIRE_THROWS_WITH(
        make("def forward(self, predictions, pose_predictions, targets):\n    return predictions.sum()\n"),
        Contains("argument 2 'pose_predictions' is Tensor") && Contains("expected List[Tensor]"));
    REQUIRE_THROWS_WITH(make("def forward(self, predictions, pose_predictions: List[Tensor], targets: int):\n"
                             "    return predictions.sum()\n"),
                        Contains("argument 3 'targets' is int"));
    REQUIRE_THROWS_WITH(make("def forward(self, predictions, pose_predictions: List[Tensor], targets):\n"
                             "    return 1.0\n"),
                        Contains("returns") && Contains("expected a Tensor"));
    REQUIRE_THROWS_WITH(ligandSetLossFromName("hinge"), Contains("unknown loss 'hinge'"));
}
