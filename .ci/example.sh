#!/usr/bin/env bash
# Set up what is missing, build, and run the main job on the bundled example.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
"$AFFINITY_BUILD/wrappers/cli/affinity-example" --model "$AFFINITY_BUILD/wrappers/cli/example/contact_model.pt" "$@"
