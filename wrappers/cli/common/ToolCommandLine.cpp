// SPDX-License-Identifier: MIT
#include "ToolCommandLine.h"
#include "AffinityVersion.h"
#include <algorithm>
#include <boost/program_options/parsers.hpp>
#include <cctype>
#include <iostream>
#include <sstream>

using namespace AffinityCli;
namespace po = boost::program_options;

namespace {

const size_t HelpWidth = 100, OptionColumn = 32;

/** The value name of an option ("FILE"), without Boost's " (=default)"; "" for a switch. */
std::string valueName(const po::option_description& option) {
    const std::string parameter = option.format_parameter();
    return parameter.substr(0, parameter.find(" (="));
}

/** The default of an option as --help shows it, "" for none. */
std::string defaultText(const po::option_description& option) {
    const std::string parameter = option.format_parameter();
    const size_t start = parameter.find(" (=");
    return start == std::string::npos ? "" : parameter.substr(start + 3, parameter.size() - start - 4);
}

/** Append text to out, broken into lines of HelpWidth at spaces, each after indent spaces. */
void appendWrapped(std::string& out, const std::string& text, size_t column, size_t indent) {
    std::istringstream words(text);
    std::string word;
    bool lineStart = column <= indent;
    while (words >> word) {
        if (!lineStart && column + 1 + word.size() > HelpWidth) {
            out += "\n" + std::string(indent, ' ');
            column = indent;
            lineStart = true;
        }
        if (!lineStart) {
            out += ' ';
            column++;
        }
        out += word;
        column += word.size();
        lineStart = false;
    }
    out += "\n";
}

} // namespace

const char* AffinityCli::exitStatusHelp() {
    return "Exit status (the same for affinity-rescore and affinity-train):\n"
           "  0  success: everything asked for was done\n"
           "  1  the run stopped: an unusable input, model, receptor or output, or an error while running\n"
           "  2  the command line is wrong (unknown option, bad value, missing required option)\n"
           "  3  the run finished, but at least one ligand or file was skipped (each reported on stderr)\n";
}

std::string AffinityCli::shortNumber(double value) {
    std::ostringstream text;
    text << value;
    return text.str();
}

std::string AffinityCli::lowerCase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return (char)std::tolower(c); });
    return text;
}

ToolCommandLine::ToolCommandLine(std::string program, std::string description)
    : program(std::move(program)), description(std::move(description)) {
    po::options_description general;
    // clang-format off
    general.add_options()
        ("help,h", "print this help and exit")
        ("version", "print the version and exit");
    // clang-format on
    addGroup("General", general);
}

void ToolCommandLine::addUsage(const std::vector<std::string>& names) {
    usages.push_back(names);
}

void ToolCommandLine::addGroup(const std::string& caption, const po::options_description& group) {
    for (const auto& option : group.options())
        if (valueName(*option) == "arg")
            throw std::logic_error(program + ": option --" + option->long_name() + " has no value name");
    groups.emplace_back(caption, group);
    all.add(group);
}

std::string ToolCommandLine::usageLine(const std::vector<std::string>& names) const {
    std::string line = program;
    for (const std::string& entry : names) {
        const bool optional = entry.size() > 2 && entry.front() == '[' && entry.back() == ']';
        const std::string name = optional ? entry.substr(1, entry.size() - 2) : entry;
        const po::option_description* option = all.find_nothrow(name, false);
        std::string text = name;
        if (option) {
            text = "--" + name;
            const std::string value = valueName(*option);
            if (!value.empty())
                text += " " + value;
        }
        line += " " + (optional ? "[" + text + "]" : text);
    }
    return line;
}

std::string ToolCommandLine::helpText() const {
    std::string text;
    for (size_t i = 0; i < usages.size(); i++)
        text += (i == 0 ? "usage: " : "       ") + usageLine(usages[i]) + "\n";
    text += "\n" + description;
    if (!description.empty() && description.back() != '\n')
        text += "\n";
    for (const auto& [caption, group] : groups) {
        text += "\n" + caption + ":\n";
        for (const auto& option : group.options()) {
            const std::string shortName = option->canonical_display_name(po::command_line_style::allow_dash_for_short);
            std::string left = "  ";
            left += shortName.size() == 2 && shortName[0] == '-' && shortName[1] != '-' ? shortName + ", " : "    ";
            left += "--" + option->long_name();
            const std::string value = valueName(*option);
            if (!value.empty())
                left += " " + value;
            std::string about = option->description();
            const std::string defaultValue = defaultText(*option);
            if (!defaultValue.empty())
                about += " (default: " + defaultValue + ")";
            text += left;
            if (left.size() + 2 > OptionColumn) {
                text += "\n" + std::string(OptionColumn, ' ');
            } else {
                text += std::string(OptionColumn - left.size(), ' ');
            }
            appendWrapped(text, about, OptionColumn, OptionColumn);
        }
    }
    return text + "\n" + exitStatusHelp();
}

std::string ToolCommandLine::usageHint() const {
    return "Try '" + program + " --help'.";
}

void ToolCommandLine::printUsageError(const std::string& message) const {
    std::cerr << program << ": " << message << "\n";
    for (size_t i = 0; i < usages.size(); i++)
        std::cerr << (i == 0 ? "usage: " : "       ") << usageLine(usages[i]) << "\n";
    std::cerr << usageHint() << std::endl;
}

bool ToolCommandLine::parse(int argc, const char* const argv[], po::variables_map& values) {
    try {
        po::store(po::parse_command_line(argc, argv, all), values);
        if (values.count("help")) {
            std::cout << helpText() << std::flush;
            return false;
        }
        if (values.count("version")) {
            std::cout << program << " " << AffinityPlugin::versionString() << std::endl;
            return false;
        }
        po::notify(values);
    } catch (const po::error& e) {
        throw CommandLineError(e.what());
    }
    return true;
}

po::typed_value<std::string>* AffinityCli::choiceValue(std::string* target, const std::string& option,
                                                       const Choices& choices, const Choices& aliases) {
    return po::value(target)->value_name("NAME")->notifier([=](const std::string& given) {
        const std::string name = lowerCase(given);
        for (const Choices* list : {&choices, &aliases})
            for (const std::string& choice : *list)
                if (name == choice) {
                    *target = choice;
                    return;
                }
        std::string expected;
        for (size_t i = 0; i < choices.size(); i++)
            expected += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + choices[i];
        throw CommandLineError("--" + option + " is '" + given + "'; expected " + expected);
    });
}

po::typed_value<double>* AffinityCli::numberValue(double* target, const std::string& valueName) {
    return po::value(target)->default_value(*target, shortNumber(*target))->value_name(valueName);
}
