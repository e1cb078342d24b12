#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Installs every Debian 12 package wirespan needs to build, run and test,
# plus any package named as an argument (bench/install-deps.sh adds its own).
# Quick when everything is there already: apt runs only for what is missing.
set -euo pipefail

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
	"$@"
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
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
