// SPDX-License-Identifier: MIT
#ifndef AFFINITY_CLI_RECORD_TAG_H_
#define AFFINITY_CLI_RECORD_TAG_H_

#include "TextRecord.h"
#include <string>

namespace AffinityCli {

/** Whether a record was searched for a tag, and what was found. */
enum class TagSearch {
    Found,
    Missing,
    /** The layout has no data items (MOL2), so no record can carry the tag. */
    NoTagsInLayout
};

/**
 * Find a named data item in a record's text, as --ligand-tag names it (matched exactly, case
 * included):
 *  - SDF: a data item after "M  END", its header line "> <NAME>" (">  <NAME> (1)" too); the
 *    value is its first line, trimmed;
 *  - PDBQT and PDB: a line "REMARK NAME = value" or "USER NAME = value" (the form of Open
 *    Babel's "REMARK  Name = ..."; the words before "=" compared with single spaces between
 *    them); the value is the rest of the line, trimmed. The last such line counts;
 *  - MOL2 records carry no data items: NoTagsInLayout.
 * A record cut short may have lost the item; the caller decides what that means.
 */
TagSearch findRecordTag(const std::string& recordText, RecordLayout layout, const std::string& tag, std::string& value);

} // namespace AffinityCli

#endif
