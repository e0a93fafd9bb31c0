#!/bin/bash
# Inside the test VM: run a test over and over while a stress test runs, for
# a test that must pass while the rest of the MMU is stirred (suites.cfg:
# pfnmap_noref_test while mmu_stress_test -a ages and invalidates ordinary
# guest memory).  Programs are relative to the selftests directory.
#     while-stress.sh "STRESS [ARGS]" TEST [ARGS]...
# Starts STRESS, then runs TEST until STRESS has ended.  Exit status: 1 if
# either failed, or if STRESS ended before TEST's first run did (they did not
# overlap); 0 otherwise.
usage='usage: while-stress.sh "STRESS [ARGS]" TEST [ARGS]...'
stress=${1:?$usage}
shift
[ $# -gt 0 ] || { echo "$usage"; exit 2; }
cd "${KVMLTS_SELFTESTS:-$(dirname "$0")/../build/selftests}" || exit 1

echo "== stress: $stress"
# Word splitting of $stress is wanted: a program and its arguments.
# shellcheck disable=SC2086
./$stress &
pid=$!
runs=0
while :; do
	runs=$((runs + 1))
	echo "== run $runs: $*"
	./"$@"
	st=$?
	if [ $st != 0 ]; then
		echo "while-stress: run $runs of $1 failed (exit status $st)"
		kill "$pid" 2>/dev/null
		wait "$pid"
		exit 1
	fi
	kill -0 "$pid" 2>/dev/null || break
done
wait "$pid"
st=$?
[ $st = 0 ] || { echo "while-stress: ${stress%% *} failed (exit status $st)"; exit 1; }
# The stress was still running when the first run ended only if a second
# run started.
[ $runs -ge 2 ] || { echo "while-stress: ${stress%% *} ended before the first run of $1: no overlap"; exit 1; }
echo "while-stress: $runs runs of $1 passed while ${stress%% *} ran"
