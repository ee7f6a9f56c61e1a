#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Set up what is missing, build, and run every test (Catch2 and pytest, through CTest).
# Tests that need a GPU skip, with the reason printed, where none is present.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$AFFINITY_BUILD"
ctest --output-on-failure --timeout 1500 "$@"
