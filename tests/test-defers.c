// SPDX-License-Identifier: Apache-2.0
// test-defers.c: pending deferred calls and panics in progress, for every
// corpus core, against the program's own account of them (the "defer" and
// "panic" lines of corpus/expect/NAME.stdout), both ways: every line must be
// in the snapshot, and a scenario goroutine must have nothing the program did
// not announce.
//
// GOCORONER_DEFERS_EXTRA=FILE adds cores outside the corpus: FILE lists
// "EXE CORE STDOUT" lines; their STDOUT may also use "func~GLOB" and
// "value~GLOB" (fnmatch) and "aborted=0|1" in the expectation lines.
// GOCORONER_DEFERS_DUMP=1 prints what was read for each scenario goroutine.
#include <fnmatch.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <fcntl.h>
#include <gelf.h>

#include "core/core.h"
#include "dwarf/dwarf.h"
#include "goruntime/goruntime.h"
#include "tests/gotrace.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

static struct gt_manifest manifest;
static char tmpdir[] = "/tmp/gocoroner-defers-XXXXXX";

/* Corpus helpers shared by the tests (tests/gotrace.c). */
#define path_in gt_path
#define row_named(name) gt_row(&manifest, (name))
#define unpack(row, col, suffix) gt_unpack(&manifest, (row), (col), TOP_SRCDIR "/corpus", tmpdir, (suffix))
#define patch(path, addr, bytes, len) assert_true(gt_patch_core((path), (addr), (bytes), (len)))
static bool dump;

static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		abort();
	va_end(ap);
	return p;
}

/* ---- Expectations ------------------------------------------------------- */

struct want_defer {
	char *scen;
	uint64_t goid;
	unsigned seq;
	char *func;     /* exact, or a glob when glob_func */
	bool glob_func;
	char *frame;
};

struct want_panic {
	char *scen;
	uint64_t goid;
	unsigned seq;
	int recovered, goexit, aborted; /* aborted -1: not said */
	char *type, *value;
	bool glob_value;
};

struct scen {
	char *name;
	uint64_t goid;
};

struct want {
	struct scen *scens;
	size_t nscens;
	struct want_defer *defers;
	size_t ndefers;
	struct want_panic *panics;
	size_t npanics;
	bool has_defer_lines, has_panic_lines;
};

static void *grow(void *v, size_t n, size_t size)
{
	void *p = realloc(v, (n + 1) * size);
	if (!p)
		abort();
	return p;
}

/* The value after " KEY=" (or "~" when GLOB is non-NULL) in LINE, up to END. */
static char *field(const char *line, const char *key, const char *end_key, bool *glob)
{
	char pat[32];
	const char *p = NULL;
	for (int k = 0; k < 2 && !p; k++) {
		snprintf(pat, sizeof(pat), " %s%c", key, k ? '~' : '=');
		p = strstr(line, pat);
		if (p && glob)
			*glob = k == 1;
	}
	if (!p)
		return NULL;
	p += strlen(pat);
	const char *e = NULL;
	if (end_key) {
		for (int k = 0; k < 2 && !e; k++) {
			snprintf(pat, sizeof(pat), " %s%c", end_key, k ? '~' : '=');
			e = strstr(p, pat);
		}
	}
	if (!e)
		e = p + strcspn(p, end_key ? " \n" : "\n");
	return strndup(p, (size_t)(e - p));
}

static void read_want(const char *path, struct want *w)
{
	memset(w, 0, sizeof(*w));
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char line[4096], name[128];
	unsigned long long goid;
	unsigned seq;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "scenario %127s goid=%llu", name, &goid) == 2) {
			w->scens = grow(w->scens, w->nscens, sizeof(*w->scens));
			w->scens[w->nscens++] = (struct scen){strdup(name), goid};
		} else if (sscanf(line, "defer %127s goid=%llu seq=%u", name, &goid, &seq) == 3) {
			struct want_defer d = {strdup(name), goid, seq, NULL, false, NULL};
			d.func = field(line, "func", "frame", &d.glob_func);
			d.frame = field(line, "frame", NULL, NULL);
			assert_non_null(d.func);
			assert_non_null(d.frame);
			w->defers = grow(w->defers, w->ndefers, sizeof(*w->defers));
			w->defers[w->ndefers++] = d;
			w->has_defer_lines = true;
		} else if (sscanf(line, "panic %127s goid=%llu seq=%u", name, &goid, &seq) == 3) {
			struct want_panic p = {strdup(name), goid, seq, -1, -1, -1, NULL, NULL, false};
			char *r = field(line, "recovered", NULL, NULL), *g = field(line, "goexit", NULL, NULL),
			     *a = field(line, "aborted", NULL, NULL);
			p.recovered = r ? atoi(r) : -1;
			p.goexit = g ? atoi(g) : -1;
			p.aborted = a ? atoi(a) : -1;
			free(r);
			free(g);
			free(a);
			p.type = field(line, "type", "value", NULL);
			p.value = field(line, "value", NULL, &p.glob_value);
			assert_non_null(p.type);
			assert_non_null(p.value);
			w->panics = grow(w->panics, w->npanics, sizeof(*w->panics));
			w->panics[w->npanics++] = p;
			w->has_panic_lines = true;
		}
	}
	fclose(f);
}

static void free_want(struct want *w)
{
	for (size_t i = 0; i < w->nscens; i++)
		free(w->scens[i].name);
	for (size_t i = 0; i < w->ndefers; i++) {
		free(w->defers[i].scen);
		free(w->defers[i].func);
		free(w->defers[i].frame);
	}
	for (size_t i = 0; i < w->npanics; i++) {
		free(w->panics[i].scen);
		free(w->panics[i].type);
		free(w->panics[i].value);
	}
	free(w->scens);
	free(w->defers);
	free(w->panics);
}

/*
 * The corpus program's two original scenarios, known from
 * corpus/programs/hang/main.go whether or not the expect files list them:
 * "defers" (deferOuter → deferInner) and "panicking" (panic("boom")).
 * Closures are numbered differently across releases (1.19–1.21 count the
 * defer wrappers too), hence the globs.
 */
static void add_builtin(struct want *w)
{
	static const struct {
		const char *func, *frame;
	} defers[] = {
		{"main.deferInner.func*", "main.deferInner"},
		{"main.(\\*closer).Close", "main.deferInner"},
		{"main.deferLoop", "main.deferInner"},
		{"main.deferLoop", "main.deferInner"},
		{"main.deferLoop", "main.deferInner"},
		{"main.deferOuter.func*", "main.deferOuter"},
		{"main.(\\*closer).Close", "main.deferOuter"},
	};
	for (size_t i = 0; i < w->nscens; i++) {
		const struct scen *s = &w->scens[i];
		bool listed = false;
		if (strcmp(s->name, "defers") == 0) {
			for (size_t k = 0; k < w->ndefers; k++)
				listed |= w->defers[k].goid == s->goid;
			for (size_t k = 0; !listed && k < sizeof(defers) / sizeof(defers[0]); k++) {
				w->defers = grow(w->defers, w->ndefers, sizeof(*w->defers));
				w->defers[w->ndefers++] = (struct want_defer){
					strdup(s->name), s->goid, (unsigned)k, strdup(defers[k].func), true,
					strdup(defers[k].frame)};
			}
		}
		if (strcmp(s->name, "panicking") == 0) {
			for (size_t k = 0; k < w->npanics; k++)
				listed |= w->panics[k].goid == s->goid;
			if (!listed) {
				w->panics = grow(w->panics, w->npanics, sizeof(*w->panics));
				w->panics[w->npanics++] = (struct want_panic){
					strdup(s->name), s->goid, 0, 0, 0, -1, strdup("string"),
					strdup("boom"), false};
			}
		}
	}
}

/* ---- Comparison ---------------------------------------------------------- */

static const struct gr_goroutine *find_g(const struct gr_snapshot *s, uint64_t goid)
{
	for (size_t i = 0; i < s->ngoroutines; i++)
		if (s->goroutines[i].goid == goid)
			return &s->goroutines[i];
	return NULL;
}

static const struct gr_defer *find_defer(const struct gr_snapshot *s, uint64_t goid, unsigned seq)
{
	for (size_t i = 0; i < s->ndefers; i++)
		if (s->defers[i].goid == goid && s->defers[i].seq == seq)
			return &s->defers[i];
	return NULL;
}

static const struct gr_panic *find_panic(const struct gr_snapshot *s, uint64_t goid, unsigned seq)
{
	for (size_t i = 0; i < s->npanics; i++)
		if (s->panics[i].goid == goid && s->panics[i].seq == seq)
			return &s->panics[i];
	return NULL;
}

static const char *nn(const char *s)
{
	return s ? s : "<nil>";
}

static const char *frame_func(const struct gr_goroutine *g, const struct gr_defer *d)
{
	if (!g || d->frame_depth < 0 || (size_t)d->frame_depth >= g->nframes)
		return "?";
	return g->frames[d->frame_depth].func;
}

static void dump_goroutine(const char *name, const struct gr_snapshot *s, const struct scen *sc)
{
	const struct gr_goroutine *g = find_g(s, sc->goid);
	for (size_t i = 0; i < s->ndefers; i++) {
		const struct gr_defer *d = &s->defers[i];
		if (d->goid == sc->goid)
			printf("#   %s %s: defer seq=%u func=%s frame=%s depth=%d kind=%s\n", name,
			       sc->name, d->seq, nn(d->func), frame_func(g, d), d->frame_depth, d->kind);
	}
	for (size_t i = 0; i < s->npanics; i++) {
		const struct gr_panic *p = &s->panics[i];
		if (p->goid == sc->goid)
			printf("#   %s %s: panic seq=%u recovered=%d aborted=%d goexit=%d type=%s value=%s\n",
			       name, sc->name, p->seq, p->recovered, p->aborted, p->goexit,
			       nn(p->value_type), nn(p->value_text));
	}
}

/* Compare one core with its expectations; returns the number of mismatches. */
static int check_core(const char *name, const char *exe, const char *core_path, const char *stdout_path)
{
	struct core_file *core;
	struct dw_binary *bin;
	struct gr_snapshot *snap;
	assert_null(core_open(core_path, &core));
	assert_null(dw_binary_open(exe, &bin));
	assert_null(core_attach_exe(core, exe, false));
	assert_null(gr_snapshot_create(core, bin, NULL, &snap));
	struct want w;
	read_want(stdout_path, &w);
	bool lines = w.has_defer_lines || w.has_panic_lines;
	add_builtin(&w);
	int bad = 0;
	size_t dok = 0, pok = 0;

	for (size_t i = 0; i < w.ndefers; i++) {
		const struct want_defer *e = &w.defers[i];
		const struct gr_defer *d = find_defer(snap, e->goid, e->seq);
		const struct gr_goroutine *g = find_g(snap, e->goid);
		const char *func = d ? nn(d->func) : "(none)", *frame = d ? frame_func(g, d) : "(none)";
		bool ok = d && (e->glob_func ? fnmatch(e->func, func, 0) == 0 : strcmp(e->func, func) == 0) &&
			  strcmp(e->frame, frame) == 0;
		if (ok) {
			dok++;
			continue;
		}
		printf("# %s: %s goroutine %llu defer seq=%u: want func=%s frame=%s, got func=%s frame=%s\n",
		       name, e->scen, (unsigned long long)e->goid, e->seq, e->func, e->frame, func, frame);
		bad++;
	}
	for (size_t i = 0; i < w.npanics; i++) {
		const struct want_panic *e = &w.panics[i];
		const struct gr_panic *p = find_panic(snap, e->goid, e->seq);
		const char *type = p ? nn(p->value_type) : "(none)", *value = p ? nn(p->value_text) : "(none)";
		bool ok = p && strcmp(e->type, type) == 0 &&
			  (e->glob_value ? fnmatch(e->value, value, 0) == 0 : strcmp(e->value, value) == 0) &&
			  (e->recovered < 0 || e->recovered == p->recovered) &&
			  (e->goexit < 0 || e->goexit == p->goexit) &&
			  (e->aborted < 0 || e->aborted == p->aborted);
		if (ok) {
			pok++;
			continue;
		}
		printf("# %s: %s goroutine %llu panic seq=%u: want recovered=%d goexit=%d type=%s value=%s, "
		       "got recovered=%d goexit=%d type=%s value=%s\n",
		       name, e->scen, (unsigned long long)e->goid, e->seq, e->recovered, e->goexit,
		       e->type, e->value, p ? p->recovered : -1, p ? p->goexit : -1, type, value);
		bad++;
	}

	// The reverse: nothing the program did not announce on its scenario
	// goroutines. Panics are all announced; defers registered by the
	// program's own functions (main.*) are, on the scenarios that have
	// defer lines or a built-in table; library frames (runtime.main,
	// pprof.Do, poll.FD.Read) defer on their own and are only counted.
	size_t lib = 0;
	for (size_t k = 0; k < w.nscens; k++) {
		const struct scen *sc = &w.scens[k];
		const struct gr_goroutine *g = find_g(snap, sc->goid);
		if (!g)
			continue; // test-goruntime reports missing scenario goroutines
		if (dump)
			dump_goroutine(name, snap, sc);
		size_t nwd = 0, nwp = 0;
		for (size_t i = 0; i < w.ndefers; i++)
			nwd += w.defers[i].goid == sc->goid;
		for (size_t i = 0; i < w.npanics; i++)
			nwp += w.panics[i].goid == sc->goid;
		for (size_t i = 0; i < snap->ndefers; i++) {
			const struct gr_defer *d = &snap->defers[i];
			if (d->goid != sc->goid)
				continue;
			if (d->seq < nwd)
				continue;
			if (strncmp(frame_func(g, d), "main.", 5) != 0) {
				lib++;
				continue;
			}
			printf("# %s: %s goroutine %llu: unexpected defer seq=%u func=%s frame=%s (%s)\n",
			       name, sc->name, (unsigned long long)sc->goid, d->seq, nn(d->func),
			       frame_func(g, d), d->kind);
			bad++;
		}
		for (size_t i = 0; i < snap->npanics; i++) {
			const struct gr_panic *p = &snap->panics[i];
			if (p->goid != sc->goid)
				continue;
			if (p->seq >= nwp) {
				printf("# %s: %s goroutine %llu: unexpected panic seq=%u type=%s value=%s\n",
				       name, sc->name, (unsigned long long)sc->goid, p->seq,
				       nn(p->value_type), nn(p->value_text));
				bad++;
			}
		}
	}
	// Whatever was read must be well formed: seq runs 0.. per goroutine,
	// frame_depth within the stack, a known kind.
	for (size_t i = 0; i < snap->ndefers; i++) {
		const struct gr_defer *d = &snap->defers[i];
		const struct gr_goroutine *g = find_g(snap, d->goid);
		assert_non_null(g);
		assert_true(d->frame_depth >= -1 && (d->frame_depth < 0 || (size_t)d->frame_depth < g->nframes));
		assert_true(i == 0 || snap->defers[i - 1].goid != d->goid ? d->seq == 0
									 : d->seq == snap->defers[i - 1].seq + 1);
		assert_true(strcmp(d->kind, "open-coded") == 0 || strcmp(d->kind, "stack") == 0 ||
			    strcmp(d->kind, "heap") == 0 || strcmp(d->kind, "rangefunc") == 0);
	}
	// A well-formed core reads without warnings about defers or panics.
	for (size_t i = 0; i < snap->ndiags; i++) {
		const struct gr_diag *dg = &snap->diags[i];
		if (strcmp(dg->what, "defer") != 0 && strcmp(dg->what, "panic") != 0)
			continue;
		printf("# %s: diagnostic %s %s: %s\n", name, dg->severity, dg->what, dg->detail);
		if (strcmp(dg->severity, "info") != 0)
			bad++;
	}
	const char *go = strstr(name, "go1.");
	printf("# %s %.*s: %zu/%zu defers, %zu/%zu panics match the program%s; "
	       "%zu library defers on scenario goroutines\n",
	       name, go ? (int)strcspn(go, "-") : 0, go ? go : "", dok, w.ndefers, pok, w.npanics,
	       lines ? "" : " (no defer/panic lines in this expect file yet: built-in "
			    "'defers'/'panicking' expectations only)",
	       lib);
	free_want(&w);
	gr_snapshot_destroy(snap);
	dw_binary_destroy(bin);
	core_destroy(core);
	return bad;
}

static void test_corpus(void **state)
{
	(void)state;
	if (!manifest.nrows) {
		printf("corpus not found: skipped\n");
		skip();
	}
	// The built-in expectations (add_builtin) are the hang program's.
	int bad = gt_each_core(&manifest, TOP_SRCDIR "/corpus", tmpdir, "hang", check_core);
	assert_int_equal(bad, 0);
}

static void test_extra(void **state)
{
	(void)state;
	const char *list = getenv("GOCORONER_DEFERS_EXTRA");
	if (!list || !*list) {
		printf("GOCORONER_DEFERS_EXTRA not set: no extra cores\n");
		skip();
	}
	FILE *f = fopen(list, "r");
	assert_non_null(f);
	char line[4096], exe[1024], core[1024], out[1024];
	int bad = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%1023s %1023s %1023s", exe, core, out) != 3 || exe[0] == '#')
			continue;
		const char *base = strrchr(exe, '/');
		bad += check_core(base ? base + 1 : exe, exe, core, out);
	}
	fclose(f);
	assert_int_equal(bad, 0);
}

/* ---- Corrupted cores: diagnostics, not crashes or endless walks ---------- */


static uint64_t offset_of(struct dw_binary *bin, const char *type, const char *member)
{
	uint64_t off;
	assert_null(dw_member_offset(bin, type, member, &off));
	return off;
}

static struct gr_snapshot *snapshot(const char *core_path, const char *exe, struct dw_binary *bin)
{
	struct core_file *core;
	struct gr_snapshot *snap;
	assert_null(core_open(core_path, &core));
	assert_null(core_attach_exe(core, exe, false));
	assert_null(gr_snapshot_create(core, bin, NULL, &snap));
	core_destroy(core);
	return snap;
}

static size_t diags_saying(const struct gr_snapshot *s, const char *what, const char *text)
{
	size_t n = 0;
	for (size_t i = 0; i < s->ndiags; i++)
		n += strcmp(s->diags[i].what, what) == 0 && strstr(s->diags[i].detail, text);
	return n;
}

static size_t count_defers(const struct gr_snapshot *s, uint64_t goid)
{
	size_t n = 0;
	for (size_t i = 0; i < s->ndefers; i++)
		n += s->defers[i].goid == goid;
	return n;
}

static void test_corrupt(void **state)
{
	(void)state;
	const struct gt_manifest_row *row = NULL;
	for (size_t i = 0; i < manifest.nrows; i++)
		if (strcmp(gt_col(&manifest, &manifest.rows[i], "name"), "hang-go1.24-opt-kernel") == 0)
			row = &manifest.rows[i];
	if (!row) {
		printf("corpus not found: skipped\n");
		skip();
	}
	char *src = xasprintf("%s/corpus/%s", TOP_SRCDIR, gt_col(&manifest, row, "exe"));
	char *exe = xasprintf("%s/corrupt.exe", tmpdir);
	assert_true(gt_unzstd(src, exe));
	free(src);
	src = xasprintf("%s/corpus/%s", TOP_SRCDIR, gt_col(&manifest, row, "core"));
	char *raw = xasprintf("%s/corrupt.core", tmpdir);
	assert_true(gt_unzstd(src, raw));
	free(src);
	char *out = xasprintf("%s/corpus/%s", TOP_SRCDIR, gt_col(&manifest, row, "stdout"));
	struct want w;
	read_want(out, &w);
	free(out);
	uint64_t defers_goid = 0, panicking_goid = 0;
	for (size_t i = 0; i < w.nscens; i++) {
		if (strcmp(w.scens[i].name, "defers") == 0)
			defers_goid = w.scens[i].goid;
		if (strcmp(w.scens[i].name, "panicking") == 0)
			panicking_goid = w.scens[i].goid;
	}
	free_want(&w);
	assert_true(defers_goid && panicking_goid);

	struct dw_binary *bin;
	assert_null(dw_binary_open(exe, &bin));
	uint64_t g_defer = offset_of(bin, "runtime.g", "_defer"),
		 g_panic = offset_of(bin, "runtime.g", "_panic"),
		 d_link = offset_of(bin, "runtime._defer", "link"),
		 d_fn = offset_of(bin, "runtime._defer", "fn"),
		 p_link = offset_of(bin, "runtime._panic", "link");
	struct gr_snapshot *snap = snapshot(raw, exe, bin);
	const struct gr_goroutine *gd = find_g(snap, defers_goid), *gp = find_g(snap, panicking_goid);
	assert_non_null(gd);
	assert_non_null(gp);
	uint64_t gd_addr = gd->g_addr, gp_addr = gp->g_addr;
	size_t before = count_defers(snap, defers_goid);
	assert_int_equal(before, 7);
	gr_snapshot_destroy(snap);

	struct core_file *core;
	uint64_t d0, d1, p0;
	assert_null(core_open(raw, &core));
	assert_null(core_attach_exe(core, exe, false));
	assert_null(core_read_u64(core, gd_addr + g_defer, &d0));
	assert_null(core_read_u64(core, d0 + d_link, &d1));
	assert_null(core_read_u64(core, gp_addr + g_panic, &p0));
	core_destroy(core);
	assert_true(d0 && d1 && p0);

	// The second record links back to the first: a loop, walked once.
	patch(raw, d1 + d_link, &d0, 8);
	// The first record's func value points nowhere.
	uint64_t wild = 0x7ff0deadbe00;
	patch(raw, d0 + d_fn, &wild, 8);
	// The panic links to itself.
	patch(raw, p0 + p_link, &p0, 8);
	snap = snapshot(raw, exe, bin);
	assert_true(diags_saying(snap, "defer", "loops") >= 1);
	assert_true(diags_saying(snap, "defer", "unreadable") >= 1);
	assert_true(diags_saying(snap, "panic", "loops") >= 1);
	// The two records before the loop closes are listed, then the
	// frames' open-coded defers; the first has no function.
	size_t after = count_defers(snap, defers_goid);
	assert_true(after >= 2 && after < before + 2);
	bool nameless = false;
	for (size_t i = 0; i < snap->ndefers; i++)
		nameless |= snap->defers[i].goid == defers_goid && snap->defers[i].seq == 0 &&
			    snap->defers[i].func == NULL;
	assert_true(nameless);
	gr_snapshot_destroy(snap);

	// g._defer and g._panic pointing at memory the core does not hold.
	patch(raw, gd_addr + g_defer, &wild, 8);
	patch(raw, gp_addr + g_panic, &wild, 8);
	snap = snapshot(raw, exe, bin);
	assert_true(diags_saying(snap, "defer", "_defer 0x7ff0deadbe00") >= 1);
	assert_true(diags_saying(snap, "panic", "_panic 0x7ff0deadbe00") >= 1);
	for (size_t i = 0; i < snap->npanics; i++)
		assert_int_not_equal(snap->panics[i].goid, panicking_goid);
	gr_snapshot_destroy(snap);

	dw_binary_destroy(bin);
	unlink(exe);
	unlink(raw);
	free(exe);
	free(raw);
}

int main(void)
{
	char *m = xasprintf("%s/corpus/manifest.tsv", TOP_SRCDIR);
	gt_manifest_read(m, &manifest);
	free(m);
	dump = getenv("GOCORONER_DEFERS_DUMP") && *getenv("GOCORONER_DEFERS_DUMP") == '1';
	if (!mkdtemp(tmpdir))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_extra),
		cmocka_unit_test(test_corrupt),
	};
	int rc = cmocka_run_group_tests_name("defers", tests, NULL, NULL);
	rmdir(tmpdir);
	gt_manifest_free(&manifest);
	return rc;
}
