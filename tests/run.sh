#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Runs every test suite (unit, unit under ASan+UBSan, BPF, integration) and
# ends with one line: "TOTAL: N passed, N failed, N skipped". Exit 1 if
# anything failed. Sourced (tests/unit/test_check.c), it only defines its functions.
set -uo pipefail

passed=0
failed=0
skipped=0
suites_failed=()

# Adds the counts of a suite's closing "N passed, N failed[, N skipped]" line.
tally() {
	local name=$1 out=$2 rc=$3 line p f s
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
	if [ -z "$line" ]; then
		echo "!! $name printed no tally (exit $rc): counted as one failure"
		failed=$((failed + 1))
		suites_failed+=("$name")
		return
	fi
	p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
	s=0
	if [[ $line =~ ^[0-9]+\ passed,\ [0-9]+\ failed,\ ([0-9]+)\ skipped ]]; then
		s=${BASH_REMATCH[1]}
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	if [ "$s" -ne 0 ]; then
		echo "!! $name: $s test(s) SKIPPED (see reasons above)"
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "!! $name exited $rc with no failed test: counted as one failure"
		failed=$((failed + 1))
	fi
	if [ "$rc" -ne 0 ] || [ "$f" -ne 0 ]; then
		suites_failed+=("$name")
	fi
}

run_suite() {
	local name=$1
	shift
	local out rc
	out=$(mktemp)
	echo "== $name"
	"$@" >"$out" 2>&1
	rc=$?
	grep -vE '^ok ' "$out" | tail -n 60
	tally "$name" "$out" "$rc"
	rm -f "$out"
}

# Sourced: tally and run_suite only.
if [ "${BASH_SOURCE[0]}" != "$0" ]; then
	return 0
fi
cd "$(dirname "$0")/.."

for t in build/tests/test_*; do
	case $t in */test_capture | *.d) continue ;; esac
	run_suite "unit $(basename "$t")" "$t"
done
for t in build-san/tests/test_*; do
	case $t in *.d) continue ;; esac
	run_suite "asan+ubsan $(basename "$t")" env ASAN_OPTIONS=detect_leaks=1 "$t"
done
run_suite "bpf test_capture" build/tests/test_capture
run_suite "format (clang-format, .clang-format)" tests/format_check.sh

# Integration: real programs, the real agent, a real OTLP receiver.
junit=$(mktemp)
echo "== integration (pytest)"
/usr/bin/python3 -m pytest -q -p no:cacheprovider --junitxml="$junit" tests/integration "$@"
rc=$?
counts=$(/usr/bin/python3 - "$junit" <<'PY'
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
s = r if r.tag == "testsuite" else r.find("testsuite")
t, f, e, sk = (int(s.get(k, 0)) for k in ("tests", "failures", "errors", "skipped"))
print(t - f - e - sk, f + e, sk)
PY
) || counts="0 1 0"
rm -f "$junit"
read -r ip if is <<<"$counts"
passed=$((passed + ip))
failed=$((failed + if))
skipped=$((skipped + is))
if [ "$is" -ne 0 ]; then
	echo "!! integration: $is test(s) SKIPPED (see reasons above)"
fi
if [ "$rc" -ne 0 ] && [ "$if" -eq 0 ]; then
	failed=$((failed + 1))
fi
[ "$rc" -ne 0 ] && suites_failed+=("integration")

if [ ${#suites_failed[@]} -ne 0 ]; then
	echo "failed suites: ${suites_failed[*]}"
fi
echo "TOTAL: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
