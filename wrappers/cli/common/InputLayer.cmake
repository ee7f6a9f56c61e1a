# SPDX-License-Identifier: MIT
# The docking-input layer: the receptor and pose readers (records split and checked here, then
# parsed one at a time by Open Babel) and pocket selection. It needs Open Babel and zlib, not
# LibTorch or OpenMM, so the tests also build it on its own under the sanitizers
# (tests/cli/inputs/sanitized).
set(AFFINITY_INPUT_LAYER_SOURCES
    AtomConvention.cpp
    ElementSymbol.cpp
    LigandPoses.cpp
    Mol2RecordDamage.cpp
    MoleculeFileFormat.cpp
    PdbRecordDamage.cpp
    PocketSelector.cpp
    PoseReader.cpp
    Receptor.cpp
    RecordReader.cpp
    RecordTag.cpp
    SdfRecordDamage.cpp
    TextLineReader.cpp
    TextRecord.cpp)
list(TRANSFORM AFFINITY_INPUT_LAYER_SOURCES PREPEND "${CMAKE_CURRENT_LIST_DIR}/")
# AffinityUnits.h (Å to nm) is the one plugin header the readers use; it is header-only.
set(AFFINITY_INPUT_LAYER_INCLUDES "${CMAKE_CURRENT_LIST_DIR}" "${CMAKE_CURRENT_LIST_DIR}/../../../plugin/include")
