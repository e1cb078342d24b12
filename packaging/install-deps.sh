#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Installs every Debian 12 package wirespan needs to build, run and test,
# plus any package named as an argument (bench/install-deps.sh adds its own),
# then the npm packages of the Node test services (npm ci, from their lock).
# Quick when everything is there already: apt runs only for what is missing,
# npm only when the lock file is newer than what it installed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

pkgs=(
	# build: BPF objects, skeletons, the agent
	make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config
	protobuf-c-compiler libprotobuf-c-dev libcurl4-openssl-dev
	# sanitizers and fuzzing (clang's runtime)
	libclang-rt-14-dev
	# tests: the OTLP receiver and real servers and clients
	python3 python3-pytest python3-protobuf python3-grpcio protobuf-compiler curl nginx-light
	wrk iproute2
	openssl # test certificates (TLS and mTLS export)
	golang-go # a Go net/http server the tests build
	"$@"
)
# tests: Node.js and npm run the OpenTelemetry SDK services. A node already
# there (NodeSource's, with its own npm) is used as is: Debian's npm
# package would conflict with it.
command -v node >/dev/null || pkgs+=(nodejs)
command -v npm >/dev/null || pkgs+=(npm)

# The Node test services' packages, exactly as their lock file says.
npm_ci() {
	local app="$here/../tests/integration/apps/node"

	if [ -e "$app/node_modules/.package-lock.json" ] &&
		[ ! "$app/package-lock.json" -nt "$app/node_modules/.package-lock.json" ]; then
		return 0
	fi
	echo "install-deps: npm ci in tests/integration/apps/node"
	(cd "$app" && npm ci --no-audit --no-fund --loglevel=error)
}

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	npm_ci
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]} (run as root to install them)" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# nginx is started by the tests with their own config; keep the package's service off.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
npm_ci
