// SPDX-License-Identifier: GPL-2.0
/*
 * PID 1 of the nested guest (L2) that scripts/nested-guest.sh boots inside
 * the test VM: the whole userspace of a tiny initramfs.
 *
 * Fills most of the guest's RAM with a pattern, then, pass after pass,
 * checks every word and rewrites it with the next pass's pattern, so that
 * every pass both reads and dirties every page.  The host side (L1) ages
 * and swaps this memory meanwhile: a page whose last write was lost (a
 * dirty bit dropped by aging, a stale swap copy) shows up as a wrong word.
 *
 * Parameters come from the kernel command line, which hands unknown
 * NAME=VALUE words to init as environment variables:
 *   MV_FREE_MB  leave this much RAM unfilled (default 48)
 *   MV_FILL_MB  fill this much instead (for runs outside a guest)
 *   MV_PASSES   verification passes (default 4)
 *   MV_CORRUPT  fault injection: flip a bit of this word after the fill
 *               (proves that the check finds a wrong word)
 * Output, on the console, one line per step:
 *   memverify: start ...          init reached, what it will fill
 *   memverify: filled ...         the first pattern is written
 *   memverify: pass K/N ...       a pass: words checked, wrong words
 *   memverify: bad ...            the first wrong words, with both values
 *   memverify: DONE passes=N words=W bad=B
 * then powers off (QEMU exits).  B > 0 is the failure; the runner also
 * fails a guest that never prints DONE.  Run as any other process than PID 1
 * (a unit test on the host), it exits with status 1 if B > 0, else 0.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/sysinfo.h>

#define MAX_BAD_PRINTED 8

static unsigned long env_ulong(const char *name, unsigned long dflt)
{
	const char *s = getenv(name);

	return s && *s ? strtoul(s, NULL, 0) : dflt;
}

/* The word at index @i in pass @pass: differs for every word and pass. */
static uint64_t pattern(uint64_t i, unsigned long pass)
{
	uint64_t x = i * 0x9e3779b97f4a7c15ull + pass * 0xc2b2ae3d27d4eb4full;

	return x ^ (x >> 29);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void finish(unsigned long bad)
{
	if (getpid() != 1)
		exit(bad ? 1 : 0);
	sync();
	reboot(RB_POWER_OFF);
	/* Not reached; PID 1 must not exit. */
	for (;;)
		pause();
}

int main(void)
{
	unsigned long free_mb = env_ulong("MV_FREE_MB", 48);
	unsigned long passes = env_ulong("MV_PASSES", 4);
	unsigned long pass, total_bad = 0;
	uint64_t *mem, words, i;
	struct sysinfo si;
	size_t bytes;
	double t;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (sysinfo(&si)) {
		perror("memverify: sysinfo");
		finish(1);
	}
	bytes = (size_t)si.freeram * si.mem_unit;
	if (getenv("MV_FILL_MB")) {
		bytes = env_ulong("MV_FILL_MB", 0) << 20;
	} else if (bytes > (free_mb + 16) << 20) {
		bytes -= free_mb << 20;
	} else {
		printf("memverify: only %zu MiB free, nothing to fill\n", bytes >> 20);
		bytes = 0;
	}
	bytes &= ~((size_t)(1 << 20) - 1);
	words = bytes / sizeof(*mem);
	if (!words) {
		printf("memverify: DONE passes=0 words=0 bad=1\n");
		finish(1);
	}
	printf("memverify: start ram=%lu MiB free=%lu MiB fill=%zu MiB passes=%lu\n",
	       (unsigned long)((si.totalram * si.mem_unit) >> 20),
	       (unsigned long)((si.freeram * si.mem_unit) >> 20), bytes >> 20, passes);

	mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		perror("memverify: mmap");
		printf("memverify: DONE passes=0 words=0 bad=1\n");
		finish(1);
	}

	t = now();
	for (i = 0; i < words; i++)
		mem[i] = pattern(i, 0);
	printf("memverify: filled %zu MiB in %.1f s\n", bytes >> 20, now() - t);
	if (getenv("MV_CORRUPT") && env_ulong("MV_CORRUPT", 0) < words)
		mem[env_ulong("MV_CORRUPT", 0)] ^= 1;

	for (pass = 1; pass <= passes; pass++) {
		unsigned long bad = 0;

		t = now();
		for (i = 0; i < words; i++) {
			uint64_t want = pattern(i, pass - 1);

			if (mem[i] != want) {
				if (total_bad + bad < MAX_BAD_PRINTED)
					printf("memverify: bad pass=%lu word=%llu want=%016llx got=%016llx\n",
					       pass, (unsigned long long)i,
					       (unsigned long long)want,
					       (unsigned long long)mem[i]);
				bad++;
			}
			mem[i] = pattern(i, pass);
		}
		total_bad += bad;
		printf("memverify: pass %lu/%lu words=%llu bad=%lu %.1f s\n",
		       pass, passes, (unsigned long long)words, bad, now() - t);
	}
	printf("memverify: DONE passes=%lu words=%llu bad=%lu\n",
	       passes, (unsigned long long)words, total_bad);
	finish(total_bad);
	return 0;
}
