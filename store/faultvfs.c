// SPDX-License-Identifier: Apache-2.0
// faultvfs.c: for tests only — a SQLite VFS over the real one that counts
// the I/O calls on every file SQLite opens and fails the Nth of a kind, so
// that a test can fail each write, fsync or read of a command in turn.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store/testing.h"

/* The kinds of call counted; the names GOCORONER_TEST_IOFAULT uses. */
static const char *const kind_names[STORE_IO_KINDS] = {
	[STORE_IO_READ] = "read",
	[STORE_IO_WRITE] = "write",
	[STORE_IO_SYNC] = "sync",
	[STORE_IO_TRUNCATE] = "truncate",
	[STORE_IO_FILESIZE] = "filesize",
	[STORE_IO_CORE_READ] = "coreread",
};

/* Calls so far, by kind; the analyze command's writer thread counts too. */
static unsigned long counts[STORE_IO_KINDS];
/* The call to fail: of kind fault_kind, number fault_at (1 = the first); 0: none. */
static int fault_kind;
static unsigned long fault_at;
static int fault_errno;
/* Where to write the counts at exit, or NULL. */
static const char *count_path;

/* The real VFS ("unix") and ours over it. */
static sqlite3_vfs *real_vfs;
static sqlite3_vfs fault_vfs;

/* A file of ours: its methods, then the real VFS's file. */
struct fault_file {
	sqlite3_file base;
	sqlite3_file *real; /**< right after this struct, real_vfs->szOsFile bytes */
};

/* The errno of the fault this thread injected: xGetLastError reports it. */
static _Thread_local int injected_errno;

int store_test_io_fault(enum store_io_kind kind)
{
	unsigned long n = __atomic_add_fetch(&counts[kind], 1, __ATOMIC_SEQ_CST);
	if (!fault_at || (int)kind != fault_kind || n != fault_at)
		return 0;
	injected_errno = fault_errno;
	return fault_errno;
}

/* SQLite's code for a failed call of KIND with errno ERR, as the unix VFS
 * gives it (a write that finds the disk full: SQLITE_FULL). */
static int fault_rc(enum store_io_kind kind, int err)
{
	errno = err;
	switch (kind) {
	case STORE_IO_READ:
		return SQLITE_IOERR_READ;
	case STORE_IO_WRITE:
		return err == ENOSPC ? SQLITE_FULL : SQLITE_IOERR_WRITE;
	case STORE_IO_SYNC:
		return SQLITE_IOERR_FSYNC;
	case STORE_IO_TRUNCATE:
		return SQLITE_IOERR_TRUNCATE;
	default:
		return SQLITE_IOERR_FSTAT;
	}
}

static int f_close(sqlite3_file *f)
{
	struct fault_file *ff = (struct fault_file *)f;
	return ff->real->pMethods->xClose(ff->real);
}

static int f_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
	struct fault_file *ff = (struct fault_file *)f;
	int err = store_test_io_fault(STORE_IO_READ);
	if (err)
		return fault_rc(STORE_IO_READ, err);
	return ff->real->pMethods->xRead(ff->real, buf, amt, off);
}

static int f_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off)
{
	struct fault_file *ff = (struct fault_file *)f;
	int err = store_test_io_fault(STORE_IO_WRITE);
	if (err)
		return fault_rc(STORE_IO_WRITE, err);
	return ff->real->pMethods->xWrite(ff->real, buf, amt, off);
}

static int f_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	struct fault_file *ff = (struct fault_file *)f;
	int err = store_test_io_fault(STORE_IO_TRUNCATE);
	if (err)
		return fault_rc(STORE_IO_TRUNCATE, err);
	return ff->real->pMethods->xTruncate(ff->real, size);
}

static int f_sync(sqlite3_file *f, int flags)
{
	struct fault_file *ff = (struct fault_file *)f;
	int err = store_test_io_fault(STORE_IO_SYNC);
	if (err)
		return fault_rc(STORE_IO_SYNC, err);
	return ff->real->pMethods->xSync(ff->real, flags);
}

static int f_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	struct fault_file *ff = (struct fault_file *)f;
	int err = store_test_io_fault(STORE_IO_FILESIZE);
	if (err)
		return fault_rc(STORE_IO_FILESIZE, err);
	return ff->real->pMethods->xFileSize(ff->real, size);
}

/* The rest only pass the call on. */
static int f_lock(sqlite3_file *f, int level)
{
	struct fault_file *ff = (struct fault_file *)f;
	return ff->real->pMethods->xLock(ff->real, level);
}

static int f_unlock(sqlite3_file *f, int level)
{
	struct fault_file *ff = (struct fault_file *)f;
	return ff->real->pMethods->xUnlock(ff->real, level);
}

static int f_check_reserved_lock(sqlite3_file *f, int *out)
{
	struct fault_file *ff = (struct fault_file *)f;
	return ff->real->pMethods->xCheckReservedLock(ff->real, out);
}

static int f_file_control(sqlite3_file *f, int op, void *arg)
{
	struct fault_file *ff = (struct fault_file *)f;
	return ff->real->pMethods->xFileControl(ff->real, op, arg);
}

static int f_sector_size(sqlite3_file *f)
{
	struct fault_file *ff = (struct fault_file *)f;
	return ff->real->pMethods->xSectorSize(ff->real);
}

static int f_device_characteristics(sqlite3_file *f)
{
	struct fault_file *ff = (struct fault_file *)f;
	return ff->real->pMethods->xDeviceCharacteristics(ff->real);
}

static int f_shm_map(sqlite3_file *f, int page, int size, int extend, void volatile **p)
{
	struct fault_file *ff = (struct fault_file *)f;
	return ff->real->pMethods->xShmMap(ff->real, page, size, extend, p);
}

static int f_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	struct fault_file *ff = (struct fault_file *)f;
	return ff->real->pMethods->xShmLock(ff->real, offset, n, flags);
}

static void f_shm_barrier(sqlite3_file *f)
{
	struct fault_file *ff = (struct fault_file *)f;
	ff->real->pMethods->xShmBarrier(ff->real);
}

static int f_shm_unmap(sqlite3_file *f, int delete_flag)
{
	struct fault_file *ff = (struct fault_file *)f;
	return ff->real->pMethods->xShmUnmap(ff->real, delete_flag);
}

/* No memory-mapped reads: every page then goes through xRead, counted. */
static int f_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **p)
{
	(void)f;
	(void)off;
	(void)amt;
	*p = NULL;
	return SQLITE_OK;
}

static int f_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	(void)f;
	(void)off;
	(void)p;
	return SQLITE_OK;
}

static const sqlite3_io_methods fault_methods = {
	.iVersion = 3,
	.xClose = f_close,
	.xRead = f_read,
	.xWrite = f_write,
	.xTruncate = f_truncate,
	.xSync = f_sync,
	.xFileSize = f_file_size,
	.xLock = f_lock,
	.xUnlock = f_unlock,
	.xCheckReservedLock = f_check_reserved_lock,
	.xFileControl = f_file_control,
	.xSectorSize = f_sector_size,
	.xDeviceCharacteristics = f_device_characteristics,
	.xShmMap = f_shm_map,
	.xShmLock = f_shm_lock,
	.xShmBarrier = f_shm_barrier,
	.xShmUnmap = f_shm_unmap,
	.xFetch = f_fetch,
	.xUnfetch = f_unfetch,
};

static int v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
	(void)vfs;
	struct fault_file *ff = (struct fault_file *)f;
	ff->real = (sqlite3_file *)(ff + 1);
	int rc = real_vfs->xOpen(real_vfs, name, ff->real, flags, out_flags);
	// SQLite calls xClose only on a file whose pMethods is set.
	ff->base.pMethods = ff->real->pMethods ? &fault_methods : NULL;
	return rc;
}

static int v_get_last_error(sqlite3_vfs *vfs, int n, char *buf)
{
	(void)vfs;
	// The unix VFS answers errno, which SQLite reads some calls later, and
	// maybe more than once on its way out: the injected one stays (one
	// fault per process).
	if (injected_errno)
		return injected_errno;
	return real_vfs->xGetLastError(real_vfs, n, buf);
}

/* Write the counts, one "KIND COUNT" line each, to GOCORONER_TEST_IOFAULT_COUNTS. */
static void write_counts(void)
{
	FILE *f = fopen(count_path, "w");
	if (!f)
		return;
	for (int k = 0; k < STORE_IO_KINDS; k++)
		fprintf(f, "%s %lu\n", kind_names[k],
			__atomic_load_n(&counts[k], __ATOMIC_SEQ_CST));
	fclose(f);
}

/* Parse "KIND:N[:ERRNO]" (ERRNO: EIO, the default, or ENOSPC). */
static void parse_fault(const char *spec)
{
	const char *colon = strchr(spec, ':');
	if (!colon)
		return;
	for (int k = 0; k < STORE_IO_KINDS; k++)
		if (strlen(kind_names[k]) == (size_t)(colon - spec) &&
		    strncmp(spec, kind_names[k], (size_t)(colon - spec)) == 0)
			fault_kind = k;
	char *end;
	fault_at = strtoul(colon + 1, &end, 10);
	fault_errno = strcmp(end, ":ENOSPC") == 0 ? ENOSPC : EIO;
}

void store_test_iofault_init(void)
{
	const char *spec = getenv("GOCORONER_TEST_IOFAULT");
	count_path = getenv("GOCORONER_TEST_IOFAULT_COUNTS");
	if ((!spec || !*spec) && (!count_path || !*count_path))
		return;
	if (spec && *spec)
		parse_fault(spec);
	real_vfs = sqlite3_vfs_find(NULL);
	if (!real_vfs)
		return;
	fault_vfs = *real_vfs;
	fault_vfs.iVersion = real_vfs->iVersion < 3 ? real_vfs->iVersion : 3;
	fault_vfs.szOsFile = (int)sizeof(struct fault_file) + real_vfs->szOsFile;
	fault_vfs.zName = "gocoroner-fault";
	fault_vfs.pNext = NULL;
	fault_vfs.xOpen = v_open;
	fault_vfs.xGetLastError = v_get_last_error;
	sqlite3_vfs_register(&fault_vfs, 1);
	if (count_path && *count_path)
		atexit(write_counts);
}
