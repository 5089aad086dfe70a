// SPDX-License-Identifier: Apache-2.0
// keep.c: the core as one zstd stream, for keeping it in the archive.
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>

#include "core/internal.h"

/** Feed the compressor this much of a raw core at a time. */
enum { KEEP_CHUNK = 1 << 20 };

/* The .zst file given to core_open, read again, if it is still that file. */
static struct util_error *read_compressed(struct core_file *core, void **ret, size_t *len_ret)
{
	int fd;
	struct util_error *err = util_open_regular(core->path, "the core", &fd);
	if (err)
		return err;
	struct stat st;
	uint8_t *buf = NULL;
	if (fstat(fd, &st) < 0) {
		err = util_error_os(errno, core->path, "fstat");
		goto out;
	}
	if ((uint64_t)st.st_size != core->src_size || st.st_mtim.tv_sec != core->src_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != core->src_mtim.tv_nsec) {
		err = util_error_create(UTIL_ERROR_BAD_DATA,
					"%s: the file changed while it was analyzed; not keeping it",
					core->path);
		goto out;
	}
	size_t len = (size_t)st.st_size;
	buf = malloc(len ? len : 1);
	if (!buf) {
		err = &util_enomem;
		goto out;
	}
	for (size_t got = 0; got < len;) {
		ssize_t n = pread(fd, buf + got, len - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? util_error_os(errno, core->path, "read")
				    : util_error_create(UTIL_ERROR_BAD_DATA,
							"%s: the file shrank while it was read", core->path);
			goto out;
		}
		got += (size_t)n;
	}
	*ret = buf;
	*len_ret = len;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return err;
}

/* Grow OUT so that it has room for at least WANT more bytes after *POS. */
static bool reserve(uint8_t **out, size_t *cap, size_t pos, size_t want)
{
	if (*cap - pos >= want)
		return true;
	size_t ncap = *cap ? *cap : 1 << 20;
	while (ncap - pos < want)
		ncap *= 2;
	uint8_t *n = realloc(*out, ncap);
	if (!n)
		return false;
	*out = n;
	*cap = ncap;
	return true;
}

/* The compression of a raw core under way. */
struct keeper {
	struct core_file *core;
	ZSTD_CCtx *cc;
	uint8_t *out;  /**< the zstd stream so far */
	size_t cap, pos;
	uint64_t fed;  /**< bytes of the core given to the compressor */
};

/* Compress SRC[0..N), the core's next N bytes; the stream ends with the core's last byte. */
static struct util_error *feed(struct keeper *k, const void *src, size_t n)
{
	k->fed += n;
	bool last = k->fed == k->core->file_size;
	ZSTD_inBuffer in = { src, n, 0 };
	const size_t step = ZSTD_CStreamOutSize();
	size_t left;
	do {
		if (!reserve(&k->out, &k->cap, k->pos, step))
			return &util_enomem;
		ZSTD_outBuffer ob = { k->out + k->pos, k->cap - k->pos, 0 };
		left = ZSTD_compressStream2(k->cc, &ob, &in, last ? ZSTD_e_end : ZSTD_e_continue);
		if (ZSTD_isError(left))
			return util_error_create(UTIL_ERROR_LIB, "%s: zstd: %s", k->core->path,
						 ZSTD_getErrorName(left));
		k->pos += ob.pos;
	} while (last ? left != 0 : in.pos < in.size);
	return NULL;
}

/*
 * Where the data at or after OFF starts, and where it ends (the next hole),
 * as SEEK_DATA and SEEK_HOLE say; a file system without them has one extent,
 * all data.
 */
static void next_extent(int fd, uint64_t off, uint64_t size, uint64_t *data_ret,
			uint64_t *hole_ret)
{
	off_t d = lseek(fd, (off_t)off, SEEK_DATA);
	if (d < 0) {
		// ENXIO: only a hole from OFF to the end.
		*data_ret = *hole_ret = errno == ENXIO ? size : off;
		if (errno != ENXIO)
			*hole_ret = size;
		return;
	}
	off_t h = lseek(fd, d, SEEK_HOLE);
	*data_ret = (uint64_t)d < size ? (uint64_t)d : size;
	*hole_ret = h < 0 || (uint64_t)h > size ? size : (uint64_t)h;
}

/*
 * The raw core compressed, read with pread in chunks rather than through the
 * map (the pages would stay in our memory), extent by extent: a hole of a
 * sparse core is given to the compressor from a buffer of zeros, never read
 * from the file, so a 1.3 GB gcore holding 50 MB costs the reading of 50 MB.
 */
static struct util_error *compress_raw(struct core_file *core, int level, void **ret,
				       size_t *len_ret)
{
	struct keeper k = { .core = core, .cc = ZSTD_createCCtx() };
	// calloc'ed, never written: its pages are the kernel's zero page.
	uint8_t *zeros = calloc(1, KEEP_CHUNK), *buf = malloc(KEEP_CHUNK);
	struct util_error *err = NULL;
	if (!k.cc || !zeros || !buf) {
		err = &util_enomem;
		goto out;
	}
	size_t rc = ZSTD_CCtx_setParameter(k.cc, ZSTD_c_compressionLevel, level);
	if (!ZSTD_isError(rc))
		rc = ZSTD_CCtx_setPledgedSrcSize(k.cc, core->file_size);
	if (ZSTD_isError(rc)) {
		err = util_error_create(UTIL_ERROR_LIB, "%s: zstd: %s", core->path,
					ZSTD_getErrorName(rc));
		goto out;
	}
	const uint64_t size = core->file_size;
	if (size == 0)
		err = feed(&k, zeros, 0);
	for (uint64_t off = 0; off < size && !err;) {
		uint64_t data, hole;
		next_extent(core->fd, off, size, &data, &hole);
		if (data < off || hole <= data) // a file changed under us: read it all
			data = off, hole = size;
		for (; off < data && !err; off += KEEP_CHUNK < data - off ? KEEP_CHUNK : data - off)
			err = feed(&k, zeros, KEEP_CHUNK < data - off ? KEEP_CHUNK : (size_t)(data - off));
		while (off < hole && !err) {
			size_t n = KEEP_CHUNK < hole - off ? KEEP_CHUNK : (size_t)(hole - off);
			ssize_t got = pread(core->fd, buf, n, (off_t)off);
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				err = got < 0 ? util_error_os(errno, core->path, "read")
					      : util_error_create(UTIL_ERROR_BAD_DATA,
								  "%s: the file shrank while it was read",
								  core->path);
				break;
			}
			err = feed(&k, buf, (size_t)got);
			off += (uint64_t)got;
		}
	}
	if (err)
		goto out;
	*ret = k.out;
	*len_ret = k.pos;
	k.out = NULL;
out:
	free(k.out);
	free(zeros);
	free(buf);
	ZSTD_freeCCtx(k.cc);
	return err;
}

struct util_error *core_zstd_image(struct core_file *core, int level, void **ret,
				   size_t *len_ret)
{
	if (core->info.compressed)
		return read_compressed(core, ret, len_ret);
	if (core->fd < 0)
		return util_error_create(UTIL_ERROR_INVALID, "%s: the core is not open", core->path);
	return compress_raw(core, level, ret, len_ret);
}
