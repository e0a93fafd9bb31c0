#!/bin/bash
# Run a KUnit suite built into the running kernel (inside the test VM) through
# debugfs and print its KTAP results.  Exit status as for a kselftest: 0 if the
# suite passed, 4 if it was skipped, 1 if it failed or did not run.
suite=${1:?usage: kunit-run.sh SUITE}
dir=${KUNIT_DEBUGFS:-/sys/kernel/debug/kunit}/$suite

if [ ! -d "$dir" ]; then
	echo "KUnit suite '$suite' is not in this kernel (no $dir: CONFIG_KUNIT_DEBUGFS or the suite's option missing?)"
	exit 1
fi
echo run >"$dir/run" || exit 1
results=$(cat "$dir/results") || exit 1
echo "$results"

# The suite's own result line closes its KTAP output: "ok N SUITE [# SKIP ...]".
verdict=$(grep -E "^[[:space:]]*(not )?ok [0-9]+ $suite( |$)" <<<"$results" | tail -1)
case $verdict in
*"not ok"*) echo "KUnit suite $suite failed"; exit 1 ;;
*"# SKIP"*) echo "KUnit suite $suite skipped"; exit 4 ;;
*ok*) exit 0 ;;
*) echo "no result line for KUnit suite $suite"; exit 1 ;;
esac
