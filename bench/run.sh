#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Runs the benchmarks (`make bench`): installs what they need, the OpenTelemetry
# SDK's npm packages (bench/node/package-lock.json), then bench/run.py with the
# arguments given (--quick, --only CASE, ...: bench/run.py --help).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

"$here/install-deps.sh"

lock="$here/node/package-lock.json"
stamp="$here/node/node_modules/.package-lock.json"
if command -v npm >/dev/null && { [ ! -e "$stamp" ] || [ "$lock" -nt "$stamp" ]; }; then
	echo "bench: npm ci in bench/node (OpenTelemetry Node SDK)"
	(cd "$here/node" && npm ci --no-audit --no-fund --loglevel=error) ||
		echo "bench: npm ci failed: the OpenTelemetry SDK case will be skipped" >&2
fi

exec /usr/bin/python3 "$here/run.py" "$@"
