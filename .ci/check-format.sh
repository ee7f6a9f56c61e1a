#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Fails, listing them, when tracked C++ and CUDA sources differ from what clang-format makes
# of them with the checked-in .clang-format. `bash .ci/check-format.sh --fix` formats them.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
format="${CLANG_FORMAT:-$(command -v clang-format || command -v clang-format-14 || true)}"
[ -n "$format" ] || { echo "check-format: clang-format is not installed (Debian package clang-format)" >&2; exit 1; }
mapfile -t files < <(git ls-files '*.h' '*.cpp' '*.cu' '*.cuh')
if [ "${1:-}" = "--fix" ]; then
    "$format" -i --style=file "${files[@]}"
    exit 0
fi
bad=()
for f in "${files[@]}"; do
    "$format" --style=file --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ "${#bad[@]}" -gt 0 ]; then
    echo "check-format: ${#bad[@]} of ${#files[@]} files are not formatted ($("$format" --version | head -1)):" >&2
    printf '  %s\n' "${bad[@]}" >&2
    echo "check-format: run 'bash .ci/check-format.sh --fix'" >&2
    exit 1
fi
echo "check-format: all ${#files[@]} C++/CUDA files are formatted"
