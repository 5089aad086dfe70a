// SPDX-License-Identifier: Apache-2.0
/* scratch.h: a harness's scratch folder (a core, a database), in /dev/shm when
 * there is one; the folders of harnesses that died are removed. */
#ifndef GOCORONER_FUZZ_SCRATCH_H
#define GOCORONER_FUZZ_SCRATCH_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

/* Remove FOLDER and the files in it (no subfolders). */
static inline void fuzz_scratch_remove(const char *folder)
{
	DIR *d = opendir(folder);
	if (!d)
		return;
	struct dirent *e;
	char p[512];
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			if (snprintf(p, sizeof(p), "%s/%s", folder, e->d_name) < (int)sizeof(p))
				unlink(p);
		}
	closedir(d);
	rmdir(folder);
}

/*
 * Make the folder PARENT/gocoroner-fuzz-NAME-PID-XXXXXX into RET. A crash
 * report ends the process without atexit, and libFuzzer keeps the
 * sanitizers' death callback for itself, so a folder left by a process that
 * no longer runs is removed here, at the next start.
 */
static inline int fuzz_scratch_make(const char *name, char *ret, size_t size)
{
	static const char *const parents[] = {"/dev/shm", "/tmp"};
	char prefix[128];
	snprintf(prefix, sizeof(prefix), "gocoroner-fuzz-%s-", name);
	for (size_t i = 0; i < 2; i++) {
		DIR *d = opendir(parents[i]);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
				continue;
			long pid = strtol(e->d_name + strlen(prefix), NULL, 10);
			if (pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
				char p[512];
				if (snprintf(p, sizeof(p), "%s/%s", parents[i], e->d_name) < (int)sizeof(p))
					fuzz_scratch_remove(p);
			}
		}
		if (d)
			closedir(d);
		snprintf(ret, size, "%s/%s%ld-XXXXXX", parents[i], prefix, (long)getpid());
		if (mkdtemp(ret))
			return 0;
	}
	return -1;
}

/* Decompress the .zst file SRC to PATH, its zero pages left as holes (a
 * corpus core is mostly zeros); -1 on any failure. */
static inline int fuzz_unzstd(const char *src, const char *path)
{
	FILE *in = fopen(src, "rb");
	int out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ZSTD_DStream *ds = ZSTD_createDStream();
	size_t inlen = ZSTD_DStreamInSize(), outlen = 1 << 16;
	uint8_t *ib = malloc(inlen), *ob = malloc(outlen);
	int rc = in && out >= 0 && ds && ib && ob ? 0 : -1;
	uint64_t at = 0;
	size_t n;
	while (rc == 0 && (n = fread(ib, 1, inlen, in)) > 0) {
		ZSTD_inBuffer zi = {ib, n, 0};
		while (rc == 0 && zi.pos < zi.size) {
			ZSTD_outBuffer zo = {ob, outlen, 0};
			if (ZSTD_isError(ZSTD_decompressStream(ds, &zo, &zi))) {
				rc = -1;
				break;
			}
			for (size_t off = 0; off < zo.pos; off += 4096) {
				size_t len = zo.pos - off < 4096 ? zo.pos - off : 4096;
				size_t nz = 0;
				while (nz < len && !ob[off + nz])
					nz++;
				if (nz < len &&
				    pwrite(out, ob + off, len, (off_t)(at + off)) != (ssize_t)len)
					rc = -1;
			}
			at += zo.pos;
		}
	}
	if (rc == 0 && ftruncate(out, (off_t)at) != 0)
		rc = -1;
	ZSTD_freeDStream(ds);
	free(ib);
	free(ob);
	if (in)
		fclose(in);
	if (out >= 0)
		close(out);
	return rc;
}

#endif
