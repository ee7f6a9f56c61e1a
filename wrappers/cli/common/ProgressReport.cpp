// SPDX-License-Identifier: MIT
#include "ProgressReport.h"
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <unistd.h>

using namespace AffinityCli;

bool ProgressReport::shownOnStderr(bool quiet) {
    return !quiet && isatty(STDERR_FILENO);
}

ProgressReport::ProgressReport(double total, std::string itemUnit, bool shown)
    : total(total), itemUnit(std::move(itemUnit)), shown(shown), start(std::chrono::steady_clock::now()),
      lastDrawn(start) {}

std::string ProgressReport::duration(double seconds) {
    char text[32];
    const long long s = std::llround(std::max(0.0, seconds));
    if (s < 60)
        std::snprintf(text, sizeof(text), "%lld s", s);
    else if (s < 3600)
        std::snprintf(text, sizeof(text), "%lld min %02lld s", s / 60, s % 60);
    else
        std::snprintf(text, sizeof(text), "%lld h %02lld min", s / 3600, s / 60 % 60);
    return text;
}

void ProgressReport::update(double done, long long items, const std::string& details) {
    if (!shown)
        return;
    const auto now = std::chrono::steady_clock::now();
    if (std::chrono::duration<double>(now - lastDrawn).count() < 0.2)
        return;
    lastDrawn = now;
    draw(total > 0 ? std::min(1.0, done / total) : 0.0, items, details);
}

void ProgressReport::draw(double fraction, long long items, const std::string& details) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double rate = seconds > 0 ? (double)items / seconds : 0.0;
    // The time left assumes the rest goes at the rate so far.
    const std::string left =
        fraction > 0 && fraction < 1 ? duration(seconds * (1 - fraction) / fraction) + " left" : "";
    const int width = 30, filled = (int)(fraction * width + 0.5);
    char line[512];
    std::snprintf(line, sizeof(line), "[%s%s] %3.0f%%  %s, %.1f %s/s, %s elapsed%s%s", std::string(filled, '#').c_str(),
                  std::string(width - filled, '.').c_str(), 100.0 * fraction, details.c_str(), rate, itemUnit.c_str(),
                  duration(seconds).c_str(), left.empty() ? "" : ", ", left.c_str());
    const std::string text = line;
    // Pad over the end of a longer earlier line.
    std::fprintf(stderr, "\r%s%s", text.c_str(),
                 std::string(lastWidth > text.size() ? lastWidth - text.size() : 0, ' ').c_str());
    lastWidth = text.size();
    barShown = true;
    std::fflush(stderr);
}

void ProgressReport::finish(long long items, const std::string& details) {
    if (!shown)
        return;
    draw(1.0, items, details);
    std::fprintf(stderr, "\n");
    barShown = false;
    lastWidth = 0;
}

void ProgressReport::clear() {
    if (!barShown)
        return;
    std::fprintf(stderr, "\r%s\r", std::string(lastWidth, ' ').c_str());
    std::fflush(stderr);
    barShown = false;
    lastWidth = 0;
}

void ProgressReport::message(const std::string& text) {
    if (barShown) {
        std::fprintf(stderr, "\n");
        barShown = false;
        lastWidth = 0;
    }
    std::fprintf(stderr, "%s\n", text.c_str());
    std::fflush(stderr);
}
