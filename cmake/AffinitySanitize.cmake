# SPDX-License-Identifier: MIT
# The sanitizer build: AddressSanitizer and UndefinedBehaviorSanitizer, each stopping the
# program at its first report (-fno-sanitize-recover=all; ASan stops by default), with frame
# pointers for readable stacks. Used by -DAFFINITY_SANITIZE=ON and by the sanitized build of
# the docking-input layer that the tests make (tests/cli/inputs).
set(AFFINITY_SANITIZE_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
