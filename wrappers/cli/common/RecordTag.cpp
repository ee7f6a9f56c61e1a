// SPDX-License-Identifier: MIT
#include "RecordTag.h"
#include "RecordDamage.h"
#include <sstream>

using namespace AffinityCli;

namespace {

/** The words of text with single spaces between them ("  a   b " → "a b"). */
std::string collapsedWords(const std::string& text) {
    std::istringstream words(text);
    std::string word, result;
    while (words >> word)
        result += (result.empty() ? "" : " ") + word;
    return result;
}

TagSearch sdfTag(const std::string& text, const std::string& tag, std::string& value) {
    std::istringstream lines(text);
    std::string line;
    bool inData = false;
    while (std::getline(lines, line)) {
        if (!inData) {
            inData = startsWith(line, "M  END");
            continue;
        }
        if (!startsWith(line, ">"))
            continue;
        const size_t open = line.find('<'), close = open == std::string::npos ? open : line.find('>', open + 1);
        if (close == std::string::npos || line.substr(open + 1, close - open - 1) != tag)
            continue;
        std::string valueLine;
        value = std::getline(lines, valueLine) ? trimmed(valueLine) : "";
        return TagSearch::Found;
    }
    return TagSearch::Missing;
}

TagSearch remarkTag(const std::string& text, const std::string& tag, std::string& value) {
    std::istringstream lines(text);
    std::string line;
    TagSearch search = TagSearch::Missing;
    const std::string wanted = collapsedWords(tag);
    while (std::getline(lines, line)) {
        size_t start = 0;
        if (startsWith(line, "REMARK"))
            start = 6;
        else if (startsWith(line, "USER"))
            start = 4;
        else
            continue;
        const size_t equals = line.find('=', start);
        if (equals == std::string::npos || collapsedWords(line.substr(start, equals - start)) != wanted)
            continue;
        value = trimmed(line.substr(equals + 1));
        search = TagSearch::Found;
    }
    return search;
}

} // namespace

TagSearch AffinityCli::findRecordTag(const std::string& recordText, RecordLayout layout, const std::string& tag,
                                     std::string& value) {
    value.clear();
    switch (layout) {
    case RecordLayout::Sdf:
    case RecordLayout::Mol:
        return sdfTag(recordText, tag, value);
    case RecordLayout::Pdb:
    case RecordLayout::Pdbqt:
        return remarkTag(recordText, tag, value);
    default:
        return TagSearch::NoTagsInLayout;
    }
}
