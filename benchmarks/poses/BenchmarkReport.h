// SPDX-License-Identifier: MIT
#ifndef AFFINITY_BENCHMARK_REPORT_H_
#define AFFINITY_BENCHMARK_REPORT_H_

#include <string>
#include <vector>

/**
 * The tables a benchmark prints, and the record it appends to benchmarks/RESULTS.md: the
 * machine, the versions, the command line and the figures.
 */
class BenchmarkReport {
public:
    BenchmarkReport(const std::string& title, int argc, char* argv[]);
    /** Start a table with these column names. */
    void table(const std::string& caption, const std::vector<std::string>& columns);
    /** Add a row to the current table (and print it). */
    void row(const std::vector<std::string>& cells);
    /** Append everything to the results file. */
    void record(const std::string& file) const;
    /** A number with a fixed count of decimals. */
    static std::string number(double value, int decimals);

private:
    std::string text;
};

/** Peak resident memory of this process since the last resetPeakRss(), in bytes. */
long long peakRss();
/** Resident memory of this process now, in bytes. */
long long currentRss();
/** Reset the peak resident memory to the current one (Linux /proc/self/clear_refs). */
void resetPeakRss();

#endif
