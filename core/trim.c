// trim.c: let go of the core pages a walk has finished with, so a process
// reading a multi-gigabyte raw core keeps its resident memory small.
#include <sys/mman.h>

#include "core/internal.h"

void core_release_pages(struct core_file *core)
{
	// The mapping is private and read-only: dropping our page tables loses
	// nothing; a later read faults the page back in from the page cache.
	if (core->map && core->file_size)
		madvise((void *)core->map, (size_t)core->file_size, MADV_DONTNEED);
}
