// SPDX-License-Identifier: MIT
#ifndef AFFINITY_CLI_MOLECULE_FILE_FORMAT_H_
#define AFFINITY_CLI_MOLECULE_FILE_FORMAT_H_

// Open Babel's side of reading a file: which format a file name asks for, and the messages
// Open Babel logs while reading. Include only from the translation units that read files.

#include <openbabel/obconversion.h>
#include <sstream>
#include <string>

namespace AffinityCli {

/** The Open Babel input format of a file, chosen from its name. */
struct MoleculeFileFormat {
    OpenBabel::OBFormat* format = nullptr;
    /** Whether the name ends in .gz (the file is then read through zlib). */
    bool gzipped = false;
    /** The extension that chose the format, without ".gz" ("pdbqt"). */
    std::string extension;

    /**
     * Choose the format from a file name: the extension before an optional ".gz"; ".cif" is
     * read as mmCIF, as receptors are. format is null when Open Babel has none for it.
     */
    static MoleculeFileFormat forFile(const std::string& path);
    /**
     * As forFile, but with the format named (--format: "sdf", "pdbqt") rather than taken from
     * the name, when formatName is not ""; gzipped still says whether the name ends in .gz.
     */
    static MoleculeFileFormat forFile(const std::string& path, const std::string& formatName);
};

/**
 * Collects what Open Babel logs (errors and warnings: it reports a malformed record as a
 * warning) instead of letting it reach stderr, so that a failed read is reported once, in the
 * tool's own message, with Open Babel's reason. What a successful read logged is dropped.
 */
class OpenBabelMessages {
public:
    OpenBabelMessages();
    ~OpenBabelMessages();
    /** What was logged since the last call, on one line, or "" when nothing was. */
    std::string take();

private:
    std::stringstream captured;
};

/**
 * The name of a file without its folder and its extensions ("docked/lig.pdbqt.gz" → "lig");
 * "stdin" for "-", standard input.
 */
std::string fileStem(const std::string& path);

/** A file's name in messages and outputs: the path as given, "stdin" for "-". */
std::string inputName(const std::string& path);

} // namespace AffinityCli

#endif
