#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Installs what the benchmarks need beyond the build and the tests
# (packaging/install-deps.sh, which does the installing): a profiler, the
# tools the harness calls, and Node.js unless a node (and its npm) is there.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

extra=(linux-perf procps util-linux)
command -v node >/dev/null || extra+=(nodejs)
command -v npm >/dev/null || extra+=(npm)
exec "$here/../packaging/install-deps.sh" "${extra[@]}"
