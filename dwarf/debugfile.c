// SPDX-License-Identifier: Apache-2.0
// debugfile.c: where a stripped executable's separate debug info may be, the
// way gdb and elfutils look for it — by GNU build id under the debug
// directories, by .gnu_debuglink (CRC checked), then debuginfod — and the
// message when none is found. binary.c opens and checks each candidate.
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "dwarf/internal.h"

#ifdef HAVE_DEBUGINFOD
#include <elfutils/debuginfod.h>
#endif

static const char *const default_dirs[] = {DW_DEFAULT_DEBUG_DIR};

/* CRC-32 (IEEE 802.3, reflected, as zlib's crc32 and gdb's gnu_debuglink_crc32). */
uint32_t dw_crc32(uint32_t crc, const uint8_t *p, size_t n)
{
	static uint32_t table[256];
	static bool ready;
	if (!ready) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
		ready = true;
	}
	crc = ~crc;
	for (size_t i = 0; i < n; i++)
		crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
	return ~crc;
}

void dw_debug_search_init(struct dw_debug_search *s, const char *exe_path,
			  const struct dw_debug_options *opts)
{
	memset(s, 0, sizeof(*s));
	s->exe_path = exe_path;
	s->opts = opts;
}

void dw_debug_search_deinit(struct dw_debug_search *s)
{
	for (size_t i = 0; i < s->ncands; i++)
		free(s->cands[i].path);
	free(s->cands);
	free(s->looked);
	memset(s, 0, sizeof(*s));
}

struct util_error *dw_debug_looked(struct dw_debug_search *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *line = NULL;
	int n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return &util_enomem;
	size_t old = s->looked ? strlen(s->looked) : 0;
	char *l = realloc(s->looked, old + (old ? 2 : 0) + (size_t)n + 1);
	if (!l) {
		free(line);
		return &util_enomem;
	}
	if (old)
		memcpy(l + old, "; ", 2), old += 2;
	memcpy(l + old, line, (size_t)n + 1);
	s->looked = l;
	free(line);
	return NULL;
}

static struct util_error *add_cand(struct dw_debug_search *s, const char *source, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A place to look, PATH made of FMT; FMT NULL: SOURCE is a note for the account, in turn. */
static struct util_error *add_cand(struct dw_debug_search *s, const char *source, const char *fmt, ...)
{
	struct dw_debug_candidate *c = realloc(s->cands, (s->ncands + 1) * sizeof(*c));
	if (!c)
		return &util_enomem;
	s->cands = c;
	if (!fmt) {
		s->cands[s->ncands++] = (struct dw_debug_candidate){NULL, source};
		return NULL;
	}
	va_list ap;
	va_start(ap, fmt);
	char *path = NULL;
	int n = vasprintf(&path, fmt, ap);
	va_end(ap);
	if (n < 0)
		return &util_enomem;
	s->cands[s->ncands++] = (struct dw_debug_candidate){path, source};
	return NULL;
}

/* Debug directories: the caller's, else DW_DEFAULT_DEBUG_DIR. */
static const char *const *debug_dirs(const struct dw_debug_search *s, size_t *n)
{
	if (s->opts && s->opts->debug_dirs) {
		*n = s->opts->ndebug_dirs;
		return s->opts->debug_dirs;
	}
	*n = sizeof(default_dirs) / sizeof(*default_dirs);
	return default_dirs;
}

struct util_error *dw_debug_candidates(struct dw_debug_search *s, const char *build_id,
				       const char *debuglink)
{
	size_t ndirs;
	const char *const *dirs = debug_dirs(s, &ndirs);
	struct util_error *err = NULL;
	// 1. By GNU build id: DIR/.build-id/xx/rest.debug (gdb, elfutils).
	if (build_id && strlen(build_id) > 2) {
		for (size_t i = 0; i < ndirs && !err; i++)
			err = add_cand(s, "build id", "%s/.build-id/%.2s/%s.debug", dirs[i], build_id,
				       build_id + 2);
	} else {
		err = add_cand(s, "no GNU build id in the executable to look up", NULL);
	}
	if (err)
		return err;
	// 2. By .gnu_debuglink: the executable's directory, its .debug/, then
	// every debug directory followed by the executable's directory.
	if (!debuglink || !*debuglink || strchr(debuglink, '/'))
		return add_cand(s, "no .gnu_debuglink in the executable", NULL);
	char *abs = realpath(s->exe_path, NULL);
	const char *exe = abs ? abs : s->exe_path;
	const char *slash = strrchr(exe, '/');
	int dlen = slash ? (int)(slash - exe) : 1;
	const char *dir = slash ? exe : ".";
	err = add_cand(s, "debuglink", "%.*s/%s", dlen, dir, debuglink);
	if (!err)
		err = add_cand(s, "debuglink", "%.*s/.debug/%s", dlen, dir, debuglink);
	for (size_t i = 0; i < ndirs && !err; i++)
		err = add_cand(s, "debuglink", "%s%s%.*s/%s", dirs[i], *dir == '/' ? "" : "/", dlen, dir,
			       debuglink);
	free(abs);
	return err;
}

bool dw_debuginfod_available(void)
{
#ifdef HAVE_DEBUGINFOD
	return true;
#else
	return false;
#endif
}

struct util_error *dw_debuginfod_find(struct dw_debug_search *s, const char *build_id, char **path_ret)
{
	*path_ret = NULL;
	if (s->opts && s->opts->no_debuginfod)
		return NULL;
	const char *urls = getenv("DEBUGINFOD_URLS");
	if (!urls || !*urls)
		return dw_debug_looked(s, "debuginfod: DEBUGINFOD_URLS is not set");
	if (!dw_debuginfod_available())
		return dw_debug_looked(s, "debuginfod: this gocoroner was built without the client"
				       " (libdebuginfod)");
	if (!build_id || !*build_id)
		return dw_debug_looked(s, "debuginfod: no GNU build id to ask for");
#ifdef HAVE_DEBUGINFOD
	debuginfod_client *c = debuginfod_begin();
	if (!c)
		return dw_debug_looked(s, "debuginfod: the client could not start");
	char *path = NULL;
	// Length 0: the build id is given as a hex string.
	int fd = debuginfod_find_debuginfo(c, (const unsigned char *)build_id, 0, &path);
	debuginfod_end(c);
	if (fd < 0) {
		free(path);
		return dw_debug_looked(s, "debuginfod (%s): %s", urls, strerror(-fd));
	}
	close(fd);
	*path_ret = path;
#endif
	return NULL;
}

const char *dw_binary_debug_looked(const struct dw_binary *b)
{
	return b->debug_looked;
}

const char *dw_binary_debug_file(const struct dw_binary *b)
{
	return b->debug_path;
}

const char *dw_binary_debug_source(const struct dw_binary *b)
{
	return b->debug_path ? b->debug_source : NULL;
}
