#!/bin/bash
# Run a KUnit suite built into the running kernel (inside the test VM) through
# debugfs and print its KTAP results.  Exit status as for a kselftest: 0 if the
# suite passed, 4 if any of its cases was skipped, 1 if it failed or did not run.
suite=${1:?usage: kunit-run.sh SUITE}
dir=${KUNIT_DEBUGFS:-/sys/kernel/debug/kunit}/$suite

if [ ! -d "$dir" ]; then
	echo "KUnit suite '$suite' is not in this kernel (no $dir: CONFIG_KUNIT_DEBUGFS or the suite's option missing?)"
	exit 1
fi
echo run >"$dir/run" || exit 1
results=$(cat "$dir/results") || exit 1
echo "$results"

# The suite's own result line closes its KTAP output: "ok 1 SUITE".  In the
# debugfs file it never carries "# SKIP" (6.12 prints the directive only to
# the kernel log), so skips are read from the case lines, which are indented:
# "    ok N CASE # SKIP reason".
verdict=$(grep -E "^(not )?ok [0-9]+ $suite( |$)" <<<"$results" | tail -1)
cases=$(grep -E "^[[:space:]]+(not )?ok [0-9]+ " <<<"$results")
skipped=$(grep -c -E "^[[:space:]]+ok [0-9]+ .* # SKIP" <<<"$cases")
case $verdict in
"") echo "no result line for KUnit suite $suite"; exit 1 ;;
"not ok"*) echo "KUnit suite $suite failed"; exit 1 ;;
esac
if [ -z "$cases" ]; then
	echo "KUnit suite $suite ran no test case"
	exit 1
fi
if [ "$skipped" -gt 0 ]; then
	echo "KUnit suite $suite: $skipped of $(wc -l <<<"$cases") case(s) skipped:"
	grep -E "# SKIP" <<<"$cases"
	exit 4
fi
exit 0
