#!/bin/bash
# Nested guest configurations: which survive here?
S=${KVMLTS_TOP:?}/scripts/nested-guest.sh
for cfg in "--limit 0" "--ager 0" "--limit 224" "--limit 0" "--ager 0" "--limit 224"; do
	echo "=== config: $cfg"
	NESTED_UNDER_SWAP= $S --boots 1 --passes 3 $cfg 2>&1 | grep -E "^nested-guest: (PASS|FAIL)|^memory.stat|^\[ *[0-9.]+ s\] (memverify: (filled|pass|DONE)|QEMU exited)"
done
