// SPDX-License-Identifier: Apache-2.0
/* testing.h: the seams tests drive inside core/, which only the test variant
 * of the library (libgocoroner_test.a, built with GOCORONER_TESTING) has.
 * For core/ files and test programs; the command never sees them. */
#ifndef GOCORONER_CORE_TESTING_H
#define GOCORONER_CORE_TESTING_H

#ifndef GOCORONER_TESTING
#error "core/testing.h needs GOCORONER_TESTING: link libgocoroner_test.a and build with it"
#endif

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/** When nonzero, the page cache of cores opened next has this many sets. */
extern size_t core_cache_test_sets;

/**
 * When set, the fingerprint thread calls it with the descriptor it is about
 * to read before doing anything else. Set it before core_open and clear it
 * after core_destroy.
 */
extern void (*core_fp_thread_hook)(int fd);

/** How many fingerprints of .zst cores were hashed while decompressed (counted). */
extern unsigned core_fp_test_streamed;

/** When nonzero, the most bytes a .zst core may decompress to (CORE_MAX_ZSTD_OUTPUT). */
extern uint64_t core_zstd_test_max;
/** When nonzero, the most bytes a .zst core's non-zero pages may take in memory. */
extern uint64_t core_zstd_test_mem;
/** How many times core_release_pages read /proc/self/statm (counted). */
extern unsigned core_trim_test_statm;
/**
 * Set by each .zst core loaded: how many pages it kept, the bytes they take,
 * and how many of them are kept sparse (struct core_span).
 */
extern uint64_t core_zstd_test_pages, core_zstd_test_stored, core_zstd_test_sparse;
/**
 * When set, called before every read of a core file's bytes (the
 * decompression's reads, the page cache's and the fingerprint's preads):
 * a nonzero return is an errno that read fails with instead of reading.
 * May be called from the fingerprint thread.
 */
extern int (*core_read_fault_hook)(void);

/** read(2) or pread(2) (OFF >= 0) of a core file, through core_read_fault_hook. */
ssize_t core_test_read(int fd, void *buf, size_t len, off_t off);

#endif
