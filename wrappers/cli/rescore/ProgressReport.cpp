// SPDX-License-Identifier: MIT
#include "ProgressReport.h"
#include <algorithm>
#include <cstdio>
#include <unistd.h>

using namespace AffinityRescore;

ProgressReport::ProgressReport(uint64_t totalBytes, bool enabled)
    : totalBytes(totalBytes), enabled(enabled), terminal(isatty(STDERR_FILENO)),
      start(std::chrono::steady_clock::now()), lastDrawn(start) {}

void ProgressReport::update(uint64_t bytesDone, long long ligands, long long poses, long long skipped) {
    if (!enabled)
        return;
    const auto now = std::chrono::steady_clock::now();
    const double sinceDrawn = std::chrono::duration<double>(now - lastDrawn).count();
    if (sinceDrawn < (terminal ? 0.2 : 5.0))
        return;
    lastDrawn = now;
    draw(totalBytes ? std::min(1.0, (double)bytesDone / totalBytes) : 0.0, ligands, poses, skipped);
}

void ProgressReport::draw(double fraction, long long ligands, long long poses, long long skipped) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double rate = seconds > 0 ? poses / seconds : 0.0;
    if (terminal) {
        const int width = 30, filled = (int)(fraction * width + 0.5);
        std::fprintf(stderr, "\r[%s%s] %3.0f%%  %lld ligands, %lld poses, %lld skipped, %.0f poses/s ",
                     std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(), 100.0 * fraction,
                     ligands, poses, skipped, rate);
        barShown = true;
    } else {
        std::fprintf(stderr,
                     "affinity-rescore: %3.0f%% of the input read, %lld ligands (%lld poses) scored, %lld skipped, "
                     "%.0f poses/s\n",
                     100.0 * fraction, ligands, poses, skipped, rate);
    }
    std::fflush(stderr);
}

void ProgressReport::finish(long long ligands, long long poses, long long skipped) {
    if (!enabled)
        return;
    draw(1.0, ligands, poses, skipped);
    if (terminal)
        std::fprintf(stderr, "\n");
    barShown = false;
}

void ProgressReport::message(const std::string& text) {
    if (barShown) {
        std::fprintf(stderr, "\n");
        barShown = false;
    }
    std::fprintf(stderr, "%s\n", text.c_str());
    std::fflush(stderr);
}
