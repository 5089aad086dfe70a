// SPDX-License-Identifier: Apache-2.0
/* store/testing.h: the store's seams for tests, compiled in only with
 * GOCORONER_TESTING (libgocoroner_test.a); the installed command has none. */
#ifndef GOCORONER_STORE_TESTING_H
#define GOCORONER_STORE_TESTING_H

#ifndef GOCORONER_TESTING
#error "store/testing.h is for test builds only: define GOCORONER_TESTING and link libgocoroner_test.a"
#endif

#include "store/store.h"

/**
 * For reliability tests only: after about N hundred steps of SQLite's
 * virtual machine on DB's connection (N > 0), the process kills itself with
 * SIGKILL, as a crash or `kill -9` at that point of a write would. N = 0
 * removes the hook.
 */
void store_test_crash_after(struct store_db *db, unsigned long n);

/** The I/O calls the fault injector counts (store/faultvfs.c). */
enum store_io_kind {
	STORE_IO_READ,      /**< xRead of any file SQLite opens */
	STORE_IO_WRITE,     /**< xWrite */
	STORE_IO_SYNC,      /**< xSync (fsync) */
	STORE_IO_TRUNCATE,  /**< xTruncate */
	STORE_IO_FILESIZE,  /**< xFileSize (fstat) */
	STORE_IO_CORE_READ, /**< a read of the core file (core/testing.h) */
	STORE_IO_KINDS
};

/**
 * For fault-injection tests only: if GOCORONER_TEST_IOFAULT or
 * GOCORONER_TEST_IOFAULT_COUNTS is set, make a VFS over SQLite's default
 * one the default, counting the calls of each kind above on every file.
 * GOCORONER_TEST_IOFAULT=KIND:N[:ERRNO] (KIND read, write, sync, truncate,
 * filesize or coreread; ERRNO EIO, the default, or ENOSPC) fails the Nth
 * call of KIND as the system would with that errno.
 * GOCORONER_TEST_IOFAULT_COUNTS=FILE: at exit, write one line "KIND COUNT"
 * per kind to FILE. Call before any database is opened.
 */
void store_test_iofault_init(void);

/** Count one call of KIND: the errno to fail it with, or 0 to let it run. */
int store_test_io_fault(enum store_io_kind kind);

#endif
