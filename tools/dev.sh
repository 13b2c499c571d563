#!/usr/bin/env bash
# One command from a fresh clone to a running dev node: installs what is
# missing, builds, and starts `ff-node --dev` on http://127.0.0.1:9090 with
# its data (a private redis-server and the waitpoint secret) in ./ff-data.
# Extra arguments go to ff-node, e.g. `bash tools/dev.sh --listen 127.0.0.1:9191`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j2
exec build/bin/ff-node --dev "$@"
