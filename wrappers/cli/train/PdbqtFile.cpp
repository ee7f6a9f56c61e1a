#include "PdbqtFile.h"
#include "AffinityUnits.h"
#include "openmm/OpenMMException.h"
#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

using OpenMM::OpenMMException;

namespace AffinityTrain {

namespace {

const char* const ElementSymbols[] = {
    "H",  "He", "Li", "Be", "B",  "C",  "N",  "O",  "F",  "Ne", "Na", "Mg", "Al", "Si", "P",  "S",  "Cl",
    "Ar", "K",  "Ca", "Sc", "Ti", "V",  "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Ga", "Ge", "As", "Se",
    "Br", "Kr", "Rb", "Sr", "Y",  "Zr", "Nb", "Mo", "Tc", "Ru", "Rh", "Pd", "Ag", "Cd", "In", "Sn", "Sb",
    "Te", "I",  "Xe", "Cs", "Ba", "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er",
    "Tm", "Yb", "Lu", "Hf", "Ta", "W",  "Re", "Os", "Ir", "Pt", "Au", "Hg", "Tl", "Pb", "Bi", "Po", "At", "Rn"};

int atomicNumberOfSymbol(const std::string& symbol) {
    for (int i = 0; i < (int) (sizeof(ElementSymbols) / sizeof(ElementSymbols[0])); i++) {
        std::string s = ElementSymbols[i];
        if (s.size() == symbol.size() && std::equal(s.begin(), s.end(), symbol.begin(), [](char a, char b) {
                return std::tolower((unsigned char) a) == std::tolower((unsigned char) b);
            }))
            return i + 1;
    }
    return 0;
}

double parseCoordinate(const std::string& line, size_t start, const std::string& where) {
    std::string field = line.size() > start ? line.substr(start, 8) : "";
    try {
        size_t used = 0;
        double value = std::stod(field, &used);
        if (std::isfinite(value))
            return value;
    } catch (const std::exception&) {
    }
    throw OpenMMException(where + ": the coordinate in columns " + std::to_string(start + 1) + "-" +
                          std::to_string(start + 8) + " is '" + field + "'; expected a finite number (Å)");
}

} // namespace

int atomicNumberOfAutoDockType(const std::string& type) {
    // AutoDock types that are not element symbols: aromatic carbon, acceptor/donor variants.
    static const std::map<std::string, int> special = {{"A", 6},  {"NA", 7}, {"NS", 7}, {"OA", 8}, {"OS", 8},
                                                       {"SA", 16}, {"HD", 1}, {"HS", 1}, {"CL", 17}, {"BR", 35},
                                                       {"G0", 6}, {"G1", 6}, {"G2", 6}, {"G3", 6}, {"CG0", 6},
                                                       {"CG1", 6}, {"CG2", 6}, {"CG3", 6}};
    std::string upper = type;
    std::transform(upper.begin(), upper.end(), upper.begin(), [](char c) { return (char) std::toupper(c); });
    auto found = special.find(upper);
    if (found != special.end())
        return found->second;
    return atomicNumberOfSymbol(type);
}

std::vector<PdbqtModel> readPdbqt(const std::string& path) {
    std::ifstream in(path);
    if (!in)
        throw OpenMMException("affinity-train: cannot open the PDBQT file " + path);
    std::vector<PdbqtModel> models;
    PdbqtModel current;
    std::string line;
    int lineNumber = 0;
    auto finish = [&]() {
        if (!current.atomicNumbers.empty())
            models.push_back(current);
        current = PdbqtModel();
    };
    while (std::getline(in, line)) {
        lineNumber++;
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        std::string where = path + " line " + std::to_string(lineNumber);
        if (line.rfind("MODEL", 0) == 0) {
            finish();
        } else if (line.rfind("ENDMDL", 0) == 0) {
            finish();
        } else if (line.rfind("REMARK VINA RESULT:", 0) == 0) {
            std::istringstream fields(line.substr(19));
            double score;
            if (!(fields >> score))
                throw OpenMMException(where + ": the VINA RESULT remark holds no score: '" + line + "'");
            current.vinaScore = score;
        } else if (line.rfind("ATOM", 0) == 0 || line.rfind("HETATM", 0) == 0) {
            std::istringstream fields(line.size() > 66 ? line.substr(66) : "");
            std::string type, token;
            while (fields >> token)
                type = token;
            int z = atomicNumberOfAutoDockType(type);
            if (z == 0)
                throw OpenMMException(where + ": the atom type is '" + type +
                                      "'; expected an AutoDock type or element symbol at the end of the line");
            current.atomicNumbers.push_back(z);
            for (size_t column : {30, 38, 46})
                current.positions.push_back(parseCoordinate(line, column, where) * AffinityPlugin::NmPerAngstrom);
        }
    }
    finish();
    if (models.empty())
        throw OpenMMException("affinity-train: the PDBQT file " + path + " holds no ATOM or HETATM records");
    return models;
}

} // namespace AffinityTrain
