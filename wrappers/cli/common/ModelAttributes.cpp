// SPDX-License-Identifier: MIT
#include "ModelAttributes.h"
#include "openmm/OpenMMException.h"
#include <algorithm>
#include <fstream>

using OpenMM::OpenMMException;

namespace AffinityCli {

AffinityPlugin::AffinityModel loadModelFile(const std::string& file) {
    if (!std::ifstream(file))
        throw OpenMMException("the model file " + file +
                              " cannot be opened; expected a TorchScript file (torch.jit.save)");
    return AffinityPlugin::AffinityModel::fromFile(file);
}

std::vector<int> intListAttribute(torch::jit::Module& module, const std::string& name, const std::string& file) {
    std::vector<int> values;
    if (!module.hasattr(name))
        return values;
    const c10::IValue value = module.attr(name);
    if (!value.isIntList())
        throw OpenMMException("the model " + file + " has " + name + " of type " + value.type()->str() +
                              "; expected a list of atomic numbers (List[int])");
    for (int64_t z : value.toIntList())
        values.push_back((int)z);
    std::sort(values.begin(), values.end());
    return values;
}

std::string declaredAtomConvention(torch::jit::Module& module, const std::string& file) {
    if (!module.hasattr("atom_convention"))
        return "";
    const c10::IValue value = module.attr("atom_convention");
    if (!value.isString())
        throw OpenMMException("the model " + file + " has atom_convention of type " + value.type()->str() +
                              "; expected a string (heavy-atoms or as-read)");
    return value.toStringRef();
}

std::vector<int> declaredTrainingElements(torch::jit::Module& module, const std::string& file) {
    return intListAttribute(module, "training_elements", file);
}

double declaredPocketCutoff(torch::jit::Module& module, const std::string& file) {
    if (!module.hasattr("pocket_cutoff_nm"))
        return 0.0;
    const c10::IValue value = module.attr("pocket_cutoff_nm");
    if (!value.isDouble() || !(value.toDouble() > 0.0))
        throw OpenMMException("the model " + file + " has pocket_cutoff_nm " + value.type()->str() +
                              "; expected a positive float (nm)");
    return value.toDouble();
}

void declarePocketCutoff(torch::jit::Module& module, double cutoff) {
    if (module.hasattr("pocket_cutoff_nm"))
        module.setattr("pocket_cutoff_nm", cutoff);
    else
        module.register_attribute("pocket_cutoff_nm", c10::FloatType::get(), cutoff);
}

void declareAtomConvention(torch::jit::Module& module, const std::string& convention) {
    if (module.hasattr("atom_convention"))
        module.setattr("atom_convention", convention);
    else
        module.register_attribute("atom_convention", c10::StringType::get(), convention);
}

void declareTrainingElements(torch::jit::Module& module, const std::vector<int>& elements) {
    c10::List<int64_t> list;
    for (int z : elements)
        list.push_back(z);
    if (module.hasattr("training_elements"))
        module.setattr("training_elements", list);
    else
        module.register_attribute("training_elements", c10::ListType::ofInts(), list);
}

} // namespace AffinityCli
