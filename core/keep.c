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

/* The raw mapped core, compressed in chunks (holes read as zero pages). */
static struct util_error *compress_raw(struct core_file *core, int level, void **ret,
				       size_t *len_ret)
{
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	if (!cc)
		return &util_enomem;
	struct util_error *err = NULL;
	uint8_t *out = NULL;
	size_t cap = 0, pos = 0;
	size_t rc = ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, level);
	if (!ZSTD_isError(rc))
		rc = ZSTD_CCtx_setPledgedSrcSize(cc, core->file_size);
	if (ZSTD_isError(rc)) {
		err = util_error_create(UTIL_ERROR_LIB, "%s: zstd: %s", core->path,
					ZSTD_getErrorName(rc));
		goto out;
	}
	const size_t step = ZSTD_CStreamOutSize();
	for (uint64_t off = 0;;) {
		size_t n = core->file_size - off < KEEP_CHUNK ? (size_t)(core->file_size - off)
							      : KEEP_CHUNK;
		bool last = off + n == core->file_size;
		ZSTD_inBuffer in = { core->map + off, n, 0 };
		size_t left;
		do {
			if (!reserve(&out, &cap, pos, step)) {
				err = &util_enomem;
				goto out;
			}
			ZSTD_outBuffer ob = { out + pos, cap - pos, 0 };
			left = ZSTD_compressStream2(cc, &ob, &in, last ? ZSTD_e_end : ZSTD_e_continue);
			if (ZSTD_isError(left)) {
				err = util_error_create(UTIL_ERROR_LIB, "%s: zstd: %s", core->path,
							ZSTD_getErrorName(left));
				goto out;
			}
			pos += ob.pos;
		} while (last ? left != 0 : in.pos < in.size);
		off += n;
		if (last)
			break;
	}
	*ret = out;
	*len_ret = pos;
	out = NULL;
out:
	free(out);
	ZSTD_freeCCtx(cc);
	return err;
}

struct util_error *core_zstd_image(struct core_file *core, int level, void **ret,
				   size_t *len_ret)
{
	if (core->info.compressed)
		return read_compressed(core, ret, len_ret);
	if (!core->map)
		return util_error_create(UTIL_ERROR_INVALID, "%s: the core is not mapped", core->path);
	return compress_raw(core, level, ret, len_ret);
}
