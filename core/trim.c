// trim.c: let go of the core pages a walk has finished with, so a process
// reading a multi-gigabyte raw core keeps its resident memory small.
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/internal.h"

/* Resident memory this process may reach before mapped core pages are dropped. */
#define CORE_RSS_BUDGET (96UL << 20)

static unsigned long resident_bytes(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f)
		return ~0UL; // cannot tell: release, to be safe
	if (fscanf(f, "%lu %lu", &size, &resident) != 2)
		resident = ~0UL / 4096;
	fclose(f);
	return resident * (unsigned long)sysconf(_SC_PAGESIZE);
}

void core_release_pages(struct core_file *core)
{
	if (!core->map || !core->file_size)
		return;
	// Dropping pages that are in budget would only make later passes fault
	// them in again (each pass over the goroutines revisits their stacks).
	if (resident_bytes() < CORE_RSS_BUDGET)
		return;
	// The mapping is private and read-only: dropping our page tables loses
	// nothing; a later read faults the page back in from the page cache.
	madvise((void *)core->map, (size_t)core->file_size, MADV_DONTNEED);
}
