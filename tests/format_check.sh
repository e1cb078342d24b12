#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Every C file of the project against .clang-format (`make format` fixes
# them): one test per file, named when it fails, and the closing tally.
set -uo pipefail
cd "$(dirname "$0")/.."

if ! command -v clang-format >/dev/null; then
	echo "clang-format is missing (packaging/install-deps.sh test installs it)"
	echo "0 passed, 1 failed"
	exit 1
fi
passed=0
failed=0
for f in bpf/*.[ch] user/*/*.[ch] tests/unit/*.[ch] tests/bpf/*.c tests/fuzz/*.c \
	bench/*.c bench/kcost/*.[ch]; do
	[ -e "$f" ] || continue
	if clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
		passed=$((passed + 1))
	else
		echo "not formatted: $f (make format; see the first lines below)"
		clang-format "$f" | diff -u "$f" - | sed -n '3,12p'
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
