#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Installs the Debian 12 packages the benchmarks need beyond the build's
# (packaging/install-deps.sh): servers, load generator, profiler, Node.js.
# Quick when everything is there already: apt runs only for what is missing.
set -euo pipefail

pkgs=(
	nginx-light wrk curl              # the traced server and the load
	python3 python3-protobuf protobuf-compiler  # the OTLP receiver (tests/integration)
	linux-perf bpftool procps util-linux        # profiles, BPF program list, top, taskset
)
# Node.js: Debian's, unless a node (and its npm) is already installed.
command -v node >/dev/null || pkgs+=(nodejs)
command -v npm >/dev/null || pkgs+=(npm)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "bench/install-deps: missing packages: ${missing[*]} (run as root to install them)" >&2
	exit 1
fi
echo "bench/install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# nginx is started by the benchmarks with their own config; keep the package's service off.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
