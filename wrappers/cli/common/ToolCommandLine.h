// SPDX-License-Identifier: MIT
#ifndef AFFINITY_CLI_TOOL_COMMAND_LINE_H_
#define AFFINITY_CLI_TOOL_COMMAND_LINE_H_

#include "ExitStatus.h"
#include <boost/program_options/options_description.hpp>
#include <boost/program_options/value_semantic.hpp>
#include <boost/program_options/variables_map.hpp>
#include <string>
#include <utility>
#include <vector>

namespace AffinityCli {

/**
 * The command line of one tool: its option groups, the parser over them and the --help text
 * generated from the very same groups, so that every option the parser accepts is listed,
 * with its value name (--model FILE) and its default as a person writes it (298.15). Every
 * tool gets --help, -h and --version ("affinity-rescore 0.x.y") from here, and one set of
 * exit statuses (ExitStatus.h).
 */
class ToolCommandLine {
public:
    /**
     * @param program      the tool's name, as in messages ("affinity-rescore")
     * @param description  the text of --help before the options
     */
    ToolCommandLine(std::string program, std::string description);
    /** Add a usage line: option names, "[name]" for an optional one, "..." for free text. */
    void addUsage(const std::vector<std::string>& names);
    /** Add a group of options, listed under a caption ("Scoring"). */
    void addGroup(const std::string& caption, const boost::program_options::options_description& group);
    /**
     * Parse argv. Prints --help or --version and returns false (the tool exits Success);
     * returns true with values stored and notified for a run.
     *
     * @throws CommandLineError for an unknown option, a bad or missing value
     */
    bool parse(int argc, const char* const argv[], boost::program_options::variables_map& values);
    /** The --help text: usage lines, description, options and exit statuses. */
    std::string helpText() const;
    /** The one-line pointer to --help printed after a usage error. */
    std::string usageHint() const;
    /** Print "PROGRAM: message", the usage lines and the pointer to --help on stderr. */
    void printUsageError(const std::string& message) const;
    const boost::program_options::options_description& options() const {
        return all;
    }

private:
    std::string usageLine(const std::vector<std::string>& names) const;
    std::string program, description;
    std::vector<std::vector<std::string>> usages;
    boost::program_options::options_description all;
    std::vector<std::pair<std::string, boost::program_options::options_description>> groups;
};

/** The (case-insensitive) choices of an option; the first is its default unless told otherwise. */
using Choices = std::vector<std::string>;

/**
 * A string option that takes one of a few names in any case (-c Boltzmann) and stores the
 * name as listed; anything else is a usage error naming the option and the choices. Aliases
 * ("dg" for "none") are accepted as themselves when listed in aliases.
 */
boost::program_options::typed_value<std::string>*
choiceValue(std::string* target, const std::string& option, const Choices& choices, const Choices& aliases = Choices());

/** A numeric option whose default --help prints as written (298.15, not 298.14999999999998). */
boost::program_options::typed_value<double>* numberValue(double* target, const std::string& valueName);

/** A number as a person writes it (298.15, not 298.14999999999998), for --help. */
std::string shortNumber(double value);

/** The name in lower case (choices and their aliases compare in lower case). */
std::string lowerCase(std::string text);

} // namespace AffinityCli

#endif
