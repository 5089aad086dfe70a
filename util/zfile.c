// SPDX-License-Identifier: Apache-2.0
// zfile.c: a file the user named that may be zstd-compressed (an executable
// kept as prog.zst), opened as its decompressed bytes in an anonymous file.
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zstd.h>

#include "util/util.h"

#define ZSTD_FRAME_MAGIC 0xFD2FB528u
/* Far above any executable: a stream that says more is refused. */
#define MAX_OUTPUT ((uint64_t)4 << 30)

/* An unnamed file for the decompressed bytes: in memory (memfd), else an
 * unlinked file in $TMPDIR. Nothing is left behind whatever happens. */
static struct util_error *anonymous_file(const char *path, int *fd_ret)
{
	int fd = memfd_create("gocoroner-unzstd", MFD_CLOEXEC);
	if (fd < 0) {
		const char *dir = getenv("TMPDIR");
		fd = open(dir && *dir ? dir : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	}
	if (fd < 0)
		return util_error_os(errno, path, "cannot make a file to decompress into");
	*fd_ret = fd;
	return NULL;
}

static struct util_error *write_all(int fd, const char *path, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return util_error_os(errno, path, "writing its decompressed bytes");
		p += n;
		len -= (size_t)n;
	}
	return NULL;
}

/* Decompress the zstd stream read from IN into OUT; errors name PATH. */
static struct util_error *unzstd(int in, int out, const char *path)
{
	struct util_error *err = NULL;
	size_t in_cap = ZSTD_DStreamInSize(), out_cap = ZSTD_DStreamOutSize();
	void *inbuf = malloc(in_cap), *outbuf = malloc(out_cap);
	ZSTD_DCtx *ds = ZSTD_createDCtx();
	if (!inbuf || !outbuf || !ds) {
		err = &util_enomem;
		goto out;
	}
	uint64_t total = 0;
	size_t last = 0; // ZSTD_decompressStream's last hint: 0 at a frame's end
	for (;;) {
		ssize_t n = read(in, inbuf, in_cap);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = util_error_os(errno, path, "read");
			goto out;
		}
		if (n == 0)
			break;
		ZSTD_inBuffer ib = {inbuf, (size_t)n, 0};
		while (ib.pos < ib.size) {
			ZSTD_outBuffer ob = {outbuf, out_cap, 0};
			last = ZSTD_decompressStream(ds, &ob, &ib);
			if (ZSTD_isError(last)) {
				err = util_error_create(UTIL_ERROR_BAD_DATA,
							"%s: zstd: %s after %llu bytes", path,
							ZSTD_getErrorName(last),
							(unsigned long long)total);
				goto out;
			}
			total += ob.pos;
			if (total > MAX_OUTPUT) {
				err = util_error_create(UTIL_ERROR_BAD_DATA,
							"%s: decompresses to more than %llu bytes",
							path, (unsigned long long)MAX_OUTPUT);
				goto out;
			}
			if ((err = write_all(out, path, outbuf, ob.pos)))
				goto out;
		}
	}
	if (last != 0)
		err = util_error_create(UTIL_ERROR_BAD_DATA, "%s: truncated zstd stream", path);
	else if (total == 0)
		err = util_error_create(UTIL_ERROR_BAD_DATA, "%s: decompresses to nothing", path);
out:
	ZSTD_freeDCtx(ds);
	free(inbuf);
	free(outbuf);
	return err;
}

struct util_error *util_open_unzstd(const char *path, const char *what, int *fd_ret,
				    bool *compressed_ret)
{
	int fd;
	struct util_error *err = util_open_regular(path, what, &fd);
	if (err)
		return err;
	unsigned char m[4];
	ssize_t n = pread(fd, m, sizeof(m), 0);
	uint32_t magic = n == 4 ? (uint32_t)m[0] | (uint32_t)m[1] << 8 | (uint32_t)m[2] << 16 |
					  (uint32_t)m[3] << 24
				: 0;
	if (compressed_ret)
		*compressed_ret = magic == ZSTD_FRAME_MAGIC;
	if (magic != ZSTD_FRAME_MAGIC) {
		*fd_ret = fd;
		return NULL;
	}
	int out = -1;
	err = anonymous_file(path, &out);
	if (!err)
		err = unzstd(fd, out, path);
	close(fd);
	if (err) {
		if (out >= 0)
			close(out);
		return err;
	}
	*fd_ret = out;
	return NULL;
}
