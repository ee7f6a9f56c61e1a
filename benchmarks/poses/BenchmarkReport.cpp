// SPDX-License-Identifier: MIT
#include "BenchmarkReport.h"
#include "openmm/Platform.h"
#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <torch/version.h>

namespace {

std::string commandOutput(const char* command) {
    std::array<char, 256> buffer;
    std::string result;
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command, "r"), pclose);
    if (!pipe)
        return "";
    while (fgets(buffer.data(), buffer.size(), pipe.get()))
        result += buffer.data();
    while (!result.empty() && (result.back() == '\n' || result.back() == ' '))
        result.pop_back();
    return result;
}

} // namespace

BenchmarkReport::BenchmarkReport(const std::string& title, int argc, char* argv[]) {
    std::stringstream s;
    const std::time_t now = std::time(nullptr);
    char date[32];
    std::strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
    std::string command;
    for (int i = 0; i < argc; i++)
        command += (i ? " " : "") + std::string(argv[i]);
    const std::string gpu =
        commandOutput("nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null");
    s << "\n## " << title << " (" << date << ")\n\n"
      << "- machine: " << commandOutput("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2") << ", "
      << commandOutput("nproc") << " cores" << (gpu.empty() ? "" : "; GPU " + gpu) << "\n"
      << "- versions: OpenMM " << OpenMM::Platform::getOpenMMVersion() << ", LibTorch " << TORCH_VERSION << "\n"
      << "- command: `" << command << "`\n";
    text = s.str();
    std::cout << text;
}

void BenchmarkReport::table(const std::string& caption, const std::vector<std::string>& columns) {
    std::stringstream s;
    s << "\n" << caption << "\n\n|";
    for (const auto& c : columns)
        s << " " << c << " |";
    s << "\n|";
    for (size_t i = 0; i < columns.size(); i++)
        s << " --- |";
    s << "\n";
    text += s.str();
    std::cout << s.str() << std::flush;
}

void BenchmarkReport::row(const std::vector<std::string>& cells) {
    std::string line = "|";
    for (const auto& c : cells)
        line += " " + c + " |";
    line += "\n";
    text += line;
    std::cout << line << std::flush;
}

void BenchmarkReport::record(const std::string& file) const {
    std::ofstream out(file, std::ios::app);
    out << text;
    std::cout << "\nrecorded in " << file << std::endl;
}

std::string BenchmarkReport::number(double value, int decimals) {
    char buffer[64];
    std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, value);
    return buffer;
}

namespace {

long long statusField(const std::string& field) {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind(field, 0) == 0)
            return std::stoll(line.substr(field.size())) * 1024;
    return -1;
}

} // namespace

long long peakRss() {
    return statusField("VmHWM:");
}

long long currentRss() {
    return statusField("VmRSS:");
}

void resetPeakRss() {
    std::ofstream("/proc/self/clear_refs") << "5";
}
