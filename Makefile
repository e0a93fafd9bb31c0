# kvm-mmu-lts workbench.  'make help' lists the targets.
#
#   make run     the main job: build the patched kernel and selftests, boot
#                them, run the stress demonstration in all three MMU modes
#   make check   the test suite (what CI runs)

SHELL := /bin/bash
FLAVOR ?= debug
SUITE ?= mmu
MODES ?= tdp,legacy,shadow
REPEAT ?= 1
ACCEL ?= auto
VENDOR ?= debian debian-rt i386
S := scripts

.PHONY: help deps fetch tree export kernel w1 selftests selftests-cross checkpatch \
	nested unit vmtest run check check-kcsan fresh-check bench baseline bisect-build vendor-build mttcg-rates clean

help:
	@sed -n 's/^## //p' $(MAKEFILE_LIST)

## deps              install the Debian packages the workbench needs (as root)
deps:
	@$(S)/deps.sh

## fetch             download the pinned base package into ~/.cache/kvm-mmu-lts
fetch: deps
	@$(S)/fetch-base.sh >/dev/null

## tree              build/linux = base commit (tag 'base') + patches/ (DISCARD=1 drops unexported work)
tree: fetch
	@$(S)/worktree.sh

## export            regenerate patches/ from the commits on top of 'base' (IDENTITY="Name <mail>")
export:
	@$(S)/export.sh

## kernel            build the FLAVOR (debug|kcsan|bench|lockstat) kernel in build/kernel-FLAVOR
kernel: tree
	@$(S)/build-kernel.sh $(FLAVOR)

## w1                W=1 build of arch/x86/kvm and virt/kvm must print no warning
w1: kernel
	@$(S)/w1-check.sh $(FLAVOR)

## selftests         build the KVM selftests (x86_64, static) in build/selftests
selftests: tree
	@$(S)/build-selftests.sh x86_64

## selftests-cross   cross-build the KVM selftests for arm64 and riscv
selftests-cross: tree
	@$(S)/build-selftests.sh arm64 && $(S)/build-selftests.sh riscv

## nested            the nested guest's initramfs and page_idle ager (nested/*.c) in build/nested
nested:
	@$(S)/nested-build.sh

## checkpatch        checkpatch.pl --strict on every patch of the series
checkpatch: tree
	@$(S)/checkpatch.sh

## unit              the workbench's own unit tests
unit:
	@python3 -m unittest discover -s tests -t . 2>&1

## vmtest            run SUITE (or TEST=name) in MODES on the FLAVOR kernel (REPEAT=N, PARAMS="kvm.x=1")
vmtest: kernel selftests nested
	@python3 $(S)/vmrun.py $(if $(TEST),$(foreach t,$(TEST),--test $(t)),--suite $(SUITE)) \
		--modes $(MODES) --flavor $(FLAVOR) --repeat $(REPEAT) --accel $(ACCEL) \
		$(foreach p,$(PARAMS),--param $(p))

## run               main job: build everything, run the 'demo' suite in all three modes
run:
	@$(S)/main-job.sh

## check             the whole test suite (what .ci/run runs)
check:
	@$(S)/check.sh

## check-kcsan       only the kcsan part of check: the kcsan kernel and the 'aging' suite on it
check-kcsan:
	@$(S)/check.sh kcsan

## fresh-check       make check and make run in a minimal Debian 12 root (debootstrap), as a new user would
fresh-check:
	@$(S)/fresh-check.sh

## bench             A/B benchmark of aging with and without mmu_lock in MODES (build/bench/table.txt, bench.png)
bench:
	@$(S)/bench.sh $(MODES)

## bisect-build      every patch of the series builds (kernel + selftests); slow, not in check
bisect-build: kernel
	@$(S)/bisect-build.sh $(FLAVOR)

## vendor-build      arch/x86/kvm as modules with Debian's own configs (generic, PREEMPT_RT) and i386; no warning
vendor-build: tree
	@for t in $(VENDOR); do $(S)/vendor-build.sh $$t || exit 1; done

## mttcg-rates       pass rates (RUNS=10 per cell) of the race tests, single- vs multi-threaded TCG, patched vs base
RUNS ?= 10
mttcg-rates:
	@$(S)/mttcg-rates.sh $(RUNS)

## baseline          run SUITE on FLAVOR and store the outcome in baseline/
baseline: kernel selftests
	@$(S)/baseline.sh $(SUITE) $(FLAVOR) $(MODES)

## clean             remove build/ (keeps the download cache and ccache)
clean:
	rm -rf build
