// SPDX-License-Identifier: Apache-2.0
// test-corpus.c: integration test — every corpus core, compressed and raw, read
// by gocoroner and compared goroutine by goroutine, frame by frame, with Go's own
// traceback recorded when the core was made (and the program's own word).
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/core.h"
#include "dwarf/dwarf.h"
#include "goruntime/goruntime.h"
#include "tests/gotrace.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif
#ifndef SRCDIR
#define SRCDIR TOP_SRCDIR
#endif

static struct gt_manifest manifest;
static char tmpdir[] = "/tmp/gocoroner-corpus-XXXXXX";

struct case_state {
	const struct gt_manifest_row *row;
};

static const char *col(const struct gt_manifest_row *row, const char *name)
{
	return gt_col(&manifest, row, name);
}

static char *corpus_path(const char *rel)
{
	char *p;
	if (asprintf(&p, "%s/corpus/%s", SRCDIR, rel) < 0)
		abort();
	return p;
}

static bool is_runtime(const char *f)
{
	return strncmp(f, "runtime.", 8) == 0 || strncmp(f, "internal/", 9) == 0 ||
	       strncmp(f, "runtime/internal/", 17) == 0;
}

static bool is_moving(const char *state)
{
	return strcmp(state, "running") == 0 || strcmp(state, "runnable") == 0 ||
	       strcmp(state, "preempted") == 0;
}

/* runtime.showfuncinfo below GOTRACEBACK=system: what Go's default traceback shows. */
static bool shown_at_level1(const char *name, bool first)
{
	if (strcmp(name, "runtime.gopanic") == 0 && !first)
		return true;
	if (!strchr(name, '.'))
		return false;
	if (strncmp(name, "runtime.", 8) != 0)
		return true;
	return name[8] >= 'A' && name[8] <= 'Z';
}

/* Was the expectation printed with runtime frames (GOTRACEBACK=system/crash)? */
static bool expect_level2(const struct gt_trace *t)
{
	for (size_t i = 0; i < t->n; i++)
		for (size_t j = 0; j < t->g[i].nframes; j++)
			if (!shown_at_level1(t->g[i].frames[j].func, j == 0))
				return true;
	return false;
}

/* Our goroutine as Go's traceback at the expectation's level shows it. */
static struct gr_goroutine filtered(const struct gr_goroutine *g, bool level2,
				    struct gr_frame *buf, size_t max)
{
	struct gr_goroutine f = *g;
	if (level2)
		return f;
	size_t n = 0;
	for (size_t i = 0; i < g->nframes && n < max; i++) {
		// A wrapper is elided unless it called a panic (elideWrapperCalling).
		const char *callee = i ? g->frames[i - 1].func : "";
		bool panicked = strcmp(callee, "runtime.gopanic") == 0 ||
				strcmp(callee, "runtime.sigpanic") == 0 ||
				strcmp(callee, "runtime.panicwrap") == 0;
		if (g->frames[i].wrapper && !panicked)
			continue;
		if (shown_at_level1(g->frames[i].func, n == 0))
			buf[n++] = g->frames[i];
	}
	f.frames = buf;
	f.nframes = n;
	return f;
}

struct tally {
	size_t g_expected, g_matched, f_expected, f_matched, mismatches;
};

static void report(struct tally *t, const char *name, const char *fmt, ...)
{
	t->mismatches++;
	if (t->mismatches > 12)
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "  %s: ", name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* User frames (outside the runtime), as function names. */
static size_t user_funcs_ours(const struct gr_goroutine *g, const char **out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < g->nframes && n < max; i++)
		if (!is_runtime(g->frames[i].func))
			out[n++] = g->frames[i].func;
	return n;
}

static size_t user_funcs_theirs(const struct gt_goroutine *e, const char **out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < e->nframes && n < max; i++)
		if (!is_runtime(e->frames[i].func))
			out[n++] = e->frames[i].func;
	return n;
}

static void compare_goroutine(struct tally *t, const char *name, const struct gt_goroutine *e,
			      const struct gr_goroutine *g)
{
	const char *ours = g->wait_reason ? g->wait_reason : g->status_name;
	bool moving = is_moving(e->state) || is_moving(ours);
	bool ok = true;
	if (strcmp(e->state, ours) != 0 && !(is_moving(e->state) && is_moving(ours))) {
		report(t, name, "goroutine %llu: state '%s', expected '%s'",
		       (unsigned long long)e->goid, ours, e->state);
		ok = false;
	}
	if (e->locked != g->locked) {
		report(t, name, "goroutine %llu: locked %d, expected %d", (unsigned long long)e->goid,
		       g->locked, e->locked);
		ok = false;
	}
	if (e->labels) {
		// Our labels are JSON {"k":"v",...} sorted by key; make them k=v;k=v.
		char canon[1024] = "";
		size_t o = 0;
		int tokens = 0;
		for (const char *p = g->labels ? g->labels : ""; *p && o + 2 < sizeof(canon); p++) {
			if (*p != '"')
				continue;
			if (tokens)
				canon[o++] = tokens % 2 ? '=' : ';';
			for (p++; *p && *p != '"' && o + 2 < sizeof(canon); p++) {
				if (*p == '\\' && p[1])
					p++;
				canon[o++] = *p;
			}
			tokens++;
			if (!*p)
				break;
		}
		canon[o] = '\0';
		if (strcmp(canon, e->labels) != 0) {
			report(t, name, "goroutine %llu: labels %s, expected %s",
			       (unsigned long long)e->goid, canon, e->labels);
			ok = false;
		}
	}
	t->f_expected += e->nframes;
	if (moving) {
		// A goroutine on a CPU moves between the dump and the core: compare
		// the user functions it is inside, not lines.
		const char *a[256], *b[256];
		size_t na = user_funcs_ours(g, a, 256), nb = user_funcs_theirs(e, b, 256);
		size_t skip_a = 0;
		// The core may catch it a frame deeper or shallower in the same loop.
		bool same = na == nb;
		for (size_t i = 0; same && i < na; i++)
			same = strcmp(a[i + skip_a], b[i]) == 0;
		if (!same && na > 0 && nb > 0 && strcmp(a[na - 1], b[nb - 1]) == 0)
			same = true; // same outermost user function
		if (same)
			t->f_matched += e->nframes;
		else {
			report(t, name, "running goroutine %llu: user functions differ (%s... vs %s...)",
			       (unsigned long long)e->goid, na ? a[0] : "-", nb ? b[0] : "-");
			ok = false;
		}
	} else {
		size_t n = e->nframes < g->nframes ? e->nframes : g->nframes;
		size_t matched = 0;
		for (size_t i = 0; i < n; i++) {
			const struct gt_frame *ef = &e->frames[i];
			const struct gr_frame *gf = &g->frames[i];
			if (strcmp(ef->func, gf->func) != 0 || strcmp(ef->file, gf->file) != 0 ||
			    ef->line != gf->line) {
				report(t, name, "goroutine %llu frame %zu: %s %s:%d, expected %s %s:%d",
				       (unsigned long long)e->goid, i, gf->func, gf->file, gf->line,
				       ef->func, ef->file, ef->line);
				ok = false;
				break;
			}
			matched++;
		}
		t->f_matched += matched;
		if (ok && !e->elided && e->nframes != g->nframes) {
			report(t, name, "goroutine %llu: %zu frames, expected %zu",
			       (unsigned long long)e->goid, g->nframes, e->nframes);
			ok = false;
		}
	}
	if (e->created_by && e->goid != 1) {
		if (!g->created_by_func || strcmp(e->created_by, g->created_by_func) != 0 ||
		    (e->created_line && e->created_line != g->created_by_line)) {
			report(t, name, "goroutine %llu: created by %s:%d, expected %s:%d",
			       (unsigned long long)e->goid,
			       g->created_by_func ? g->created_by_func : "-", g->created_by_line,
			       e->created_by, e->created_line);
			ok = false;
		}
		if (e->created_in && (!g->has_creator || g->creator_goid != e->created_in)) {
			report(t, name, "goroutine %llu: creator goroutine %llu, expected %llu",
			       (unsigned long long)e->goid, (unsigned long long)g->creator_goid,
			       (unsigned long long)e->created_in);
			ok = false;
		}
	}
	if (ok)
		t->g_matched++;
}

/*
 * Compare with Delve's "goroutines" listing of the same core, recorded when
 * the core was made: "  Goroutine 7 - User: main.go:151 main.epoll (0x4e46b6)
 * [chan receive 1208020232205]" gives the wait reason and raw g.waitsince;
 * "(thread 25070)" the thread. Returns how many goroutines Delve listed.
 */
static size_t check_delve(const char *name, const char *dlv_path, const struct gr_snapshot *snap,
			  struct tally *t)
{
	FILE *f = fopen(dlv_path, "r");
	if (!f)
		return 0;
	char line[1024];
	size_t listed = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long goid;
		if (sscanf(line + 2, "Goroutine %llu - ", &goid) != 1 ||
		    (line[0] != ' ' && line[0] != '*'))
			continue;
		const struct gr_goroutine *g = NULL;
		for (size_t j = 0; j < snap->ngoroutines; j++)
			if (snap->goroutines[j].goid == goid)
				g = &snap->goroutines[j];
		// A cgo program's extra M keeps a g for C threads that call Go,
		// in _Gdeadextra from Go 1.27 (runtime/proc.go:2539-2542,
		// oneNewExtraM), which hides it from tracebacks as _Gdead did
		// before; Delve 1.27.1 does not know that status and lists it,
		// never started: at runtime.goexit, without a wait reason.
		if (!g && strstr(line, " runtime.goexit (") && !strchr(line, '['))
			continue;
		listed++;
		if (!g) {
			report(t, name, "Delve lists goroutine %llu, we do not", goid);
			continue;
		}
		line[strcspn(line, "\n")] = '\0';
		char *lb = strrchr(line, '['), *rb = strrchr(line, ']');
		if (lb && rb && rb > lb && rb[1] == '\0') {
			*rb = '\0';
			char *reason = lb + 1, *last = strrchr(reason, ' ');
			long long since = 0;
			if (last && last[1] >= '0' && last[1] <= '9') {
				since = atoll(last + 1);
				*last = '\0';
			}
			if (!g->wait_reason || strcmp(g->wait_reason, reason) != 0)
				report(t, name, "goroutine %llu: wait reason %s, Delve says %s", goid,
				       g->wait_reason ? g->wait_reason : "-", reason);
			if (since && g->wait_since_ns != since)
				report(t, name, "goroutine %llu: waitsince %lld, Delve says %lld", goid,
				       (long long)g->wait_since_ns, since);
		}
		char *th = strstr(line, "(thread ");
		if (th && (unsigned long long)g->thread_id != strtoull(th + 8, NULL, 10))
			report(t, name, "goroutine %llu: thread %u, Delve says %s", goid, g->thread_id, th);
	}
	fclose(f);
	if (listed && listed != snap->ngoroutines)
		report(t, name, "%zu goroutines, Delve lists %zu", snap->ngoroutines, listed);
	return listed;
}

/* Read one core (compressed or raw) and compare it with the expectation. */
static void check_core(const char *name, const char *core_path, const char *exe_path,
		       const struct gt_trace *expect, uint64_t dumper, struct tally *t,
		       struct gr_snapshot **snap_ret)
{
	struct core_file *core = NULL;
	struct dw_binary *bin = NULL;
	struct gr_snapshot *snap = NULL;
	struct util_error *err = core_open(core_path, &core);
	if (!err)
		err = dw_binary_open(exe_path, &bin);
	if (!err)
		err = core_attach_exe(core, exe_path, false);
	if (!err)
		err = gr_snapshot_create(core, bin, NULL, &snap);
	if (err) {
		fprintf(stderr, "  %s: %s\n", name, err->message);
		util_error_destroy(err);
		t->mismatches++;
		goto out;
	}
	bool level2 = expect_level2(expect);
	struct gr_frame *fbuf = malloc(4096 * sizeof(*fbuf));
	for (size_t i = 0; i < expect->n; i++) {
		const struct gt_goroutine *e = &expect->g[i];
		if (e->goid == dumper)
			continue;
		t->g_expected++;
		const struct gr_goroutine *g = NULL;
		for (size_t j = 0; j < snap->ngoroutines; j++)
			if (snap->goroutines[j].goid == e->goid)
				g = &snap->goroutines[j];
		if (!g) {
			report(t, name, "goroutine %llu [%s] not found", (unsigned long long)e->goid,
			       e->state);
			continue;
		}
		struct gr_goroutine shown = filtered(g, level2, fbuf, 4096);
		compare_goroutine(t, name, e, &shown);
	}
	free(fbuf);
	for (size_t j = 0; j < snap->ngoroutines; j++) {
		const struct gr_goroutine *g = &snap->goroutines[j];
		if (!level2 && g->is_system)
			continue; // Go's default traceback hides system goroutines
		if (g->goid != dumper && !gt_find(expect, g->goid))
			report(t, name, "goroutine %llu [%s] is not in Go's traceback",
			       (unsigned long long)g->goid,
			       g->wait_reason ? g->wait_reason : g->status_name);
	}
out:
	if (snap_ret && snap)
		*snap_ret = snap;
	else
		gr_snapshot_destroy(snap);
	dw_binary_destroy(bin);
	core_destroy(core);
}

static void test_core(void **state)
{
	const struct gt_manifest_row *row = ((struct case_state *)*state)->row;
	const char *name = col(row, "name");
	char *exe_zst = corpus_path(col(row, "exe"));
	char *core_zst = corpus_path(col(row, "core"));
	char *trace = corpus_path(col(row, "traceback"));
	char *exe = NULL, *raw = NULL;
	if (asprintf(&exe, "%s/%s.exe", tmpdir, name) < 0 ||
	    asprintf(&raw, "%s/%s.core", tmpdir, name) < 0)
		abort();
	assert_true(gt_unzstd(exe_zst, exe));
	// A stripped build (corpus/generate.sh --variant split): its debug file
	// beside it under the name its .gnu_debuglink gives, found there by
	// that name and its CRC, as gdb finds it.
	char *debug = NULL;
	if (strstr(col(row, "notes"), "variant:split")) {
		const char *rel = col(row, "exe"), *base = strrchr(rel, '/');
		base = base ? base + 1 : rel;
		char *dzst = NULL;
		if (asprintf(&dzst, "%.*s.debug.zst", (int)strlen(exe_zst) - 4, exe_zst) < 0 ||
		    asprintf(&debug, "%s/%.*s.debug", tmpdir, (int)strlen(base) - 4, base) < 0)
			abort();
		assert_true(gt_unzstd(dzst, debug));
		free(dzst);
	}
	// A long traceback is kept compressed (pileup's run to 20,000 goroutines).
	size_t tl = strlen(trace);
	if (tl > 4 && strcmp(trace + tl - 4, ".zst") == 0) {
		char *plain = NULL;
		if (asprintf(&plain, "%s/%s.traceback", tmpdir, name) < 0)
			abort();
		assert_true(gt_unzstd(trace, plain));
		free(trace);
		trace = plain;
	}
	struct gt_trace expect;
	assert_true(gt_parse_file(trace, &expect));
	if (strncmp(trace, tmpdir, strlen(tmpdir)) == 0)
		unlink(trace);
	assert_true(expect.n > 0);
	uint64_t dumper = strtoull(col(row, "dumper_goid"), NULL, 10);

	struct tally t = {0};
	struct gr_snapshot *snap = NULL;
	check_core(name, core_zst, exe, &expect, dumper, &t, &snap);
	printf("# %-32s %s: %zu/%zu goroutines, %zu/%zu frames match Go's traceback\n", name,
	       col(row, "go_version"), t.g_matched, t.g_expected, t.f_matched, t.f_expected);
	char *dlv = corpus_path(col(row, "dlv"));
	size_t before = t.mismatches, listed = snap ? check_delve(name, dlv, snap, &t) : 0;
	if (listed)
		printf("# %-32s %s: %zu goroutines agree with Delve's listing (wait reason, "
		       "waitsince, thread)\n", name, col(row, "go_version"),
		       t.mismatches == before ? listed : 0);
	free(dlv);
	gr_snapshot_destroy(snap);

	// The same core decompressed (sparse) must read the same.
	struct tally traw = {0};
	assert_true(gt_unzstd(core_zst, raw));
	check_core(name, raw, exe, &expect, dumper, &traw, NULL);
	unlink(raw);
	unlink(exe);
	if (debug)
		unlink(debug);
	free(debug);
	gt_free(&expect);
	free(exe_zst);
	free(core_zst);
	free(trace);
	free(exe);
	free(raw);
	assert_int_equal(t.mismatches, 0);
	assert_int_equal(traw.mismatches, 0);
	assert_int_equal(t.g_matched, t.g_expected);
}

int main(void)
{
	char *mpath = corpus_path("manifest.tsv");
	gt_manifest_with_split = true;
	if (!gt_manifest_read(mpath, &manifest)) {
		printf("corpus manifest %s not found: skipping\n", mpath);
		free(mpath);
		return 77;
	}
	free(mpath);
	if (!mkdtemp(tmpdir))
		return 1;
	const char *only = getenv("CORPUS_ONLY"); // substring filter on case names
	struct CMUnitTest *tests = calloc(manifest.nrows, sizeof(*tests));
	struct case_state *states = calloc(manifest.nrows, sizeof(*states));
	size_t n = 0;
	for (size_t i = 0; i < manifest.nrows; i++) {
		const char *name = col(&manifest.rows[i], "name");
		if (only && !strstr(name, only))
			continue;
		states[n].row = &manifest.rows[i];
		tests[n] = (struct CMUnitTest){
			.name = name,
			.test_func = test_core,
			.initial_state = &states[n],
		};
		n++;
	}
	int rc = _cmocka_run_group_tests("corpus", tests, n, NULL, NULL);
	rmdir(tmpdir);
	free(tests);
	free(states);
	gt_manifest_free(&manifest);
	return rc;
}
