// SPDX-License-Identifier: Apache-2.0
// trim.c: let go of the mapped core pages a walk has finished with, so a
// process reading a multi-gigabyte raw core through its mapping (when no page
// cache could be had) keeps its resident memory small.
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/internal.h"
#ifdef GOCORONER_TESTING
#include "core/testing.h"

unsigned core_trim_test_statm;
#endif

/* Pages of the core (file-backed memory) this process may keep mapped. */
#define CORE_MAPPED_BUDGET (64UL << 20)

/* File-backed resident memory: the core's mapped pages, plus the few MiB of
 * the executable and libraries. The process's own memory (the snapshot, the
 * stack copies, SQLite) does not count: it is not given back by dropping
 * core pages, and counting it made every release drop everything once it had
 * grown past the budget, so that each pass faulted all its pages in again. */
static unsigned long mapped_file_bytes(void)
{
	unsigned long size = 0, resident = 0, shared = 0;
#ifdef GOCORONER_TESTING
	core_trim_test_statm++;
#endif
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f)
		return ~0UL; // cannot tell: release, to be safe
	if (fscanf(f, "%lu %lu %lu", &size, &resident, &shared) != 3)
		shared = ~0UL / 4096;
	fclose(f);
	return shared * (unsigned long)sysconf(_SC_PAGESIZE);
}

void core_release_pages(struct core_file *core)
{
	// Read through the page cache, the mapping holds no page unless a
	// pread failed: /proc/self/statm need not be read (2,286 times on
	// ctxgen's core, about 1% of the run).
	if (!core->map || !core->file_size || (core->cache.pages && !core->map_read))
		return;
	// Dropping pages that are in budget would only make later passes fault
	// them in again (each pass over the goroutines revisits their stacks).
	if (mapped_file_bytes() < CORE_MAPPED_BUDGET)
		return;
	// The mapping is private and read-only: dropping our page tables loses
	// nothing; a later read faults the page back in from the kernel's page cache.
	madvise((void *)core->map, (size_t)core->file_size, MADV_DONTNEED);
}
