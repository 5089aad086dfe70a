// SPDX-License-Identifier: Apache-2.0
// test-dwarf.c: unit tests for dwarf/ — layouts, constants, variables, runtime
// types and pclntab lookups on the corpus executables of every Go release,
// inline expansion checked against Go's own tracebacks, and bad input.
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <zstd.h>

#include "dwarf/dwarf.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

#define MAX_BUILDS 32

/** One corpus executable, decompressed and opened once for all tests. */
struct build {
	char name[64];      /**< "hang-go1.27-opt" */
	int minor;          /**< 27 for go1.27.3 */
	bool opt;           /**< mode "opt" (inlining on) */
	char program[32];   /**< corpus/programs/<program> */
	char traceback[256];/**< expect/<case>.traceback of its kernel core, "" if none */
	char path[400];     /**< decompressed copy */
	struct dw_binary *b;
};

static struct build builds[MAX_BUILDS];
static size_t nbuilds;
static char tmpdir[256];

/*
 * Reference values from go-runtime-layouts.md §2 (runtime.g) and §3.2
 * (waitReasonStrings length): an independent check on what DWARF says.
 */
static const struct ref {
	int minor;
	uint64_t g_size, goid, atomicstatus, waitreason, syscallsp, parent_goid; /* 0: absent */
	uint64_t nwaitreasons;
} refs[] = {
	{19, 392, 152, 144, 176, 112, 0, 27},
	{21, 408, 152, 144, 176, 112, 272, 32},
	{22, 424, 152, 144, 176, 112, 272, 37},
	{23, 432, 160, 152, 184, 112, 280, 38},
	{24, 440, 160, 152, 184, 112, 280, 44},
	{26, 456, 152, 144, 176, 104, 280, 47},
	{27, 456, 152, 144, 176, 104, 280, 47},
};

/* ---- helpers -------------------------------------------------------------- */

static void check_ok(struct util_error *err)
{
	if (err)
		fail_msg("unexpected error: %s", err->message);
}

static void check_code(struct util_error *err, enum util_error_code code, const char *needle)
{
	if (!err)
		fail_msg("expected error code %d, got success", code);
	if (err->code != code || (needle && !strstr(err->message, needle)))
		fail_msg("expected code %d with \"%s\", got %d: %s", code, needle ? needle : "",
			 err->code, err->message);
	util_error_destroy(err);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct stat st;
	char *p = NULL;
	if (fstat(fileno(f), &st) == 0 && (p = malloc(st.st_size + 1))) {
		*len = fread(p, 1, st.st_size, f);
		p[*len] = 0;
	}
	fclose(f);
	return p;
}

static void write_file(const char *path, const void *p, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Decompress a .zst file to OUT; false if SRC is missing or bad. */
static bool unzstd(const char *src, const char *out)
{
	size_t len;
	char *in = read_file(src, &len);
	if (!in)
		return false;
	FILE *f = fopen(out, "wb");
	ZSTD_DStream *ds = ZSTD_createDStream();
	size_t cap = ZSTD_DStreamOutSize();
	char *buf = malloc(cap);
	bool ok = f && ds && buf && !ZSTD_isError(ZSTD_initDStream(ds));
	ZSTD_inBuffer ib = {in, len, 0};
	size_t r = 1;
	while (ok && ib.pos < ib.size) {
		ZSTD_outBuffer ob = {buf, cap, 0};
		r = ZSTD_decompressStream(ds, &ob, &ib);
		ok = !ZSTD_isError(r) && fwrite(buf, 1, ob.pos, f) == ob.pos;
	}
	ok = ok && r == 0;
	if (f && fclose(f) != 0)
		ok = false;
	ZSTD_freeDStream(ds);
	free(buf);
	free(in);
	return ok;
}

/* Add corpus/bin/NAME.zst ("hang-go1.27-opt.zst"), decompressed into tmpdir. */
static void add_build(const char *file)
{
	int minor;
	char program[32], mode[16];
	size_t len = strlen(file);
	if (nbuilds == MAX_BUILDS || len < 5 || strcmp(file + len - 4, ".zst") != 0 ||
	    sscanf(file, "%31[^-]-go1.%d-%15[a-z].zst", program, &minor, mode) != 3)
		return;
	char name[64];
	snprintf(name, sizeof(name), "%.*s", (int)(len - 4), file);
	struct build *bd = &builds[nbuilds];
	memset(bd, 0, sizeof(*bd));
	snprintf(bd->name, sizeof(bd->name), "%s", name);
	snprintf(bd->program, sizeof(bd->program), "%s", program);
	bd->minor = minor;
	bd->opt = strcmp(mode, "opt") == 0;
	snprintf(bd->path, sizeof(bd->path), "%s/%s", tmpdir, name);
	char zst[512];
	snprintf(zst, sizeof(zst), "%s/corpus/bin/%s", TOP_SRCDIR, file);
	if (!unzstd(zst, bd->path)) {
		unlink(bd->path);
		return;
	}
	// The kernel core's traceback (GOTRACEBACK=crash: every frame with pc=),
	// named like the manifest's traceback column: expect/<exe>-kernel.traceback.
	snprintf(bd->traceback, sizeof(bd->traceback), "%s/corpus/expect/%s-kernel.traceback",
		 TOP_SRCDIR, name);
	if (access(bd->traceback, R_OK) != 0)
		bd->traceback[0] = 0;
	nbuilds++;
}

static int build_cmp(const void *x, const void *y)
{
	const struct build *a = x, *b = y;
	return a->minor != b->minor ? a->minor - b->minor : strcmp(a->name, b->name);
}

/* Every executable in corpus/bin, whether or not the manifest lists its cores yet. */
static void load_corpus(void)
{
	DIR *d = opendir(TOP_SRCDIR "/corpus/bin");
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)))
		add_build(e->d_name);
	closedir(d);
	qsort(builds, nbuilds, sizeof(builds[0]), build_cmp);
}

static int group_setup(void **state)
{
	const char *t = getenv("TMPDIR");
	snprintf(tmpdir, sizeof(tmpdir), "%s/test-dwarf-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmpdir))
		return -1;
	load_corpus();
	for (size_t i = 0; i < nbuilds; i++) {
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		struct util_error *err = dw_binary_open(builds[i].path, &builds[i].b);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (err) {
			fprintf(stderr, "%s: %s\n", builds[i].name, err->message);
			util_error_destroy(err);
			return -1;
		}
		printf("# opened %s in %.1f ms\n", builds[i].name,
		       (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	}
	return 0;
}

static int group_teardown(void **state)
{
	for (size_t i = 0; i < nbuilds; i++) {
		dw_binary_destroy(builds[i].b);
		unlink(builds[i].path);
	}
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void need_corpus(void)
{
	if (!nbuilds) {
		printf("# no corpus executables under %s/corpus: skipping\n", TOP_SRCDIR);
		skip();
	}
}

static const struct ref *ref_for(int minor)
{
	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++)
		if (refs[i].minor == minor)
			return &refs[i];
	return NULL;
}

/* ---- corpus: types, constants, variables ------------------------------- */

static void test_layouts(void **state)
{
	need_corpus();
	for (size_t i = 0; i < nbuilds; i++) {
		struct dw_binary *b = builds[i].b;
		uint64_t off, size;
		const char *tn;
		assert_true(dw_has_type(b, "runtime.g"));
		assert_false(dw_has_type(b, "runtime.noSuchType"));
		assert_true(dw_has_member(b, "runtime.g", "goid"));
		assert_true(dw_has_member(b, "runtime.g", "sched.sp"));
		assert_true(dw_has_member(b, "runtime.g", "atomicstatus"));
		assert_false(dw_has_member(b, "runtime.g", "noSuchField"));
		assert_false(dw_has_member(b, "runtime.g", "sched.sp.x"));
		check_code(dw_member_offset(b, "runtime.g", "sched.nope", &off), UTIL_ERROR_NOT_FOUND,
			   "sched.nope");
		check_code(dw_member_offset(b, "runtime.nope", "goid", &off), UTIL_ERROR_NOT_FOUND, NULL);

		check_ok(dw_member_offset(b, "runtime.g", "sched.sp", &off));
		assert_int_equal(off, 56 + 0); // g.sched @56, gobuf.sp @0 in every release
		check_ok(dw_member_offset(b, "runtime.g", "sched.pc", &off));
		assert_int_equal(off, 64);
		check_ok(dw_member_type_name(b, "runtime.g", "m", &tn));
		assert_string_equal(tn, "*runtime.m");
		check_ok(dw_member_size(b, "runtime.g", "m", &size));
		assert_int_equal(size, 8);
		check_ok(dw_member_type_name(b, "runtime.g", "sched", &tn));
		assert_string_equal(tn, "runtime.gobuf");

		// atomicstatus became an atomic.Uint32 wrapper struct in 1.20.
		bool wrapped = dw_has_member(b, "runtime.g", "atomicstatus.value");
		assert_int_equal(wrapped, builds[i].minor >= 20);
		if (wrapped) {
			uint64_t a, v;
			check_ok(dw_member_offset(b, "runtime.g", "atomicstatus", &a));
			check_ok(dw_member_offset(b, "runtime.g", "atomicstatus.value", &v));
			assert_int_equal(a, v);
			check_ok(dw_member_size(b, "runtime.g", "atomicstatus.value", &size));
			assert_int_equal(size, 4);
		}

		const struct ref *r = ref_for(builds[i].minor);
		if (!r)
			continue;
		check_ok(dw_type_size(b, "runtime.g", &size));
		assert_int_equal(size, r->g_size);
		check_ok(dw_member_offset(b, "runtime.g", "goid", &off));
		assert_int_equal(off, r->goid);
		check_ok(dw_member_offset(b, "runtime.g", "atomicstatus", &off));
		assert_int_equal(off, r->atomicstatus);
		check_ok(dw_member_offset(b, "runtime.g", "waitreason", &off));
		assert_int_equal(off, r->waitreason);
		check_ok(dw_member_offset(b, "runtime.g", "syscallsp", &off));
		assert_int_equal(off, r->syscallsp);
		if (r->parent_goid) {
			check_ok(dw_member_offset(b, "runtime.g", "parentGoid", &off));
			assert_int_equal(off, r->parent_goid);
		} else {
			assert_false(dw_has_member(b, "runtime.g", "parentGoid"));
		}
	}
}

struct prefix_count {
	int n;
	bool saw_waiting;
};

static struct util_error *count_g(const char *name, int64_t value, void *arg)
{
	struct prefix_count *c = arg;
	assert_int_equal(strncmp(name, "runtime._G", 10), 0);
	c->n++;
	if (!strcmp(name, "runtime._Gwaiting"))
		c->saw_waiting = value == 4;
	return NULL;
}

static struct util_error *stop_at_first(const char *name, int64_t value, void *arg)
{
	++*(int *)arg;
	return util_error_create(UTIL_ERROR_STOP, "stop");
}

static void test_constants_variables(void **state)
{
	need_corpus();
	for (size_t i = 0; i < nbuilds; i++) {
		struct dw_binary *b = builds[i].b;
		int64_t v;
		check_ok(dw_constant(b, "runtime._Gwaiting", &v));
		assert_int_equal(v, 4);
		check_ok(dw_constant(b, "runtime._Grunning", &v));
		assert_int_equal(v, 2);
		check_code(dw_constant(b, "runtime._Gnope", &v), UTIL_ERROR_NOT_FOUND, NULL);
		struct prefix_count c = {0};
		check_ok(dw_constants_with_prefix(b, "runtime._G", count_g, &c));
		assert_true(c.n >= 10);
		assert_true(c.saw_waiting);
		int calls = 0;
		check_code(dw_constants_with_prefix(b, "runtime.waitReason", stop_at_first, &calls),
			   UTIL_ERROR_STOP, NULL);
		assert_int_equal(calls, 1);

		uint64_t addr, size;
		check_ok(dw_variable(b, "runtime.allgs", &addr, &size));
		assert_int_equal(size, 24); // []*g
		check_ok(dw_variable(b, "runtime.allglen", &addr, &size));
		assert_int_equal(size, 8);
		check_ok(dw_variable(b, "runtime.allm", &addr, &size));
		assert_int_equal(size, 8);
		check_ok(dw_variable(b, "runtime.firstmoduledata", &addr, &size));
		uint64_t mdsize;
		check_ok(dw_type_size(b, "runtime.moduledata", &mdsize));
		assert_int_equal(size, mdsize);
		check_code(dw_variable(b, "runtime.noSuchVar", &addr, &size), UTIL_ERROR_NOT_FOUND, NULL);

		const struct ref *r = ref_for(builds[i].minor);
		check_ok(dw_variable(b, "runtime.waitReasonStrings", &addr, &size));
		assert_int_equal(size % 16, 0);
		if (r)
			assert_int_equal(size / 16, r->nwaitreasons);
		// Statically initialised: the strings are in the file. Entry 0 is "".
		uint64_t s[2];
		check_ok(dw_binary_read(b, addr + 16, s, sizeof(s)));
		assert_true(s[1] > 0 && s[1] < 64);

		// runtime.buildVersion = "go1.N.P", read from the executable.
		check_ok(dw_variable(b, "runtime.buildVersion", &addr, &size));
		assert_int_equal(size, 16);
		check_ok(dw_binary_read(b, addr, s, sizeof(s)));
		char ver[64] = {0}, want[16];
		assert_true(s[1] > 4 && s[1] < sizeof(ver));
		check_ok(dw_binary_read(b, s[0], ver, s[1]));
		snprintf(want, sizeof(want), "go1.%d.", builds[i].minor);
		assert_int_equal(strncmp(ver, want, strlen(want)), 0);
		assert_non_null(strstr(dw_binary_producer(b), want));
		assert_int_equal(strncmp(dw_binary_producer(b), "Go cmd/compile go1.", 19), 0);

		// Outside every file-backed segment: a fault with the address.
		struct util_error *err = dw_binary_read(b, 0x10, s, 8);
		assert_non_null(err);
		assert_int_equal(err->code, UTIL_ERROR_FAULT);
		assert_int_equal(err->address, 0x10);
		util_error_destroy(err);

		check_ok(dw_symbol(b, "runtime.main", &addr));
		assert_int_equal(addr, dw_func_by_name(b, "runtime.main")->entry);
		check_code(dw_symbol(b, "no.such.symbol", &addr), UTIL_ERROR_NOT_FOUND, NULL);
	}
}

static void test_build_ids(void **state)
{
	need_corpus();
	for (size_t i = 0; i < nbuilds; i++) {
		struct dw_binary *b = builds[i].b;
		// "actionID/contentID" pairs separated by '/', from .note.go.buildid.
		assert_non_null(strchr(dw_binary_go_build_id(b), '/'));
		const char *gnu = dw_binary_gnu_build_id(b);
		assert_int_equal(strspn(gnu, "0123456789abcdef"), strlen(gnu));
		assert_true(*gnu == 0 || strlen(gnu) == 40);
		assert_string_equal(dw_binary_path(b), builds[i].path);
		// A string-literal probe: Go 1.27 changed PanicNilError's text
		// (runtime/panic.go:794); every build links the runtime's copy.
		static const char nil27[] = "runtime error: panic called with nil argument";
		assert_int_equal(dw_binary_contains(b, nil27, sizeof(nil27) - 1), builds[i].minor >= 27);
		// PanicNilError itself is new in Go 1.21.
		assert_int_equal(dw_binary_contains(b, "panic called with nil argument", 30),
				 builds[i].minor >= 21);
		assert_false(dw_binary_contains(b, "no such string in any Go binary \x01\x02", 34));
	}
}

/* Decode the runtime name of a type descriptor (go-runtime-layouts.md §9.2, option B). */
static void runtime_type_name(struct dw_binary *b, uint64_t types, uint64_t off, char *out, size_t cap)
{
	uint8_t t[48];
	check_ok(dw_binary_read(b, types + off, t, sizeof(t)));
	int32_t str;
	memcpy(&str, t + 40, 4);
	uint8_t tflag = t[20], hdr[11];
	check_ok(dw_binary_read(b, types + str, hdr, sizeof(hdr)));
	size_t len = 0, p = 1;
	for (int shift = 0; p < sizeof(hdr); shift += 7) {
		len |= (size_t)(hdr[p] & 0x7f) << shift;
		if (!(hdr[p++] & 0x80))
			break;
	}
	assert_true(len < cap);
	check_ok(dw_binary_read(b, types + str + p, out, len));
	out[len] = 0;
	if (tflag & 2) // TFlagExtraStar: the stored name has a leading '*' to drop
		memmove(out, out + 1, len);
}

static void test_runtime_types(void **state)
{
	need_corpus();
	for (size_t i = 0; i < nbuilds; i++) {
		struct dw_binary *b = builds[i].b;
		uint64_t md, size, off, types;
		check_ok(dw_variable(b, "runtime.firstmoduledata", &md, &size));
		check_ok(dw_member_offset(b, "runtime.moduledata", "types", &off));
		check_ok(dw_binary_read(b, md + off, &types, sizeof(types)));
		// uintptr carries an absolute address in 1.19–1.22 DWARF: it must still map.
		static const char *const names[] = {"*runtime.g", "runtime.g", "uintptr", "string", "int"};
		for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
			const char *back;
			char rt[256];
			check_ok(dw_type_runtime_offset(b, names[k], &off));
			check_ok(dw_type_by_runtime_offset(b, off, &back));
			assert_string_equal(back, names[k]);
			runtime_type_name(b, types, off, rt, sizeof(rt));
			assert_string_equal(rt, names[k]);
		}
		const char *n;
		check_code(dw_type_by_runtime_offset(b, 0x7fffffff, &n), UTIL_ERROR_NOT_FOUND, NULL);
		check_code(dw_type_runtime_offset(b, "runtime.noSuchType", &off), UTIL_ERROR_NOT_FOUND, NULL);
	}
}

/* Whether OFFS (N of them) holds an offset in [LO, HI). */
static bool any_in(const uint64_t *offs, size_t n, uint64_t lo, uint64_t hi)
{
	for (size_t i = 0; i < n; i++)
		if (offs[i] >= lo && offs[i] < hi)
			return true;
	return false;
}

/* The pointer words of runtime types, by the types' own DWARF, against
 * members whose types say what they are: a *mcache is a pointer, a
 * muintptr and the write barrier buffer's [N]uintptr are not; every slot of
 * an array of pointers is one. */
static void test_pointer_offsets(void **state)
{
	need_corpus();
	static uint64_t offs[8192];
	for (size_t i = 0; i < nbuilds; i++) {
		struct dw_binary *b = builds[i].b;
		size_t n = 0;
		uint64_t off, size, psize;
		check_ok(dw_type_pointer_offsets(b, "runtime.p", offs, 8192, &n));
		check_ok(dw_type_size(b, "runtime.p", &psize));
		assert_true(n > 10);
		for (size_t k = 0; k < n; k++)
			assert_true(offs[k] + 8 <= psize && offs[k] % 8 == 0);
		check_ok(dw_member_offset(b, "runtime.p", "mcache", &off));
		assert_true(any_in(offs, n, off, off + 1));
		check_ok(dw_member_offset(b, "runtime.p", "m", &off)); // muintptr
		assert_false(any_in(offs, n, off, off + 8));
		check_ok(dw_member_offset(b, "runtime.p", "wbBuf", &off));
		check_ok(dw_member_size(b, "runtime.p", "wbBuf", &size));
		assert_false(any_in(offs, n, off, off + size));
		// sudogbuf [128]*sudog: 128 pointers, one a word.
		check_ok(dw_member_offset(b, "runtime.p", "sudogbuf", &off));
		check_ok(dw_member_size(b, "runtime.p", "sudogbuf", &size));
		size_t in = 0;
		for (size_t k = 0; k < n; k++)
			in += offs[k] >= off && offs[k] < off + size;
		assert_int_equal(in, size / 8);
		check_code(dw_type_pointer_offsets(b, "runtime.p", offs, 4, &n), UTIL_ERROR_BAD_DATA, NULL);
		check_code(dw_type_pointer_offsets(b, "runtime.noSuchType", offs, 8192, &n),
			   UTIL_ERROR_NOT_FOUND, NULL);
	}
}

struct global_probe {
	size_t n;
	uint64_t build_version;
};

static struct util_error *count_global(void *arg, const char *name, uint64_t addr, uint64_t die)
{
	struct global_probe *g = arg;
	(void)die;
	g->n++;
	if (strcmp(name, "runtime.buildVersion") == 0)
		g->build_version = addr;
	return NULL;
}

/* dw_type_shape, what ctxroots.c walks values with, and dw_globals_each. */
static void test_type_shapes(void **state)
{
	(void)state;
	need_corpus();
	for (size_t i = 0; i < nbuilds; i++) {
		struct dw_binary *b = builds[i].b;
		struct dw_type_shape sh;
		uint64_t die, size;
		assert_true(dw_type_shape(b, dw_type_die(b, "error"), &sh));
		assert_int_equal(sh.kind, DW_GO_IFACE);
		assert_int_equal(sh.size, 16);
		assert_false(sh.empty_iface);
		assert_string_equal(sh.name, "error");
		assert_true(dw_type_shape(b, dw_type_die(b, "interface {}"), &sh));
		assert_int_equal(sh.kind, DW_GO_IFACE);
		assert_true(sh.empty_iface);
		assert_true(dw_type_shape(b, dw_type_die(b, "runtime.p"), &sh));
		assert_int_equal(sh.kind, DW_GO_STRUCT);
		check_ok(dw_type_size(b, "runtime.p", &size));
		assert_int_equal(sh.size, size);
		assert_true(dw_type_shape(b, dw_type_die(b, "*runtime.g"), &sh));
		assert_int_equal(sh.kind, DW_GO_PTR);
		assert_int_equal(sh.size, 8);
		assert_string_equal(dw_type_die_name(b, sh.elem), "runtime.g");
		assert_true(dw_type_shape(b, dw_type_die(b, "[]string"), &sh));
		assert_int_equal(sh.kind, DW_GO_SLICE);
		assert_int_equal(sh.size, 24);
		assert_string_equal(dw_type_die_name(b, sh.elem), "string");
		assert_true(dw_type_shape(b, dw_type_die(b, "[8]uint8"), &sh));
		assert_int_equal(sh.kind, DW_GO_ARRAY);
		assert_int_equal(sh.count, 8);
		assert_int_equal(sh.size, 8);
		assert_string_equal(dw_type_die_name(b, sh.elem), "uint8");
		if ((die = dw_type_die(b, "map[string]string"))) {
			assert_true(dw_type_shape(b, die, &sh));
			assert_int_equal(sh.kind, DW_GO_MAP);
			assert_int_equal(sh.size, 8);
			assert_string_equal(dw_type_die_name(b, sh.key), "string");
			assert_string_equal(dw_type_die_name(b, sh.elem), "string");
		}
		if ((die = dw_type_die(b, "chan struct {}"))) {
			assert_true(dw_type_shape(b, die, &sh));
			assert_int_equal(sh.kind, DW_GO_CHAN);
			assert_string_equal(dw_type_die_name(b, sh.elem), "struct {}");
		}
		assert_false(dw_type_shape(b, 0, &sh));
		struct global_probe g = {0};
		uint64_t addr, vsize;
		check_ok(dw_globals_each(b, count_global, &g));
		check_ok(dw_variable(b, "runtime.buildVersion", &addr, &vsize));
		assert_true(g.n > 100);
		assert_int_equal(g.build_version, addr);
	}
}

/* ---- corpus: functions -------------------------------------------------- */

/* The line of "func main() {" in corpus/programs/PROGRAM/main.go. */
static int main_line(const char *program)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/corpus/programs/%s/main.go", TOP_SRCDIR, program);
	size_t len;
	char *src = read_file(path, &len);
	assert_non_null(src);
	int line = 1, found = 0;
	for (char *p = src; *p; p++) {
		if ((p == src || p[-1] == '\n') && strncmp(p, "func main() {", 13) == 0) {
			found = line;
			break;
		}
		line += *p == '\n';
	}
	free(src);
	assert_true(found > 0);
	return found;
}

static void test_funcs(void **state)
{
	need_corpus();
	for (size_t i = 0; i < nbuilds; i++) {
		struct dw_binary *b = builds[i].b;
		const struct dw_func *f = dw_func_by_name(b, "main.main");
		assert_non_null(f);
		assert_string_equal(f->name, "main.main");
		assert_true(f->entry < f->end);
		assert_ptr_equal(dw_func_at(b, f->entry), f);
		assert_ptr_equal(dw_func_at(b, f->entry + 1), f);
		assert_ptr_equal(dw_func_at(b, f->end - 1), f);
		assert_ptr_not_equal(dw_func_at(b, f->end), f);
		assert_null(dw_func_at(b, 0));
		assert_null(dw_func_at(b, UINT64_MAX));
		assert_null(dw_func_by_name(b, "main.noSuchFunc"));

		const char *file;
		int line, want = main_line(builds[i].program);
		check_ok(dw_pc_line(b, f, f->entry, &file, &line));
		assert_int_equal(line, want);
		assert_non_null(strstr(file, "main.go"));
		// _func.startLine exists from Go 1.20.
		assert_int_equal(f->start_line, builds[i].minor >= 20 ? want : 0);

		int32_t sp;
		check_ok(dw_func_spdelta(b, f, f->entry, &sp));
		assert_int_equal(sp, 0);
		check_ok(dw_func_spdelta(b, f, f->entry + (f->end - f->entry) / 2, &sp));
		assert_true(sp > 0 && sp % 8 == 0);
		check_code(dw_func_spdelta(b, f, f->end, &sp), UTIL_ERROR_INVALID, NULL);
		check_code(dw_pc_line(b, f, f->entry - 1, &file, &line), UTIL_ERROR_INVALID, NULL);
		struct dw_location loc[4];
		size_t n;
		check_code(dw_pc_expand(b, f, f->end, loc, 4, &n), UTIL_ERROR_INVALID, NULL);

		// Flags (internal/abi FuncFlag; runtime funcFlag_* in 1.19).
		assert_false(dw_func_is_topframe(b, f));
		assert_false(dw_func_is_spwrite(b, f));
		assert_false(dw_func_is_wrapper(b, f));
		assert_true(dw_func_is_topframe(b, dw_func_by_name(b, "runtime.goexit")));
		assert_true(dw_func_is_topframe(b, dw_func_by_name(b, "runtime.mstart")));
		assert_true(dw_func_is_topframe(b, dw_func_by_name(b, "runtime.rt0_go")));
		assert_true(dw_func_is_spwrite(b, dw_func_by_name(b, "runtime.systemstack")));
		assert_true(dw_func_is_spwrite(b, dw_func_by_name(b, "runtime.mcall")));
		assert_false(dw_func_is_wrapper(b, dw_func_by_name(b, "runtime.systemstack")));
		// The go statements in gcenable compile to wrappers: func1/func2
		// before 1.22, gowrap1/gowrap2 after.
		const struct dw_func *w = dw_func_by_name(b, "runtime.gcenable.gowrap1");
		if (!w)
			w = dw_func_by_name(b, "runtime.gcenable.func1");
		assert_non_null(w);
		assert_true(dw_func_is_wrapper(b, w));

		// Physical location, no inlining at a function entry.
		check_ok(dw_pc_expand(b, f, f->entry, loc, 4, &n));
		assert_int_equal(n, 1);
		assert_string_equal(loc[0].func, "main.main");
		assert_int_equal(loc[0].line, want);
		assert_false(loc[0].inlined);
		check_ok(dw_pc_expand(b, f, f->entry, loc, 0, &n));
		assert_int_equal(n, 0);
	}
}

/*
 * Frame variables (go-runtime-layouts.md §9.5): in a debug build the
 * parameters of main.closedChanHolder(closed, wait chan int) are in
 * registers at the entry, then in the caller-reserved spill area: closed at
 * CFA+0, wait at CFA+8. Optimized builds may place them anywhere, but never
 * in an error.
 */
static void test_frame_vars(void **state)
{
	need_corpus();
	for (size_t i = 0; i < nbuilds; i++) {
		struct dw_binary *b = builds[i].b;
		if (strcmp(builds[i].program, "hang") != 0)
			continue;
		const struct dw_func *f = dw_func_by_name(b, "main.closedChanHolder");
		assert_non_null(f);
		const struct dw_func_vars *fv, *again;
		check_ok(dw_func_vars(b, f, &fv));
		check_ok(dw_func_vars(b, f, &again));
		assert_ptr_equal(fv, again); // cached
		assert_true(fv->has_chans);
		const struct dw_var *closed = NULL, *wait = NULL;
		for (size_t k = 0; k < fv->n; k++) {
			if (strcmp(fv->vars[k].name, "closed") == 0)
				closed = &fv->vars[k];
			else if (strcmp(fv->vars[k].name, "wait") == 0)
				wait = &fv->vars[k];
		}
		assert_non_null(closed);
		assert_non_null(wait);
		assert_true(closed->is_param && wait->is_param);
		assert_true(dw_type_is_chan(b, closed->type_die));
		assert_int_equal(closed->nchans, 1);
		assert_false(closed->chans_via_pointer);
		uint64_t sd;
		assert_false(dw_type_is_struct(b, closed->type_die, &sd));
		assert_false(dw_type_is_pointer_to_struct(b, closed->type_die, &sd));

		struct dw_var_loc loc;
		uint64_t mid = f->entry + (f->end - f->entry) / 2;
		check_ok(dw_var_location_at(b, f, closed, mid, &loc));
		if (!builds[i].opt) {
			assert_int_equal(loc.npieces, 1);
			assert_true(loc.pieces[0].available);
			assert_int_equal(loc.pieces[0].cfa_offset, 0);
			check_ok(dw_var_location_at(b, f, wait, mid, &loc));
			assert_int_equal(loc.npieces, 1);
			assert_true(loc.pieces[0].available);
			assert_int_equal(loc.pieces[0].cfa_offset, 8);
			// At the entry the value is still in a register (RAX).
			check_ok(dw_var_location_at(b, f, closed, f->entry, &loc));
			assert_int_equal(loc.npieces, 0);
		}
		// Assembly has no DW_TAG_subprogram: no variables.
		const struct dw_func *gogo = dw_func_by_name(b, "runtime.gogo");
		assert_non_null(gogo);
		check_ok(dw_func_vars(b, gogo, &fv));
		assert_int_equal(fv->n, 0);
		assert_false(fv->has_chans);
	}
}

static void test_func_table(void **state)
{
	need_corpus();
	for (size_t i = 0; i < nbuilds; i++) {
		struct dw_binary *b = builds[i].b;
		// Walk all functions through dw_func_at: they tile the text in order.
		uint64_t pc;
		check_ok(dw_symbol(b, "runtime.text", &pc));
		const struct dw_func *f = dw_func_at(b, pc);
		assert_non_null(f);
		size_t n = 0;
		while (f && n < 1000000) {
			assert_true(f->end >= f->entry);
			assert_ptr_equal(dw_func_at(b, f->entry + (f->end - f->entry) / 2), f->end > f->entry ? f : dw_func_at(b, f->entry));
			n++;
			const struct dw_func *next = dw_func_at(b, f->end);
			assert_true(!next || next->entry >= f->end);
			f = next;
		}
		assert_true(n > 1000);
	}
}

/*
 * dw_func_at's bucket index against a search of its own: the functions, in
 * entry order as the tiling walk finds them, and for pcs all over the text
 * (every 3rd byte: each bucket boundary and function edge lands on several)
 * the last function whose entry is at or before the pc.
 */
static void test_func_at_index(void **state)
{
	need_corpus();
	for (size_t i = 0; i < nbuilds; i++) {
		struct dw_binary *b = builds[i].b;
		uint64_t text;
		check_ok(dw_symbol(b, "runtime.text", &text));
		const struct dw_func **fs = NULL;
		size_t n = 0, cap = 0;
		for (const struct dw_func *f = dw_func_at(b, text); f && n < 1000000; f = dw_func_at(b, f->end)) {
			if (n == cap) {
				cap = cap ? 2 * cap : 1024;
				fs = realloc(fs, cap * sizeof(*fs));
				assert_non_null(fs);
			}
			fs[n++] = f;
			if (f->end <= f->entry)
				break;
		}
		assert_true(n > 1000);
		uint64_t end = fs[n - 1]->end;
		size_t k = 0, checked = 0;
		for (uint64_t pc = fs[0]->entry; pc < end; pc += 3, checked++) {
			while (k + 1 < n && fs[k + 1]->entry <= pc)
				k++;
			const struct dw_func *got = dw_func_at(b, pc);
			if (got != fs[k])
				fail_msg("%s: pc %#" PRIx64 ": %s, expected %s", builds[i].name, pc,
					 got ? got->name : "(none)", fs[k]->name);
		}
		assert_true(checked > 100000);
		free(fs);
	}
}

/* ---- corpus: inline expansion against Go's own tracebacks --------------- */

struct frame {
	char func[256];
	char file[256];
	int line;
};

/* A frame line and its location line; PC, FP, SP are 0 unless printed. */
static bool parse_frame(const char *fl, const char *loc, struct frame *fr, bool *inlined,
			uint64_t *pc, uint64_t *fp, uint64_t *sp)
{
	size_t len = strlen(fl);
	*inlined = len > 5 && strcmp(fl + len - 5, "(...)") == 0;
	const char *paren = *inlined ? fl + len - 5 : strrchr(fl, '(');
	if (!paren)
		return false;
	snprintf(fr->func, sizeof(fr->func), "%.*s", (int)(paren - fl), fl);
	if (!strcmp(fr->func, "panic")) // printFuncName prints runtime.gopanic as "panic"
		snprintf(fr->func, sizeof(fr->func), "runtime.gopanic");
	size_t tok = strcspn(loc + 1, " ");
	const char *colon = NULL;
	for (const char *p = loc + 1; p < loc + 1 + tok; p++)
		if (*p == ':')
			colon = p;
	if (!colon)
		return false;
	snprintf(fr->file, sizeof(fr->file), "%.*s", (int)(colon - loc - 1), loc + 1);
	fr->line = atoi(colon + 1);
	const char *p = strstr(loc, " pc=0x");
	*pc = p ? strtoull(p + 6, NULL, 16) : 0;
	p = strstr(loc, " fp=0x");
	*fp = p ? strtoull(p + 6, NULL, 16) : 0;
	p = strstr(loc, " sp=0x");
	*sp = p ? strtoull(p + 6, NULL, 16) : 0;
	return true;
}

static bool same_frames(struct dw_binary *b, const struct dw_func *f, uint64_t pc,
			const struct frame *want, size_t nwant)
{
	struct dw_location loc[64];
	size_t n;
	check_ok(dw_pc_expand(b, f, pc, loc, 64, &n));
	if (n != nwant)
		return false;
	for (size_t k = 0; k < n; k++)
		if (strcmp(loc[k].func, want[k].func) || strcmp(loc[k].file, want[k].file) ||
		    loc[k].line != want[k].line || loc[k].inlined != (k + 1 < n))
			return false;
	return true;
}

/*
 * GOTRACEBACK=crash prints every frame of every goroutine with its pc; each
 * physical frame, and the inlined frames printed above it, must be exactly
 * what dw_pc_expand gives for that pc. Go looks the pc up minus one (a return
 * address), except at a trap: the innermost frame, and frames interrupted by
 * sigpanic/asyncPreempt/debugCallV2 (1.27 runtime/traceback.go symPC).
 */
static void check_traceback(struct build *bd, size_t *groups, size_t *inlined, size_t *spdeltas)
{
	size_t len;
	char *text = read_file(bd->traceback, &len);
	if (!text)
		return;
	char **lines = NULL;
	size_t nlines = 0;
	for (char *p = text, *nl; *p; p = nl + 1) {
		lines = realloc(lines, (nlines + 1) * sizeof(*lines));
		assert_non_null(lines);
		lines[nlines++] = p;
		nl = strchr(p, '\n');
		if (!nl)
			break;
		*nl = 0;
	}
	static struct frame pend[64];
	size_t npend = 0;
	bool trap = true;
	for (size_t i = 0; i + 1 < nlines; i++) {
		const char *l = lines[i];
		if (!strncmp(l, "goroutine ", 10)) {
			npend = 0;
			trap = true;
			continue;
		}
		if (!*l || l[0] == '\t' || lines[i + 1][0] != '\t' || !strncmp(l, "created by ", 11))
			continue;
		bool inl;
		uint64_t pc = 0, fp = 0, sp = 0;
		assert_true(npend < 64);
		if (!parse_frame(l, lines[i + 1], &pend[npend], &inl, &pc, &fp, &sp))
			fail_msg("%s:%zu: cannot parse frame", bd->traceback, i + 1);
		npend++;
		i++;
		if (inl)
			continue;
		if (pc) {
			const struct dw_func *f = dw_func_at(bd->b, pc);
			if (!f)
				fail_msg("%s:%zu: no function at %#" PRIx64, bd->traceback, i, pc);
			bool ok = same_frames(bd->b, f, pc > f->entry ? pc - 1 : pc, pend, npend) ||
				  (trap && same_frames(bd->b, f, pc, pend, npend));
			if (!ok) {
				struct dw_location loc[64];
				size_t n;
				check_ok(dw_pc_expand(bd->b, f, pc - 1, loc, 64, &n));
				fail_msg("%s:%zu: pc %#" PRIx64 ": want %s %s:%d (%zu frames), got %s %s:%d (%zu)",
					 bd->traceback, i, pc, pend[0].func, pend[0].file, pend[0].line, npend,
					 loc[0].func, loc[0].file, loc[0].line, n);
			}
			++*groups;
			*inlined += npend - 1;
			// The unwinder's frame size: fp = sp + spdelta(pc) + 8 on amd64
			// (runtime/traceback.go), unless the frame switched stacks.
			int32_t delta;
			if (fp > sp && fp - sp < (1 << 20) && !dw_func_is_spwrite(bd->b, f) &&
			    !dw_func_is_topframe(bd->b, f)) {
				check_ok(dw_func_spdelta(bd->b, f, pc, &delta));
				if ((uint64_t)delta + 8 != fp - sp)
					fail_msg("%s:%zu: %s spdelta %d, traceback says %" PRIu64,
						 bd->traceback, i, f->name, delta, fp - sp - 8);
				++*spdeltas;
			}
		}
		const char *fn = pend[npend - 1].func;
		trap = !strcmp(fn, "runtime.sigpanic") || !strcmp(fn, "runtime.asyncPreempt") ||
		       !strcmp(fn, "runtime.debugCallV2");
		npend = 0;
	}
	free(lines);
	free(text);
}

static void test_tracebacks(void **state)
{
	need_corpus();
	size_t checked = 0;
	for (size_t i = 0; i < nbuilds; i++) {
		if (!builds[i].traceback[0])
			continue;
		size_t groups = 0, inlined = 0, spdeltas = 0;
		check_traceback(&builds[i], &groups, &inlined, &spdeltas);
		printf("# %s: %zu frames checked against Go's traceback (%zu inlined, %zu frame sizes)\n",
		       builds[i].name, groups, inlined, spdeltas);
		assert_true(spdeltas > 20);
		assert_true(groups > 20);
		// Optimized builds inline (runtime.goparkunlock, syscall.Read, ...).
		if (builds[i].opt)
			assert_true(inlined > 0);
		checked++;
	}
	if (!checked)
		skip();
}

/* ---- bad input ------------------------------------------------------------- */

static void test_not_go(void **state)
{
	struct dw_binary *b = NULL;
	char want[4200];
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = 0;
	snprintf(want, sizeof(want), "%s: not a Go executable (no .gopclntab)", self);
	struct util_error *err = dw_binary_open(self, &b);
	assert_non_null(err);
	assert_int_equal(err->code, UTIL_ERROR_UNSUPPORTED);
	assert_string_equal(err->message, want);
	util_error_destroy(err);
	assert_null(b);
}

/* Replace every OLD in the file at PATH by NEW (same length); false if none. */
static bool patch_file(const char *path, const char *old, const char *new)
{
	FILE *f = fopen(path, "r+b");
	if (!f)
		return false;
	static char buf[16 << 20];
	size_t n = fread(buf, 1, sizeof(buf), f), len = strlen(old);
	bool ok = false;
	for (char *p = buf; (p = memmem(p, n - (p - buf), old, len)); p += len)
		ok = fseek(f, p - buf, SEEK_SET) == 0 && fwrite(new, 1, len, f) == len;
	return fclose(f) == 0 && ok;
}

static void test_stripped(void **state)
{
	char path[300];
	snprintf(path, sizeof(path), "%s/stripped", tmpdir);
	// tests/data/stripped-go1.27.zst: "package main; func main() {}" built by
	// go1.27.3 with -trimpath -ldflags='-s -w'.
	if (!unzstd(TOP_SRCDIR "/tests/data/stripped-go1.27.zst", path))
		skip();
	// No DWARF: the degraded mode, from the built-in go1.27 layouts.
	struct dw_binary *b = NULL;
	// No debug file anywhere either: the degraded mode says where it looked.
	const char *dirs[] = {tmpdir};
	struct dw_debug_options o = {.debug_dirs = dirs, .ndebug_dirs = 1, .no_debuginfod = true};
	assert_null(dw_binary_open_with(path, &o, &b));
	assert_true(dw_binary_is_stripped(b));
	const char *looked = dw_binary_debug_looked(b);
	assert_non_null(looked);
	// Built by Go 1.27 with -s -w: a GNU build id (Go 1.24+ links one)
	// or not, no debuglink.
	char dir[400];
	snprintf(dir, sizeof(dir), "%s/.build-id/", tmpdir);
	assert_true(strstr(looked, dir) || strstr(looked, "no GNU build id in the executable to look up"));
	assert_non_null(strstr(looked, "no .gnu_debuglink in the executable"));
	assert_string_equal(dw_binary_layouts_release(b), "go1.27");
	assert_string_equal(dw_binary_build_version(b), "go1.27.3");
	uint64_t v, size;
	assert_null(dw_type_size(b, "runtime.g", &v));
	assert_int_equal(v, 456);
	assert_null(dw_member_offset(b, "runtime.g", "goid", &v));
	assert_int_equal(v, 152);
	check_code(dw_member_offset(b, "runtime.g", "nosuchmember", &v), UTIL_ERROR_NOT_FOUND, "nosuchmember");
	check_code(dw_type_size(b, "context.cancelCtx", &v), UTIL_ERROR_NOT_FOUND, "context.cancelCtx");
	int64_t c;
	assert_null(dw_constant(b, "runtime._Gwaiting", &c));
	assert_int_equal(c, 4);
	// Found in the file: moduledata by its pcHeader word, the wait reasons by their first entries.
	assert_null(dw_variable(b, "runtime.firstmoduledata", &v, &size));
	assert_null(dw_variable(b, "runtime.waitReasonStrings", &v, &size));
	assert_int_equal(size, 752);
	assert_non_null(dw_binary_heuristic(b, 0));
	// Not in the file: runtime.allgs is found in the core (goruntime/stripped.c).
	check_code(dw_variable(b, "runtime.allgs", &v, &size), UTIL_ERROR_NOT_FOUND, "runtime.allgs");
	// The pclntab still names functions.
	const struct dw_func *f = dw_func_by_name(b, "main.main");
	assert_non_null(f);
	assert_ptr_equal(dw_func_at(b, f->entry), f);
	dw_binary_destroy(b);

	// A release without built-in layouts is refused, naming it.
	assert_true(patch_file(path, "go1.27.3", "go1.20.3"));
	char want[512];
	snprintf(want, sizeof(want),
		 "%s: has no DWARF debug info (stripped, e.g. built with -ldflags='-s -w') and "
		 "gocoroner has no built-in layouts for go1.20.3; it needs the unstripped executable",
		 path);
	b = NULL;
	struct util_error *err = dw_binary_open(path, &b);
	assert_non_null(err);
	assert_int_equal(err->code, UTIL_ERROR_UNSUPPORTED);
	assert_string_equal(err->message, want);
	util_error_destroy(err);
	assert_null(b);

	// Without a Go version in .go.buildinfo there is no table to choose.
	assert_true(patch_file(path, "\xff Go buildinf:", "\xff Go buildinX:"));
	snprintf(want, sizeof(want),
		 "%s: has no DWARF debug info and no Go version in .go.buildinfo: gocoroner "
		 "needs the unstripped executable", path);
	err = dw_binary_open(path, &b);
	assert_non_null(err);
	assert_int_equal(err->code, UTIL_ERROR_UNSUPPORTED);
	assert_string_equal(err->message, want);
	util_error_destroy(err);
	assert_null(b);
	unlink(path);
}

/*
 * corpus/generate.sh --variant split: the stripped executable and its debug
 * file (objcopy --only-keep-debug) of a build that is in the corpus whole
 * too. Found by each way gdb looks, they give the unstripped build's tables.
 */
static void test_split(void **state)
{
	const char *base = "hang-split-go1.27-opt", *other = "hang-split-go1.27-debug";
	char zst[512], exe[512], dbg[512], dbgzst[512], wrong[512], cmd[1024];
	snprintf(zst, sizeof(zst), "%s/corpus/bin/%s.zst", TOP_SRCDIR, base);
	snprintf(dbgzst, sizeof(dbgzst), "%s/corpus/bin/%s.debug.zst", TOP_SRCDIR, base);
	snprintf(exe, sizeof(exe), "%s/split/%s", tmpdir, base);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/split' '%s/dirs'", tmpdir, tmpdir);
	assert_int_equal(system(cmd), 0);
	const struct build *whole = NULL;
	for (size_t i = 0; i < nbuilds; i++)
		if (strcmp(builds[i].name, "hang-go1.27-opt") == 0)
			whole = &builds[i];
	if (!whole || !unzstd(zst, exe)) {
		printf("# no %s in the corpus: skipping\n", base);
		skip();
	}
	const char *no_dirs[] = {"/nonexistent"};
	struct dw_debug_options o = {.debug_dirs = no_dirs, .ndebug_dirs = 1, .no_debuginfod = true};
	struct dw_binary *b = NULL;
	// Nothing found: the degraded mode, saying where it looked.
	assert_null(dw_binary_open_with(exe, &o, &b));
	assert_true(dw_binary_is_stripped(b));
	assert_non_null(strstr(dw_binary_debug_looked(b), "/nonexistent/.build-id/"));
	assert_null(dw_binary_debug_file(b));
	dw_binary_destroy(b);
	b = NULL;
	struct util_error *err;

	// (a) named, compressed as the corpus keeps it.
	o.debug_file = dbgzst;
	assert_null(dw_binary_open_with(exe, &o, &b));
	assert_string_equal(dw_binary_debug_file(b), dbgzst);
	assert_string_equal(dw_binary_debug_source(b), "--debug-file");
	uint64_t size, want_size, off, want_off, addr, want_addr;
	assert_null(dw_type_size(b, "runtime.g", &size));
	assert_null(dw_type_size(whole->b, "runtime.g", &want_size));
	assert_int_equal(size, want_size);
	assert_null(dw_member_offset(b, "runtime.g", "sched.sp", &off));
	assert_null(dw_member_offset(whole->b, "runtime.g", "sched.sp", &want_off));
	assert_int_equal(off, want_off);
	assert_null(dw_variable(b, "runtime.allgs", &addr, &size));
	assert_null(dw_variable(whole->b, "runtime.allgs", &want_addr, &want_size));
	assert_int_equal(addr, want_addr);
	assert_null(dw_symbol(b, "runtime.firstmoduledata", &addr));
	assert_null(dw_symbol(whole->b, "runtime.firstmoduledata", &want_addr));
	assert_int_equal(addr, want_addr);
	const struct dw_func *f = dw_func_by_name(b, "main.main");
	assert_non_null(f);
	assert_int_equal(f->entry, dw_func_by_name(whole->b, "main.main")->entry);
	assert_string_equal(dw_binary_gnu_build_id(b), dw_binary_gnu_build_id(whole->b));
	dw_binary_destroy(b);
	b = NULL;

	// (b) by GNU build id under a debug directory.
	o.debug_file = NULL;
	const char *id = dw_binary_gnu_build_id(whole->b);
	snprintf(dbg, sizeof(dbg), "%s/dirs/.build-id/%.2s", tmpdir, id);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", dbg);
	assert_int_equal(system(cmd), 0);
	snprintf(dbg, sizeof(dbg), "%s/dirs/.build-id/%.2s/%s.debug", tmpdir, id, id + 2);
	assert_true(unzstd(dbgzst, dbg));
	char dirs_path[300];
	snprintf(dirs_path, sizeof(dirs_path), "%s/dirs", tmpdir);
	const char *dirs[] = {"/nonexistent", dirs_path};
	o.debug_dirs = dirs;
	o.ndebug_dirs = 2;
	assert_null(dw_binary_open_with(exe, &o, &b));
	assert_string_equal(dw_binary_debug_file(b), dbg);
	assert_string_equal(dw_binary_debug_source(b), "build id");
	dw_binary_destroy(b);
	b = NULL;
	unlink(dbg);

	// (c) by .gnu_debuglink beside the executable, its CRC checked.
	o.debug_dirs = no_dirs;
	o.ndebug_dirs = 1;
	snprintf(dbg, sizeof(dbg), "%s/split/%s.debug", tmpdir, base);
	assert_true(unzstd(dbgzst, dbg));
	assert_null(dw_binary_open_with(exe, &o, &b));
	assert_string_equal(dw_binary_debug_source(b), "debuglink");
	dw_binary_destroy(b);
	b = NULL;

	// Another build's debug file: named, an error naming both; found by
	// the debuglink name, passed over (the degraded mode) and said.
	snprintf(wrong, sizeof(wrong), "%s/corpus/bin/%s.debug.zst", TOP_SRCDIR, other);
	assert_true(unzstd(wrong, dbg));
	assert_null(dw_binary_open_with(exe, &o, &b));
	assert_true(dw_binary_is_stripped(b));
	assert_non_null(strstr(dw_binary_debug_looked(b), "debug: GNU build id "));
	dw_binary_destroy(b);
	b = NULL;
	o.debug_file = wrong;
	err = dw_binary_open_with(exe, &o, &b);
	assert_non_null(err);
	assert_int_equal(err->code, UTIL_ERROR_MISMATCH);
	char want[1200];
	snprintf(want, sizeof(want), "%s: the debug file %s does not match it: GNU build id ", exe, wrong);
	assert_memory_equal(err->message, want, strlen(want));
	printf("# %s\n", err->message);
	util_error_destroy(err);
	assert_null(b);
	unlink(dbg);
	unlink(exe);
}

/*
 * Every entry of the built-in layouts (stripped mode) against the DWARF of
 * the corpus build of its release: the table must say what DWARF says.
 */
static void test_builtin_layouts(void **state)
{
	need_corpus();
	const char *release;
	size_t checked = 0;
	for (size_t t = 0; dw_layouts_for(NULL, t, &release); t++) {
		const struct dw_layout_entry *e = dw_layouts_for(NULL, t, &release);
		int minor = atoi(release + 4);
		struct dw_binary *b = NULL;
		for (size_t i = 0; i < nbuilds && !b; i++)
			if (builds[i].minor == minor)
				b = builds[i].b;
		if (!b) {
			printf("# %s: no corpus build to check its layouts against\n", release);
			continue;
		}
		for (; e->kind != DW_SY_END; e++, checked++) {
			uint64_t v = 0, size = 0;
			int64_t c = 0;
			struct util_error *err = NULL;
			switch (e->kind) {
			case DW_SY_SIZE: err = dw_type_size(b, e->type, &v); break;
			case DW_SY_MEMBER: err = dw_member_offset(b, e->type, e->member, &v); break;
			case DW_SY_CONST: err = dw_constant(b, e->type, &c); v = (uint64_t)c; break;
			case DW_SY_VARSIZE: err = dw_variable(b, e->type, &size, &v); break; // its byte size
			default: fail();
			}
			if (err)
				fail_msg("%s: %s %s: %s", release, e->type, e->member ? e->member : "", err->message);
			if (v != (uint64_t)e->value)
				fail_msg("%s: %s %s: table %lld, DWARF %llu", release, e->type,
					 e->member ? e->member : "", (long long)e->value, (unsigned long long)v);
		}
	}
	printf("# %zu built-in layout entries agree with DWARF\n", checked);
	assert_true(checked > 0);
}

static void test_bad_files(void **state)
{
	char path[300];
	struct dw_binary *b = NULL;
	snprintf(path, sizeof(path), "%s/bad", tmpdir);

	check_code(dw_binary_open("/nonexistent/exe", &b), UTIL_ERROR_OS, "/nonexistent/exe");
	check_code(dw_binary_open("/", &b), UTIL_ERROR_BAD_DATA, "not a regular file");
	write_file(path, "", 0);
	check_code(dw_binary_open(path, &b), UTIL_ERROR_BAD_DATA, path);

	uint8_t junk[4096];
	srand(1);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = rand();
	write_file(path, junk, sizeof(junk));
	check_code(dw_binary_open(path, &b), UTIL_ERROR_BAD_DATA, "not an ELF file");
	// ELF64 magic, then garbage.
	memcpy(junk, "\177ELF\2\1\1", 7);
	write_file(path, junk, sizeof(junk));
	struct util_error *err = dw_binary_open(path, &b);
	assert_non_null(err);
	util_error_destroy(err);
	// 32-bit ELF.
	junk[EI_CLASS] = ELFCLASS32;
	write_file(path, junk, sizeof(junk));
	check_code(dw_binary_open(path, &b), UTIL_ERROR_UNSUPPORTED, "64-bit");
	assert_null(b);
	unlink(path);
}

/* A copy of the first corpus executable, for corruption. */
static uint8_t *corpus_copy(size_t *len)
{
	if (!nbuilds)
		return NULL;
	return (uint8_t *)read_file(builds[0].path, len);
}

/* File offset and size of section NAME of the image. */
static bool section_range(const uint8_t *img, size_t len, const char *name, size_t *off, size_t *size)
{
	elf_version(EV_CURRENT);
	Elf *e = elf_memory((char *)img, len);
	size_t shstrndx;
	bool found = false;
	if (e && elf_getshdrstrndx(e, &shstrndx) == 0) {
		for (Elf_Scn *s = NULL; (s = elf_nextscn(e, s));) {
			GElf_Shdr sh;
			const char *n;
			if (gelf_getshdr(s, &sh) && (n = elf_strptr(e, shstrndx, sh.sh_name)) && !strcmp(n, name)) {
				*off = sh.sh_offset;
				*size = sh.sh_size;
				found = true;
			}
		}
	}
	elf_end(e);
	return found;
}

static void test_truncated(void **state)
{
	need_corpus();
	size_t len;
	uint8_t *img = corpus_copy(&len);
	assert_non_null(img);
	char path[300];
	snprintf(path, sizeof(path), "%s/trunc", tmpdir);
	size_t cuts[] = {1, 63, 64, 100, 4096, 65536, len / 3, len / 2, len - 4096, len - 1};
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		struct dw_binary *b = NULL;
		write_file(path, img, cuts[i]);
		struct util_error *err = dw_binary_open(path, &b);
		if (!err)
			fail_msg("truncated at %zu bytes: opened", cuts[i]);
		assert_non_null(strstr(err->message, path));
		util_error_destroy(err);
		assert_null(b);
	}
	unlink(path);
	free(img);
}

/* Open a corrupted image; if it opens, every lookup must still be safe. */
static void open_and_walk(const char *path)
{
	struct dw_binary *b;
	struct util_error *err = dw_binary_open(path, &b);
	if (err) {
		assert_non_null(strstr(err->message, path));
		util_error_destroy(err);
		return;
	}
	const struct dw_func *f = dw_func_by_name(b, "main.main");
	uint64_t pc = f ? f->entry : 0;
	for (int k = 0; k < 2000 && (f = dw_func_at(b, pc)); k++) {
		struct dw_location loc[16];
		size_t n;
		int32_t sp;
		const char *file;
		int line;
		uint64_t mid = f->entry + (f->end - f->entry) / 2;
		util_error_destroy(dw_pc_expand(b, f, mid, loc, 16, &n));
		util_error_destroy(dw_func_spdelta(b, f, mid, &sp));
		util_error_destroy(dw_pc_line(b, f, mid, &file, &line));
		pc = f->end > f->entry ? f->end : f->end + 1;
	}
	uint64_t off;
	util_error_destroy(dw_member_offset(b, "runtime.g", "sched.sp", &off));
	dw_binary_destroy(b);
}

static void test_corrupt_pclntab(void **state)
{
	need_corpus();
	size_t len, off, size;
	uint8_t *img = corpus_copy(&len);
	assert_non_null(img);
	assert_true(section_range(img, len, ".gopclntab", &off, &size));
	uint8_t *copy = malloc(len);
	assert_non_null(copy);
	char path[300];
	snprintf(path, sizeof(path), "%s/pcln", tmpdir);
	struct dw_binary *b = NULL;

	// Unknown magic; the message names the file once.
	memcpy(copy, img, len);
	copy[off] ^= 0xff;
	write_file(path, copy, len);
	struct util_error *err = dw_binary_open(path, &b);
	assert_non_null(err);
	assert_int_equal(err->code, UTIL_ERROR_UNSUPPORTED);
	assert_int_equal(strncmp(err->message, path, strlen(path)), 0);
	assert_null(strstr(err->message + strlen(path), path));
	assert_non_null(strstr(err->message, "magic"));
	util_error_destroy(err);
	// nfunc far beyond the table.
	memcpy(copy, img, len);
	memset(copy + off + 8, 0x7f, 8);
	write_file(path, copy, len);
	check_code(dw_binary_open(path, &b), UTIL_ERROR_BAD_DATA, "corrupt pclntab");
	// A table offset beyond the end.
	memcpy(copy, img, len);
	memset(copy + off + 64, 0x7f, 4);
	write_file(path, copy, len);
	check_code(dw_binary_open(path, &b), UTIL_ERROR_BAD_DATA, "corrupt pclntab");

	// Random damage inside the pclntab: errors or safe lookups, never a crash.
	srand(7);
	for (int it = 0; it < 40; it++) {
		memcpy(copy, img, len);
		for (int k = 0; k < 16; k++)
			copy[off + (size_t)rand() % size] = rand();
		write_file(path, copy, len);
		open_and_walk(path);
	}
	// The same inside .debug_info (compressed: zlib must reject it cleanly).
	assert_true(section_range(img, len, ".debug_info", &off, &size));
	for (int it = 0; it < 20; it++) {
		memcpy(copy, img, len);
		for (int k = 0; k < 4; k++)
			copy[off + 24 + (size_t)rand() % (size - 24)] = rand();
		write_file(path, copy, len);
		open_and_walk(path);
	}
	unlink(path);
	free(copy);
	free(img);
}

/* Sections recompressed by objcopy (zstd, zlib-gnu .zdebug_*, none) must read the same. */
static void test_recompressed(void **state)
{
	need_corpus();
	static const char *const how[] = {"--compress-debug-sections=zstd",
					  "--compress-debug-sections=zlib-gnu",
					  "--decompress-debug-sections"};
	struct build *bd = &builds[nbuilds - 1];
	uint64_t want_goid, want_size;
	check_ok(dw_member_offset(bd->b, "runtime.g", "goid", &want_goid));
	check_ok(dw_type_size(bd->b, "runtime.g", &want_size));
	int done = 0;
	for (size_t i = 0; i < sizeof(how) / sizeof(how[0]); i++) {
		char path[300], cmd[1024];
		snprintf(path, sizeof(path), "%s/recompressed", tmpdir);
		snprintf(cmd, sizeof(cmd), "objcopy %s '%s' '%s' 2>/dev/null", how[i], bd->path, path);
		if (system(cmd) != 0) {
			printf("# objcopy %s unavailable: not checked\n", how[i]);
			continue;
		}
		struct dw_binary *b;
		check_ok(dw_binary_open(path, &b));
		uint64_t goid, size;
		check_ok(dw_member_offset(b, "runtime.g", "goid", &goid));
		check_ok(dw_type_size(b, "runtime.g", &size));
		assert_int_equal(goid, want_goid);
		assert_int_equal(size, want_size);
		assert_non_null(dw_func_by_name(b, "main.main"));
		dw_binary_destroy(b);
		unlink(path);
		done++;
	}
	if (!done)
		skip();
}

/* One PIE executable's answers, for test_pie_bias. */
struct pie_view {
	uint64_t entry, end, funcdata, var, sym, version_ptr, loc_pieces;
	int line;
	char version[32];
};

static void pie_view(struct dw_binary *b, struct pie_view *v)
{
	memset(v, 0, sizeof(*v));
	const struct dw_func *f = dw_func_by_name(b, "main.closedChanHolder");
	assert_non_null(f);
	v->entry = f->entry;
	v->end = f->end;
	assert_ptr_equal(dw_func_at(b, f->entry + 1), f);
	const char *file;
	check_ok(dw_pc_line(b, f, f->entry, &file, &v->line));
	struct dw_location loc[8];
	size_t n;
	check_ok(dw_pc_expand(b, f, f->entry, loc, 8, &n));
	assert_string_equal(loc[n - 1].func, "main.closedChanHolder");
	check_ok(dw_func_funcdata(b, f, 0, &v->funcdata)); // FUNCDATA_ArgsPointerMaps
	uint32_t nmaps;
	check_ok(dw_binary_read(b, v->funcdata, &nmaps, 4)); // readable where it says
	uint64_t size;
	check_ok(dw_variable(b, "runtime.buildVersion", &v->var, &size));
	check_ok(dw_symbol(b, "runtime.buildVersion", &v->sym));
	check_ok(dw_binary_read_pointer(b, v->var, &v->version_ptr));
	uint64_t len;
	check_ok(dw_binary_read(b, v->var + 8, &len, 8));
	assert_true(len > 0 && len < sizeof(v->version));
	check_ok(dw_binary_read(b, v->version_ptr, v->version, len));
	// A parameter's location at the middle of the function (DWARF's
	// location lists are link-time: asked with the process's pc).
	const struct dw_func_vars *fv;
	check_ok(dw_func_vars(b, f, &fv));
	assert_true(fv->n > 0);
	struct dw_var_loc vl;
	check_ok(dw_var_location_at(b, f, &fv->vars[0], f->entry + (f->end - f->entry) / 2, &vl));
	v->loc_pieces = vl.npieces + 1;
}

/*
 * A -buildmode=pie executable of the corpus (bin/hang-pie-*, hang-pie-cgo-*)
 * moved by a load bias: every address it gives moves by it (function
 * entries and ends, funcdata, variables, symbols, the pointer in
 * runtime.buildVersion), every lookup by a moved pc finds what the
 * link-time pc found (function, line, inline expansion, a variable's
 * location), nothing is left at the link-time addresses, and a second bias
 * (another core) or 0 gives the first answers back.
 */
static void test_pie_bias(void **state)
{
	DIR *d = opendir(TOP_SRCDIR "/corpus/bin");
	if (!d)
		skip();
	struct dirent *e;
	size_t done = 0;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "hang-pie-", 9) != 0)
			continue;
		char zst[512], path[512];
		snprintf(zst, sizeof(zst), "%s/corpus/bin/%s", TOP_SRCDIR, e->d_name);
		snprintf(path, sizeof(path), "%s/pie-exe", tmpdir);
		assert_true(unzstd(zst, path));
		struct dw_binary *b;
		check_ok(dw_binary_open(path, &b));
		assert_int_equal(dw_binary_bias(b), 0);
		struct pie_view v0, v1, v2;
		pie_view(b, &v0);
		assert_int_equal(strncmp(v0.version, "go1.", 4), 0);
		// Go's linker links a PIE at 0x400000, gcc at 0: both below these.
		const uint64_t biases[] = {0x7f1234560000ull, 0x555555554000ull};
		for (int k = 0; k < 2; k++) {
			dw_binary_set_bias(b, biases[k]);
			assert_int_equal(dw_binary_bias(b), biases[k]);
			pie_view(b, &v1);
			uint64_t B = biases[k];
			assert_int_equal(v1.entry, v0.entry + B);
			assert_int_equal(v1.end, v0.end + B);
			assert_int_equal(v1.funcdata, v0.funcdata + B);
			assert_int_equal(v1.var, v0.var + B);
			assert_int_equal(v1.sym, v0.sym + B);
			assert_int_equal(v1.version_ptr, v0.version_ptr + B);
			assert_int_equal(v1.line, v0.line);
			assert_int_equal(v1.loc_pieces, v0.loc_pieces);
			assert_string_equal(v1.version, v0.version);
			assert_null(dw_func_at(b, v0.entry));
			uint8_t byte;
			check_code(dw_binary_read(b, v0.var, &byte, 1), UTIL_ERROR_FAULT, NULL);
		}
		dw_binary_set_bias(b, 0);
		pie_view(b, &v2);
		assert_memory_equal(&v2, &v0, sizeof(v0));
		printf("# %s: %s, main.closedChanHolder linked at %#llx\n", e->d_name, v0.version,
		       (unsigned long long)v0.entry);
		dw_binary_destroy(b);
		unlink(path);
		done++;
	}
	closedir(d);
	if (!done)
		skip();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layouts),
		cmocka_unit_test(test_constants_variables),
		cmocka_unit_test(test_build_ids),
		cmocka_unit_test(test_runtime_types),
		cmocka_unit_test(test_pointer_offsets),
		cmocka_unit_test(test_type_shapes),
		cmocka_unit_test(test_funcs),
		cmocka_unit_test(test_func_table),
		cmocka_unit_test(test_func_at_index),
		cmocka_unit_test(test_frame_vars),
		cmocka_unit_test(test_tracebacks),
		cmocka_unit_test(test_not_go),
		cmocka_unit_test(test_stripped),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_builtin_layouts),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_corrupt_pclntab),
		cmocka_unit_test(test_recompressed),
		cmocka_unit_test(test_pie_bias),
	};
	return cmocka_run_group_tests_name("dwarf", tests, group_setup, group_teardown);
}
