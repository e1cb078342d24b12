#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Installs the Debian 12 packages wirespan needs, for one of two purposes:
#   install-deps.sh run [PKG]...   build and run the agent (make run)
#   install-deps.sh test [PKG]...  that, plus what the test suites use (make
#                                  test): sanitizers, Python, Go, nginx, wrk,
#                                  Node.js, and npm ci for the Node services
# plus any package named after it (bench/install-deps.sh adds its own; with
# no purpose first, "test" is meant, as before the split).
#   install-deps.sh --list run|test  prints the packages, one a line, and
#                                    installs nothing
# Quick when everything is there already: apt runs only for what is missing,
# npm only when the lock file is newer than what it installed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

list=0
if [ "${1:-}" = "--list" ]; then
	list=1
	shift
fi
purpose=test
case "${1:-}" in
run | test)
	purpose=$1
	shift
	;;
esac

# build: BPF objects, skeletons, the agent (make run builds it too); the
# -dev packages bring the libraries the agent runs with.
pkgs=(
	make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config
	protobuf-c-compiler libprotobuf-c-dev libcurl4-openssl-dev
	ca-certificates # an https:// collector is verified against the system's CAs
)
if [ "$purpose" = test ]; then
	pkgs+=(
		# sanitizers and fuzzing (clang's runtime); the style check
		libclang-rt-14-dev clang-format
		# the OTLP receiver and real servers and clients
		python3 python3-pytest python3-protobuf python3-grpcio protobuf-compiler curl
		nginx-light wrk iproute2
		openssl   # test certificates (TLS and mTLS export)
		golang-go # a Go net/http server the tests build
		podman runc # a real container (crun refuses this kernel's hybrid cgroups)
	)
	# Node.js and npm run the OpenTelemetry SDK services. A node already
	# there (NodeSource's, with its own npm) is used as is: Debian's npm
	# package would conflict with it.
	command -v node >/dev/null || pkgs+=(nodejs)
	command -v npm >/dev/null || pkgs+=(npm)
fi
pkgs+=("$@")

if [ "$list" = 1 ]; then
	printf '%s\n' "${pkgs[@]}"
	exit 0
fi

# The Node test services' packages, exactly as their lock file says.
npm_ci() {
	local app="$here/../tests/integration/apps/node"

	[ "$purpose" = test ] || return 0
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
