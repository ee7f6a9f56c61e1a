# SPDX-License-Identifier: MIT
# The sanitizer build: AddressSanitizer and UndefinedBehaviorSanitizer, each stopping the
# program at its first report (-fno-sanitize-recover=all; ASan stops by default), with frame
# pointers for readable stacks. Used by -DAFFINITY_SANITIZE=ON and by the sanitized build of
# the docking-input layer that the tests make (tests/cli/inputs).
set(AFFINITY_SANITIZE_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)

# Python is not built with the sanitizers: importing openmm (which loads the installed plugins,
# sanitized after a first install) and build steps that load a sanitized library into Python
# must preload the ASan runtime and libstdc++ (whose exceptions ASan intercepts; Python does not
# link it), without leak checks (Python keeps its allocations to exit). The preload list is kept
# in the cache, where .ci/setup.sh reads it.
execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=libasan.so OUTPUT_VARIABLE asan_runtime
                OUTPUT_STRIP_TRAILING_WHITESPACE)
execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=libstdc++.so OUTPUT_VARIABLE stdcxx_runtime
                OUTPUT_STRIP_TRAILING_WHITESPACE)
set(AFFINITY_SANITIZER_PRELOAD "${asan_runtime}:${stdcxx_runtime}" CACHE INTERNAL
    "What Python preloads to load sanitized libraries")
set(AFFINITY_SANITIZED_PYTHON_ENV LD_PRELOAD=${AFFINITY_SANITIZER_PRELOAD} ASAN_OPTIONS=detect_leaks=0)
