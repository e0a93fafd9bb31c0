#!/bin/bash
# The main job (make run): install what is missing, build the patched debug
# kernel and the selftests, boot it and run the stress demonstration (suite
# 'demo') in all three MMU modes.
. "$(dirname "$0")/lib.sh"
S=$TOP/scripts
phase deps "$S/deps.sh"
phase tree "$S/worktree.sh"
phase "kernel (debug)" "$S/build-kernel.sh" debug
phase selftests "$S/build-selftests.sh" x86_64
phase demo python3 "$S/vmrun.py" --suite demo --flavor debug --modes tdp,legacy,shadow
