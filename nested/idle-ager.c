// SPDX-License-Identifier: GPL-2.0
/*
 * Ages the guest memory of a running VMM through page_idle, pass after
 * pass, as a userspace working-set estimator does, until the process exits:
 *
 *     idle-ager PID MIN_MIB [INTERVAL_MS]
 *
 * The guest's RAM is the largest private anonymous read-write mapping of
 * PID of at least MIN_MIB (looked for during 30 s: QEMU may still be
 * starting).  Each pass reads /proc/PID/pagemap for it, then,
 * for every present page, reads its bit of /sys/kernel/mm/page_idle/bitmap
 * (a page whose bit is clear was accessed since the previous pass, or is
 * not on an LRU list: young) and sets it again.  Setting it walks the
 * page's mappings and clears their Accessed bits, KVM's SPTEs included
 * (the mmu_notifier's clear_young), and so does reading a bit that is still
 * set; that is what this program is for.  One line per pass:
 *
 *     idle-ager: pass N present=P swapped=S young=Y ms=T
 *
 * (the first pass's young count is every page: nothing was marked before),
 * then "idle-ager: DONE passes=N".  Exit status 0 if it completed a pass.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PAGEMAP_PRESENT		(1ull << 63)
#define PAGEMAP_SWAPPED		(1ull << 62)
#define PAGEMAP_PFN_MASK	((1ull << 55) - 1)
#define PAGE_SIZE		4096ul

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* The largest private anonymous rw mapping of @pid, if at least @min bytes. */
static int find_guest_ram(pid_t pid, unsigned long min, unsigned long *start,
			  unsigned long *len)
{
	char path[64], line[512], perms[8];
	unsigned long s, e, off, ino;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	*len = 0;
	while (fgets(line, sizeof(line), f)) {
		char dev[16];

		n = 0;
		if (sscanf(line, "%lx-%lx %7s %lx %15s %lu %n",
			   &s, &e, perms, &off, dev, &ino, &n) < 6)
			continue;
		if (strcmp(perms, "rw-p") || ino || (n && line[n] && line[n] != '\n'))
			continue;
		if (e - s > *len) {
			*start = s;
			*len = e - s;
		}
	}
	fclose(f);
	if (*len >= min)
		return 0;
	*len = 0;
	return -1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	unsigned long start = 0, len = 0, npages, interval_ms, passes = 0;
	uint64_t *entries, *pfns;
	int pagemap, bitmap;
	char path[64];
	int tries;
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: idle-ager PID MIN_MIB [INTERVAL_MS]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	pid = atoi(argv[1]);
	interval_ms = argc > 3 ? strtoul(argv[3], NULL, 0) : 500;
	for (tries = 0; tries < 60 && kill(pid, 0) == 0; tries++) {
		if (!find_guest_ram(pid, strtoul(argv[2], NULL, 0) << 20, &start, &len))
			break;
		usleep(500 * 1000);
	}
	if (!len) {
		printf("idle-ager: no anonymous mapping of %s MiB or more in process %d\n",
		       argv[2], pid);
		return 1;
	}
	npages = len / PAGE_SIZE;
	printf("idle-ager: pid %d guest RAM %lx-%lx (%lu MiB)\n",
	       pid, start, start + len, len >> 20);

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	pagemap = open(path, O_RDONLY);
	bitmap = open("/sys/kernel/mm/page_idle/bitmap", O_RDWR);
	entries = calloc(npages, sizeof(*entries));
	pfns = calloc(npages, sizeof(*pfns));
	if (pagemap < 0 || bitmap < 0 || !entries || !pfns) {
		printf("idle-ager: cannot open pagemap or page_idle: %s\n", strerror(errno));
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	while (!stop && kill(pid, 0) == 0) {
		unsigned long i, n = 0, swapped = 0, young = 0;
		double t = now_ms();
		ssize_t got;

		got = pread(pagemap, entries, npages * sizeof(*entries),
			    start / PAGE_SIZE * sizeof(*entries));
		if (got != (ssize_t)(npages * sizeof(*entries)))
			break;	/* the process is exiting */
		for (i = 0; i < npages; i++) {
			if (entries[i] & PAGEMAP_PRESENT) {
				pfns[n] = entries[i] & PAGEMAP_PFN_MASK;
				/* pagemap hides PFNs from readers without CAP_SYS_ADMIN. */
				if (!pfns[n]) {
					printf("idle-ager: pagemap shows no PFNs (not root?)\n");
					return 1;
				}
				n++;
			} else if (entries[i] & PAGEMAP_SWAPPED) {
				swapped++;
			}
		}
		qsort(pfns, n, sizeof(*pfns), cmp_u64);

		/* One read and one write per bitmap word that holds a present page. */
		for (i = 0; i < n; ) {
			uint64_t word = pfns[i] / 64, bits, mask = 0;
			off_t off = word * sizeof(bits);

			for (; i < n && pfns[i] / 64 == word; i++)
				mask |= 1ull << (pfns[i] % 64);
			if (pread(bitmap, &bits, sizeof(bits), off) != sizeof(bits))
				continue;	/* not an LRU page range */
			young += __builtin_popcountll(mask & ~bits);
			if (pwrite(bitmap, &mask, sizeof(mask), off) != sizeof(mask))
				continue;
		}
		passes++;
		printf("idle-ager: pass %lu present=%lu swapped=%lu young=%lu ms=%.0f\n",
		       passes, n, swapped, young, now_ms() - t);
		usleep(interval_ms * 1000);
	}
	printf("idle-ager: DONE passes=%lu\n", passes);
	return passes ? 0 : 1;
}
