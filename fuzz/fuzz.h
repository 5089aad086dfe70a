// SPDX-License-Identifier: Apache-2.0
/* fuzz.h: what the harnesses of fuzz/ share: an input handed to the library as
 * a file, since core/ and dwarf/ open paths. */
#ifndef GOCORONER_FUZZ_H
#define GOCORONER_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

/* Fuzz inputs are at most -max_len bytes; the exe harness's patched image is
 * a few MB. Neither touches the disk: a memfd is a regular file in memory,
 * and /proc/self/fd/N names it for open(2). */
static inline int fuzz_memfd(const char *name, const void *data, size_t size,
			     char *path, size_t path_size)
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	const uint8_t *p = data;
	while (size) {
		ssize_t n = write(fd, p, size);
		if (n <= 0) {
			close(fd);
			return -1;
		}
		p += n;
		size -= (size_t)n;
	}
	snprintf(path, path_size, "/proc/self/fd/%d", fd);
	return fd;
}

/* Results are folded into this, so that no read is optimized away and every
 * byte returned is used (MSan or valgrind would flag uninitialized ones). */
static volatile uint64_t sink;

static inline void fold(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = sink;
	for (size_t i = 0; i < n; i++)
		h = h * 31 + b[i];
	sink = h;
}

#endif
