# SPDX-License-Identifier: MIT
# Fails if one of LIBRARIES ('|'-separated) exports a definition of the C++ or C allocator
# (operator new/delete, malloc, free). OpenMM loads plugins with RTLD_GLOBAL, so such a
# definition, taken from a static archive at link time, would be bound by every library loaded
# after it: `import openmm` then `import torch` aborted so on a machine where the operator
# library exported operator new and delete (apparently from a static libstdc++). Run as: cmake -DNM=nm -DLIBRARIES="a.so|b.so" -P CheckExportedSymbols.cmake
string(REPLACE "|" ";" libraries "${LIBRARIES}")
set(failures "")
foreach(library IN LISTS libraries)
    execute_process(COMMAND ${NM} -D --defined-only ${library} OUTPUT_VARIABLE symbols RESULT_VARIABLE status)
    if(NOT status EQUAL 0)
        message(FATAL_ERROR "cannot list the symbols of ${library} with ${NM}")
    endif()
    string(REGEX MATCHALL "[ \t](_Znw[ma][^\n]*|_Zna[ma][^\n]*|_Zdl[^\n]*|_Zda[^\n]*|(malloc|calloc|realloc|free)(@[^\n]*)?)\n" found "${symbols}")
    list(LENGTH found count)
    message(STATUS "${library}: ${count} allocator symbols exported")
    if(count GREATER 0)
        string(APPEND failures "${library} exports ${found}\n")
    endif()
endforeach()
if(failures)
    message(FATAL_ERROR "${failures}")
endif()
