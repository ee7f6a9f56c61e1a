// SPDX-License-Identifier: MIT
#include "TrainingLog.h"
#include "CsvTable.h"
#include "Trainer.h"
#include "openmm/OpenMMException.h"
#include <filesystem>
#include <iomanip>
#include <limits>

namespace AffinityTrain {

TrainingLog::TrainingLog(const std::string& path, bool append) : path(path) {
    if (path.empty())
        return;
    bool hasRows = append && std::filesystem::exists(path) && std::filesystem::file_size(path) > 0;
    out.open(path, hasRows ? std::ios::app : std::ios::trunc);
    if (!out)
        throw OpenMM::OpenMMException("affinity-train: cannot write the log " + path);
    out << std::setprecision(std::numeric_limits<double>::max_digits10);
    if (!hasRows)
        out << "epoch,train_loss,train_rmse,validation_loss,validation_rmse,learning_rate,seconds\n" << std::flush;
}

void TrainingLog::write(const EpochRecord& r) {
    if (!out.is_open())
        return;
    out << r.epoch << ',' << r.trainingLoss << ',' << r.trainingRmse << ',' << r.validationLoss << ','
        << r.validationRmse << ',' << r.learningRate << ',' << r.seconds << '\n'
        << std::flush;
    if (!out)
        throw OpenMM::OpenMMException("affinity-train: cannot write the log " + path + " (epoch " +
                                      std::to_string(r.epoch) + "): the disk may be full");
}

void writePredictions(std::ostream& out, const std::vector<LigandPrediction>& predictions) {
    out << std::setprecision(std::numeric_limits<double>::max_digits10);
    out << "ligand,split,target,predicted,delta_g_kj_per_mol,loss\n";
    for (const LigandPrediction& p : predictions)
        out << AffinityCli::CsvTable::quoted(p.ligand) << ',' << (p.validation ? "validation" : "train") << ','
            << p.target << ',' << p.predicted << ',' << p.deltaG << ',' << p.loss << '\n';
}

} // namespace AffinityTrain
