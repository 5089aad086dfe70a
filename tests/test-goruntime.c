// SPDX-License-Identifier: Apache-2.0
// test-goruntime.c: unit tests for goruntime/ — layouts against the reference
// tables, each corpus scenario goroutine against what the program itself
// printed, and corrupted cores that must give errors or diagnostics, not crashes.
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
#include "goruntime/internal.h"
#include "tests/gotrace.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

static struct gt_manifest manifest;
static char tmpdir[] = "/tmp/gocoroner-gr-XXXXXX";

/* Corpus helpers shared by the tests (tests/gotrace.c). */
#define path_in gt_path
#define row_named(name) gt_row(&manifest, (name))
#define unpack(row, col, suffix) gt_unpack(&manifest, (row), (col), TOP_SRCDIR "/corpus", tmpdir, (suffix))
#define patch(path, addr, bytes, len) assert_true(gt_patch_core((path), (addr), (bytes), (len)))




#define SKIP_WITHOUT_CORPUS()                                                  \
	do {                                                                   \
		if (!manifest.nrows) {                                         \
			printf("corpus not found: skipped\n");                 \
			skip();                                                \
		}                                                              \
	} while (0)

/* ---- Layouts: probed offsets equal the reference tables ----------------- */

static void test_layouts(void **state)
{
	SKIP_WITHOUT_CORPUS();
	// Independent values from go-runtime-layouts.md §2 (taken from DWARF by
	// a separate dumper) and §3.2 (waitReasonStrings lengths).
	static const struct {
		const char *version;
		uint64_t goid, waitreason, gopc, sched_bp, wrs_count;
		bool parent_goid;
	} want[] = {
		{"go1.19", 152, 176, 296, 56 + 48, 27, false},
		{"go1.21", 152, 176, 280, 56 + 48, 32, true},
		{"go1.22", 152, 176, 280, 56 + 48, 37, true},
		{"go1.23", 160, 184, 288, 56 + 48, 38, true},
		{"go1.24", 160, 184, 288, 56 + 48, 44, true},
		{"go1.26", 152, 176, 288, 56 + 40, 47, true},
		{"go1.27", 152, 176, 288, 56 + 40, 47, true},
	};
	size_t checked = 0, checked_hang = 0, checked_diag = 0, checked_stripped = 0;
	for (size_t i = 0; i < manifest.nrows; i++) {
		const struct gt_manifest_row *row = &manifest.rows[i];
		if (strcmp(gt_col(&manifest, row, "core_kind"), "gcore") != 0)
			continue; // one per executable
		// A build variant's rows (-buildmode=pie, stripped: the built-in
		// layouts...) are checked the same and counted apart.
		bool variant = strstr(gt_col(&manifest, row, "notes"), "variant:") != NULL;
		bool stripped = gt_row_stripped(&manifest, row);
		bool hang = !variant && strcmp(gt_col(&manifest, row, "program"), "hang") == 0;
		bool diag = strcmp(gt_col(&manifest, row, "program"), "diag") == 0;
		const char *v = gt_col(&manifest, row, "go_version");
		char *exe = unpack(row, "exe", ".exe");
		struct dw_binary *bin;
		assert_null(dw_binary_open(exe, &bin));
		struct gr_layout l;
		assert_null(gr_layout_probe(bin, &l));
		for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
			size_t n = strlen(want[k].version);
			if (strncmp(v, want[k].version, n) != 0 || v[n] != '.')
				continue;
			assert_int_equal(l.g_goid, want[k].goid);
			assert_int_equal(l.g_waitreason, want[k].waitreason);
			assert_int_equal(l.g_gopc, want[k].gopc);
			assert_int_equal(l.g_sched_bp, want[k].sched_bp);
			assert_int_equal(l.wrs_count, want[k].wrs_count);
			assert_int_equal(l.g_parent_goid != GR_ABSENT, want[k].parent_goid);
			assert_string_equal(l.status_names[4], "waiting");
			assert_string_equal(l.status_names[1], "runnable");
			checked++;
			checked_hang += hang;
			checked_diag += diag && !variant;
			checked_stripped += stripped;
		}
		const char *version;
		assert_null(gr_go_version(bin, &version));
		// A build with a GOEXPERIMENT says so after the release (diag on
		// Go 1.26: "go1.26.10 X:goroutineleakprofile"); the manifest has the
		// toolchain's release.
		size_t vl = strlen(v);
		if (strncmp(version, v, vl) != 0 ||
		    (version[vl] && strncmp(version + vl + 1, "X:", 2) != 0))
			fail_msg("%s: Go version %s, want %s", gt_col(&manifest, row, "name"), version,
				 v);
		free((char *)version);
		dw_binary_destroy(bin);
		unlink(exe);
		free(exe);
	}
	// 7 releases x debug/opt of hang and of diag; pileup's shapes on 1.26
	// and 1.27 (a core, and so an executable row, per shape) on top.
	assert_int_equal(checked_hang, 14);
	assert_int_equal(checked_diag, 14);
	// hang-stripped on go1.22 and go1.27, with the same offsets from the built-in tables.
	assert_int_equal(checked_stripped, 2);
	assert_true(checked >= 30);
}

/* ---- Scenarios: the program's own word ---------------------------------- */

struct scenario {
	const char *name;
	const char *states[3]; /* accepted states (release differences noted) */
	const char *in_stack;  /* a function the stack must contain */
};

static const struct scenario scenarios[] = {
	{"main", {"chan receive"}, "main.main"},
	{"deep", {"chan receive"}, "main.handler"},
	{"select", {"select"}, "main.selectWaiter"},
	{"iowait", {"IO wait"}, "internal/poll.runtime_pollWait"},
	{"sleep", {"sleep"}, "time.Sleep"},
	// Go 1.19 has no sync.* wait reasons: the runtime said "semacquire".
	{"mutex", {"sync.Mutex.Lock", "semacquire"}, "main.mutexWaiter"},
	{"cond", {"sync.Cond.Wait"}, "main.condWaiter"},
	// sync.WaitGroup.Wait is new in Go 1.24.
	{"waitgroup", {"sync.WaitGroup.Wait", "semacquire"}, "sync.(*WaitGroup).Wait"},
	{"chansend-1", {"chan send"}, "main.chanSender"},
	{"chansend-2", {"chan send"}, "main.chanSender"},
	{"spin", {"running", "runnable"}, "main.spinner"},
	{"labels-1", {"chan receive"}, "main.labeledWait"},
	{"labels-2", {"chan receive"}, "main.labeledWait"},
	{"defers", {"chan receive"}, "main.deferInner"},
	{"panicking", {"chan receive"}, "runtime.gopanic"},
	{"locked", {"chan receive"}, "main.lockedWaiter"},
	{"rawsyscall", {"syscall"}, "main.rawSyscallReader"},
	{"select3", {"select"}, "main.select3Waiter"},
	{"samechan-recv-1", {"chan receive"}, "main.sameChanReceiver"},
	{"samechan-recv-2", {"chan receive"}, "main.sameChanReceiver"},
	{"samechan-send-1", {"chan send"}, "main.sameChanSender"},
	{"samechan-send-2", {"chan send"}, "main.sameChanSender"},
	{"closedchan", {"chan receive"}, "main.closedChanHolder"},
	{"selectnil", {"select"}, "main.selectNilWaiter"},
	{"timer-newtimer", {"chan receive"}, "main.timerWaiter"},
	{"timer-after", {"chan receive"}, "main.afterWaiter"},
	{"syncmutex-1", {"sync.Mutex.Lock", "semacquire"}, "main.syncMutexWaiter"},
	{"syncmutex-2", {"sync.Mutex.Lock", "semacquire"}, "main.syncMutexWaiter"},
	{"syncrw-writer", {"sync.RWMutex.Lock", "semacquire"}, "main.rwWriter"},
	{"syncrw-reader-1", {"sync.RWMutex.RLock", "semacquire"}, "main.rwReader"},
	{"syncrw-reader-2", {"sync.RWMutex.RLock", "semacquire"}, "main.rwReader"},
	{"syncwg-1", {"sync.WaitGroup.Wait", "semacquire"}, "main.syncWGWaiter"},
	{"syncwg-2", {"sync.WaitGroup.Wait", "semacquire"}, "main.syncWGWaiter"},
	{"synccond-1", {"sync.Cond.Wait"}, "main.syncCondWaiter"},
	{"synccond-2", {"sync.Cond.Wait"}, "main.syncCondWaiter"},
	{"defers5", {"chan receive"}, "main.deferInner5"},
	{"panicnested", {"chan receive"}, "main.panicNestedBlock"},
	{"panicrecovered", {"chan receive"}, "main.panicRecoverDefer"},
	{"goexit", {"chan receive"}, "main.goexitDeferred"},
};

static const struct gr_goroutine *find_g(const struct gr_snapshot *s, uint64_t goid)
{
	for (size_t i = 0; i < s->ngoroutines; i++)
		if (s->goroutines[i].goid == goid)
			return &s->goroutines[i];
	return NULL;
}

static bool stack_has(const struct gr_goroutine *g, const char *func)
{
	for (size_t i = 0; i < g->nframes; i++)
		if (strcmp(g->frames[i].func, func) == 0)
			return true;
	return false;
}

/* What gr_options.goroutines_done saw, to check it against the finished snapshot. */
struct goroutines_seen {
	int calls;
	size_t n;
	uint64_t sum, ctx_sum, waits_sum;
};

/* The goroutines' fields an early reader (store_ingest_begin) writes. */
static uint64_t goroutines_sum(const struct gr_snapshot *snap)
{
	uint64_t h = snap->nstacks;
	for (size_t i = 0; i < snap->ngoroutines; i++) {
		const struct gr_goroutine *g = &snap->goroutines[i];
		h = h * 31 + g->goid;
		h = h * 31 + g->status + (uint64_t)g->wait_minutes + g->nframes + g->g_addr;
		h = h * 31 + g->stack_index;
		for (size_t k = 0; k < g->nframes; k++)
			h = h * 31 + g->frames[k].pc;
	}
	return h;
}

static void goroutines_done(const struct gr_snapshot *snap, void *arg)
{
	struct goroutines_seen *seen = arg;
	seen->calls++;
	seen->n = snap->ngoroutines;
	seen->sum = goroutines_sum(snap);
}

/* The contexts' fields, their children and holdings. */
static uint64_t contexts_sum(const struct gr_snapshot *snap)
{
	uint64_t h = snap->ncontexts * 7 + snap->ncontext_children * 3 + snap->ngoroutine_contexts;
	for (size_t i = 0; i < snap->ncontexts; i++) {
		const struct gr_context *c = &snap->contexts[i];
		h = h * 31 + c->addr + c->parent_addr + c->done_chan + (uint64_t)c->canceled;
	}
	for (size_t i = 0; i < snap->ncontext_children; i++)
		h = h * 31 + snap->context_children[i].parent_addr + snap->context_children[i].child_addr;
	for (size_t i = 0; i < snap->ngoroutine_contexts; i++) {
		const struct gr_goroutine_context *gc = &snap->goroutine_contexts[i];
		h = h * 31 + gc->goid + gc->ctx_addr + (uint64_t)gc->frame_depth;
	}
	return h;
}

/* The channels, channel waits, defers and panics (not the sync waits: their ctx_addr comes with the contexts). */
static uint64_t waits_sum(const struct gr_snapshot *snap)
{
	uint64_t h = snap->nchannels * 7 + snap->nchan_waits * 5 + snap->ndefers * 3 + snap->npanics;
	for (size_t i = 0; i < snap->nchannels; i++)
		h = h * 31 + snap->channels[i].addr;
	for (size_t i = 0; i < snap->nchan_waits; i++)
		h = h * 31 + snap->chan_waits[i].goid + snap->chan_waits[i].chan_addr +
		    (uint64_t)snap->chan_waits[i].queue_pos;
	for (size_t i = 0; i < snap->ndefers; i++)
		h = h * 31 + snap->defers[i].goid + snap->defers[i].seq + (uint64_t)snap->defers[i].frame_depth;
	return h;
}

/* waits_done comes after goroutines_done (same struct, other fields). */
static void waits_done(const struct gr_snapshot *snap, void *arg)
{
	struct goroutines_seen *seen = arg;
	assert_int_equal(seen->calls, 1);
	seen->calls += 100;
	seen->waits_sum = waits_sum(snap);
}

/* contexts_done comes after waits_done, and the sync waits are final with it. */
static void contexts_done(const struct gr_snapshot *snap, void *arg)
{
	struct goroutines_seen *seen = arg;
	assert_int_equal(seen->calls, 101);
	seen->calls += 10;
	seen->ctx_sum = contexts_sum(snap);
	for (size_t i = 0; i < snap->nsync_waits; i++)
		seen->ctx_sum = seen->ctx_sum * 31 + snap->sync_waits[i].ctx_addr;
}

static void check_scenarios(const struct gt_manifest_row *row)
{
	const char *name = gt_col(&manifest, row, "name");
	char *exe = unpack(row, "exe", ".exe");
	char *core_path = path_in(TOP_SRCDIR "/corpus", gt_col(&manifest, row, "core"));
	char *out_path = path_in(TOP_SRCDIR "/corpus", gt_col(&manifest, row, "stdout"));
	struct core_file *core;
	struct dw_binary *bin;
	struct gr_snapshot *snap;
	assert_null(core_open(core_path, &core));
	assert_null(dw_binary_open(exe, &bin));
	assert_null(core_attach_exe(core, exe, false));
	// The goroutines are final when goroutines_done says so, the waits
	// when waits_done does, the contexts and sync waits when contexts_done does.
	struct goroutines_seen early = {0};
	struct gr_options opts = {.goroutines_done = goroutines_done, .goroutines_done_arg = &early,
				  .waits_done = waits_done, .waits_done_arg = &early,
				  .contexts_done = contexts_done, .contexts_done_arg = &early};
	assert_null(gr_snapshot_create(core, bin, &opts, &snap));
	assert_int_equal(early.calls, 111);
	assert_int_equal(early.n, snap->ngoroutines);
	assert_true(early.sum == goroutines_sum(snap));
	assert_true(early.waits_sum == waits_sum(snap));
	uint64_t ctx_sum = contexts_sum(snap);
	for (size_t i = 0; i < snap->nsync_waits; i++)
		ctx_sum = ctx_sum * 31 + snap->sync_waits[i].ctx_addr;
	assert_true(early.ctx_sum == ctx_sum);

	FILE *f = fopen(out_path, "r");
	assert_non_null(f);
	char line[256], sname[64];
	unsigned long long goid, tid_locked = 0;
	size_t seen = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "tid locked %llu", &tid_locked) == 1)
			continue;
		if (sscanf(line, "scenario %63s goid=%llu", sname, &goid) != 2)
			continue;
		const struct scenario *sc = NULL;
		for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
			if (strcmp(scenarios[i].name, sname) == 0)
				sc = &scenarios[i];
		if (!sc)
			fail_msg("%s: unknown scenario %s in the program's output", name, sname);
		const struct gr_goroutine *g = find_g(snap, goid);
		if (!g)
			fail_msg("%s: scenario %s goroutine %llu not found", name, sname, goid);
		const char *st = g->wait_reason ? g->wait_reason : g->status_name;
		bool ok = false;
		for (int k = 0; k < 3 && sc->states[k]; k++)
			ok |= strcmp(st, sc->states[k]) == 0;
		if (!ok)
			fail_msg("%s: scenario %s is '%s', expected '%s'", name, sname, st, sc->states[0]);
		if (!stack_has(g, sc->in_stack))
			fail_msg("%s: scenario %s: no %s in its stack", name, sname, sc->in_stack);
		assert_false(g->is_system);
		if (strcmp(sname, "deep") == 0) {
			// The 11-layer chain, innermost layer first, all of it.
			static const char *layers[] = {"main.epoll", "main.syscall", "main.crypto",
						       "main.tls", "main.conn", "main.pool",
						       "main.driver", "main.db", "main.repo",
						       "main.service", "main.handler"};
			for (size_t k = 0; k < 11; k++)
				if (!stack_has(g, layers[k]))
					fail_msg("%s: deep chain lacks %s", name, layers[k]);
		}
		if (strncmp(sname, "labels-", 7) == 0) {
			const char *want = strcmp(sname, "labels-1") == 0 ? "\"request_id\":\"r-42\""
									 : "\"request_id\":\"r-43\"";
			if (!g->labels || !strstr(g->labels, want) ||
			    !strstr(g->labels, "\"handler\":\"checkout\""))
				fail_msg("%s: %s labels %s", name, sname, g->labels ? g->labels : "(none)");
		}
		if (strcmp(sname, "locked") == 0)
			assert_true(g->locked);
		if (strcmp(sname, "rawsyscall") == 0) {
			// The thread in the syscall is one of the core's threads.
			bool found = false;
			for (size_t k = 0; k < core_num_threads(core); k++)
				found |= core_thread(core, k)->tid == g->thread_id;
			if (!found)
				fail_msg("%s: syscall goroutine on thread %u, not in the core", name,
					 g->thread_id);
		}
		if (g->has_creator && strcmp(sname, "main") != 0)
			assert_int_equal(g->creator_goid, 1); // main started every scenario
		seen++;
	}
	fclose(f);
	assert_int_equal(seen, sizeof(scenarios) / sizeof(scenarios[0]));
	assert_true(snap->now_ns > 0);
	assert_non_null(snap->now_source);
	gr_snapshot_destroy(snap);
	dw_binary_destroy(bin);
	core_destroy(core);
	unlink(exe);
	free(exe);
	free(core_path);
	free(out_path);
}

static void test_scenarios(void **state)
{
	SKIP_WITHOUT_CORPUS();
	// The scenario table above is the hang program's.
	for (size_t i = 0; i < manifest.nrows; i++)
		if (strcmp(gt_col(&manifest, &manifest.rows[i], "program"), "hang") == 0)
			check_scenarios(&manifest.rows[i]);
}

/* ---- The diag program: its goroutines and Go's goroutine-leak profile ---- */

#define DIAG_MAX 256

/* Goroutine ids of "goroutine N [... (leaked)]:" lines of a leak profile. */
static size_t leaked_in_profile(const char *path, uint64_t *ids, size_t max)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return SIZE_MAX;
	char line[1024];
	size_t n = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long goid;
		if (sscanf(line, "goroutine %llu [", &goid) == 1 && strstr(line, " (leaked)]") &&
		    n < max)
			ids[n++] = goid;
	}
	fclose(f);
	return n;
}

static bool has_id(const uint64_t *ids, size_t n, uint64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/*
 * Every goroutine the diag program names (scenario, expect, clean lines) is
 * in the core, not a system goroutine, and, for cancel_unobserved
 * expectations, has the culprit function in its stack. On Go 1.26+ the
 * goroutines Go's leak profile marked leaked are exactly those of the
 * program's "expect leak_suspect" lines (the program against Go), and
 * gocoroner reads exactly them with status "leaked" (the core keeps it);
 * before 1.26 no goroutine is leaked.
 */
static void check_diag(const struct gt_manifest_row *row)
{
	const char *name = gt_col(&manifest, row, "name");
	const char *version = gt_col(&manifest, row, "go_version");
	char *exe = unpack(row, "exe", ".exe");
	char *core_path = path_in(TOP_SRCDIR "/corpus", gt_col(&manifest, row, "core"));
	char *out_path = path_in(TOP_SRCDIR "/corpus", gt_col(&manifest, row, "stdout"));
	char *leaks_rel = NULL;
	if (asprintf(&leaks_rel, "expect/%s.leaks", name) < 0)
		abort();
	char *leaks_path = path_in(TOP_SRCDIR "/corpus", leaks_rel);
	struct core_file *core;
	struct dw_binary *bin;
	struct gr_snapshot *snap;
	assert_null(core_open(core_path, &core));
	assert_null(dw_binary_open(exe, &bin));
	assert_null(core_attach_exe(core, exe, false));
	assert_null(gr_snapshot_create(core, bin, NULL, &snap));

	uint64_t want_leaked[DIAG_MAX];
	size_t nwant = 0, named = 0, expects = 0;
	FILE *f = fopen(out_path, "r");
	assert_non_null(f);
	char line[512], kind[16], query[64], sname[64];
	unsigned long long goid;
	int used;
	while (fgets(line, sizeof(line), f)) {
		bool is_scenario = sscanf(line, "scenario %63s goid=%llu", sname, &goid) == 2;
		bool is_expect = !is_scenario &&
				 sscanf(line, "%15s %63s %63s goid=%llu%n", kind, query, sname, &goid,
					&used) == 4 &&
				 (strcmp(kind, "expect") == 0 || strcmp(kind, "clean") == 0);
		if (!is_scenario && !is_expect)
			continue;
		const struct gr_goroutine *g = find_g(snap, goid);
		if (!g)
			fail_msg("%s: %s goroutine %llu not found", name, sname, goid);
		assert_false(g->is_system);
		named++;
		if (!is_expect)
			continue;
		expects++;
		if (strcmp(kind, "expect") == 0 && strcmp(query, "leak_suspect") == 0) {
			assert_true(nwant < DIAG_MAX);
			want_leaked[nwant++] = goid;
		}
		const char *fn = strstr(line + used, " func=");
		if (fn && strcmp(kind, "expect") == 0 && strcmp(query, "cancel_unobserved") == 0) {
			char func[128];
			assert_int_equal(sscanf(fn, " func=%127s", func), 1);
			if (!stack_has(g, func))
				fail_msg("%s: %s goroutine %llu: no %s in its stack", name, sname, goid,
					 func);
		}
	}
	fclose(f);
	assert_true(named > 40);
	assert_true(expects > 30);
	assert_true(nwant == 7); // 3 leaks, 2 two-goroutine cycles

	uint64_t prof[DIAG_MAX];
	size_t nprof = leaked_in_profile(leaks_path, prof, DIAG_MAX);
	bool has_profile = strncmp(version, "go1.26", 6) == 0 || strncmp(version, "go1.27", 6) == 0;
	if (has_profile) {
		if (nprof == SIZE_MAX)
			fail_msg("%s: no %s", name, leaks_rel);
		if (nprof != nwant)
			fail_msg("%s: Go's leak profile lists %zu goroutines, the program expects %zu",
				 name, nprof, nwant);
		for (size_t i = 0; i < nprof; i++)
			if (!has_id(want_leaked, nwant, prof[i]))
				fail_msg("%s: Go's leak profile lists goroutine %llu, not planted", name,
					 (unsigned long long)prof[i]);
	} else {
		assert_true(nprof == SIZE_MAX);
	}
	size_t leaked = 0;
	for (size_t i = 0; i < snap->ngoroutines; i++) {
		const struct gr_goroutine *g = &snap->goroutines[i];
		bool is_leaked = strcmp(g->status_name, "leaked") == 0;
		bool want = has_profile && has_id(want_leaked, nwant, g->goid);
		if (is_leaked != want)
			fail_msg("%s: goroutine %llu has status %s, Go's leak profile says %s", name,
				 (unsigned long long)g->goid, g->status_name,
				 want ? "leaked" : "not leaked");
		leaked += is_leaked;
	}
	printf("# %s %s: the goroutines of %zu scenario/expect/clean lines found; %zu leaked (%s)\n", name,
	       version, named, leaked, has_profile ? "as Go's leak profile" : "no leak profile");
	gr_snapshot_destroy(snap);
	dw_binary_destroy(bin);
	core_destroy(core);
	unlink(exe);
	free(exe);
	free(core_path);
	free(out_path);
	free(leaks_rel);
	free(leaks_path);
}

static void test_diag(void **state)
{
	SKIP_WITHOUT_CORPUS();
	size_t n = 0;
	for (size_t i = 0; i < manifest.nrows; i++)
		if (strcmp(gt_col(&manifest, &manifest.rows[i], "program"), "diag") == 0) {
			check_diag(&manifest.rows[i]);
			n++;
		}
	if (!n) {
		printf("no diag cores in the corpus: skipped\n");
		skip();
	}
}

/* ---- Corrupted cores ---------------------------------------------------- */


struct corrupt_env {
	char *exe, *core;
	struct dw_binary *bin;
	struct gr_layout l;
	uint64_t allgs[3];
};

static void corrupt_setup(struct corrupt_env *env)
{
	const struct gt_manifest_row *row = row_named("hang-go1.24-opt-kernel");
	assert_non_null(row);
	env->exe = unpack(row, "exe", ".exe");
	env->core = unpack(row, "core", ".core");
	assert_null(dw_binary_open(env->exe, &env->bin));
	assert_null(gr_layout_probe(env->bin, &env->l));
	struct core_file *core;
	assert_null(core_open(env->core, &core));
	assert_null(core_attach_exe(core, env->exe, false));
	assert_null(core_read(core, env->l.allgs_addr, env->allgs, sizeof(env->allgs)));
	core_destroy(core);
}

static void corrupt_teardown(struct corrupt_env *env)
{
	dw_binary_destroy(env->bin);
	unlink(env->exe);
	unlink(env->core);
	free(env->exe);
	free(env->core);
}

/* Read the (patched) core; returns the error, the snapshot through *SNAP. */
static struct util_error *read_patched(struct corrupt_env *env, struct gr_snapshot **snap)
{
	struct core_file *core;
	struct util_error *err = core_open(env->core, &core);
	if (!err)
		err = core_attach_exe(core, env->exe, false);
	if (!err)
		err = gr_snapshot_create(core, env->bin, NULL, snap);
	core_destroy(core);
	return err;
}

static void test_corrupt_allgs(void **state)
{
	SKIP_WITHOUT_CORPUS();
	struct corrupt_env env;
	corrupt_setup(&env);
	struct gr_snapshot *snap = NULL;

	// A length beyond the capacity: refused as corrupt, not walked.
	uint64_t bad[3] = {env.allgs[0], 1ULL << 40, 16};
	patch(env.core, env.l.allgs_addr, bad, sizeof(bad));
	struct util_error *err = read_patched(&env, &snap);
	assert_true(util_error_is(err, UTIL_ERROR_BAD_DATA));
	util_error_destroy(err);

	// The array pointing at memory the core does not hold: a fault naming it.
	uint64_t wild[3] = {0x7ff0deadbeef000, env.allgs[1], env.allgs[2]};
	patch(env.core, env.l.allgs_addr, wild, sizeof(wild));
	err = read_patched(&env, &snap);
	assert_true(util_error_is(err, UTIL_ERROR_FAULT));
	assert_non_null(strstr(err->message, "allgs"));
	util_error_destroy(err);

	// One g pointer garbage, another g with a wild stack pointer: the rest
	// is read, the problems become diagnostics.
	patch(env.core, env.l.allgs_addr, env.allgs, sizeof(env.allgs));
	uint64_t junk = 0x10;
	patch(env.core, env.allgs[0] + 8 * 3, &junk, 8);
	uint64_t g5;
	struct core_file *core;
	assert_null(core_open(env.core, &core));
	assert_null(core_read_u64(core, env.allgs[0] + 8 * 5, &g5));
	core_destroy(core);
	uint64_t sp = 0x7ff0deadbe00;
	patch(env.core, g5 + env.l.g_sched_sp, &sp, 8);
	err = read_patched(&env, &snap);
	assert_null(err);
	assert_true(snap->ngoroutines > 10);
	bool saw_g = false, saw_unwind = false;
	for (size_t i = 0; i < snap->ndiags; i++) {
		saw_g |= strcmp(snap->diags[i].what, "goroutine") == 0;
		saw_unwind |= strcmp(snap->diags[i].what, "unwind") == 0;
	}
	assert_true(saw_g);
	assert_true(saw_unwind);
	gr_snapshot_destroy(snap);
	corrupt_teardown(&env);
}

static void test_corrupt_allm_cycle(void **state)
{
	SKIP_WITHOUT_CORPUS();
	struct corrupt_env env;
	corrupt_setup(&env);
	// Make the first M's alllink point to itself: the walk must stop.
	struct core_file *core;
	uint64_t m0;
	assert_null(core_open(env.core, &core));
	assert_null(core_attach_exe(core, env.exe, false));
	assert_null(core_read_u64(core, env.l.allm_addr, &m0));
	core_destroy(core);
	patch(env.core, m0 + env.l.m_alllink, &m0, 8);
	struct gr_snapshot *snap = NULL;
	assert_null(read_patched(&env, &snap));
	bool saw = false;
	for (size_t i = 0; i < snap->ndiags; i++)
		saw |= strcmp(snap->diags[i].what, "allm") == 0 && strstr(snap->diags[i].detail, "loops");
	assert_true(saw);
	gr_snapshot_destroy(snap);
	corrupt_teardown(&env);
}

/* A corpus core opened and read, for the tests that look inside a snapshot. */
struct opened {
	char *exe, *core_path;
	struct core_file *core;
	struct dw_binary *bin;
	struct gr_snapshot *snap;
};

static void open_core(const char *name, struct opened *o)
{
	const struct gt_manifest_row *row = row_named(name);
	assert_non_null(row);
	o->exe = unpack(row, "exe", ".exe");
	o->core_path = path_in(TOP_SRCDIR "/corpus", gt_col(&manifest, row, "core"));
	assert_null(core_open(o->core_path, &o->core));
	assert_null(dw_binary_open(o->exe, &o->bin));
	assert_null(core_attach_exe(o->core, o->exe, false));
	assert_null(gr_snapshot_create(o->core, o->bin, NULL, &o->snap));
}

static void close_core(struct opened *o)
{
	gr_snapshot_destroy(o->snap);
	dw_binary_destroy(o->bin);
	core_destroy(o->core);
	unlink(o->exe);
	free(o->exe);
	free(o->core_path);
}

/* ---- The link-register unwinding step (arm64) ---------------------------- */

/* A frame of a GOTRACEBACK=crash traceback: "... fp=0x.. sp=0x.. pc=0x..". */
struct tb_frame {
	char func[128];
	uint64_t fp, sp, pc;
};

/*
 * The frames Go printed for goroutine GOID in TRACEBACK (an expect file
 * of a kernel core), up to MAX; 0 if it is not there.
 */
static size_t tb_frames(const char *traceback, uint64_t goid, struct tb_frame *out, size_t max)
{
	FILE *f = fopen(traceback, "r");
	assert_non_null(f);
	char line[1024], head[64], func[128] = "";
	// "goroutine 1 gp=0x... m=nil [chan receive]:" (1.21+), "goroutine 1 [chan receive]:".
	snprintf(head, sizeof(head), "goroutine %llu ", (unsigned long long)goid);
	size_t n = 0;
	bool in = false;
	while (fgets(line, sizeof(line), f) && n < max) {
		if (strncmp(line, "goroutine ", 10) == 0) {
			if (in)
				break;
			in = strncmp(line, head, strlen(head)) == 0 &&
			     (line[strlen(head)] == '[' || strncmp(line + strlen(head), "gp=", 3) == 0);
			continue;
		}
		if (!in)
			continue;
		if (line[0] != '\t') {
			snprintf(func, sizeof(func), "%.*s", (int)strcspn(line, "("), line);
			continue;
		}
		const char *p = strstr(line, " fp=");
		unsigned long long fp, sp, pc;
		if (p && sscanf(p, " fp=%llx sp=%llx pc=%llx", &fp, &sp, &pc) == 3) {
			out[n++] = (struct tb_frame){.fp = fp, .sp = sp, .pc = pc};
			snprintf(out[n - 1].func, sizeof(out[n - 1].func), "%s", func);
		}
	}
	fclose(f);
	return n;
}

/*
 * gr_unwind_step on arm64 against Go's own traceback of a qemu-aarch64 core:
 * a made frame's return address is at 0(SP), whatever LR says; the innermost
 * frame takes LR while it is not made (SP == FP); and the same step on an
 * amd64 core reads FP - 8. Also the LR pop after an injected asyncPreempt
 * call, when Go printed one.
 */
static void test_lr_unwind_step(void **state)
{
	SKIP_WITHOUT_CORPUS();
	static const char *const names[] = {"hang-arm64-go1.27-opt-kernel", "hang-arm64-go1.19-debug-kernel",
					    "hang-go1.27-opt-kernel"};
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		if (!row_named(names[k])) {
			printf("# %s: not in the corpus: skipped\n", names[k]);
			continue;
		}
		struct opened o;
		open_core(names[k], &o);
		char *tb = path_in(TOP_SRCDIR "/corpus", gt_col(&manifest, row_named(names[k]), "traceback"));
		struct tb_frame fr[64];
		size_t n = tb_frames(tb, 1, fr, 64); // main: parked in gopark < chanrecv < ...
		assert_true(n >= 3);
		struct gr_reader r = {.core = o.core, .bin = o.bin};
		bool arm64 = dw_binary_arch(o.bin)->uses_lr;
		assert_int_equal(arm64, strstr(names[k], "arm64") != NULL);
		assert_int_equal(dw_binary_arch(o.bin)->ret_size, arm64 ? 0 : 8);
		for (size_t i = 0; i + 1 < n; i++) {
			uint64_t lr = 0;
			assert_null(gr_unwind_step(&r, fr[i].sp, fr[i].fp, i == 0, &lr));
			assert_int_equal(lr, fr[i + 1].pc);
			// A made frame: the saved LR wins over the register.
			lr = 0x1234;
			assert_null(gr_unwind_step(&r, fr[i].sp, fr[i].fp, true, &lr));
			assert_int_equal(lr, fr[i + 1].pc);
		}
		if (arm64) {
			// Not made yet (at the entry, a leaf): LR is the return address.
			uint64_t lr = 0x1234;
			assert_null(gr_unwind_step(&r, fr[0].sp, fr[0].sp, true, &lr));
			assert_int_equal(lr, 0x1234);
			// Not innermost: the link register is not live there.
			lr = 0;
			assert_null(gr_unwind_step(&r, fr[0].sp, fr[0].sp, false, &lr));
			uint64_t at_sp;
			assert_null(core_read_u64(o.core, fr[0].sp, &at_sp));
			assert_int_equal(lr, at_sp);
		}
		// A goroutine Go printed as preempted (asyncPreempt < the user's
		// function), if this core has one: popping the injected call's
		// saved LR lands on the interrupted frame's SP.
		for (size_t gi = 0; arm64 && gi < o.snap->ngoroutines; gi++) {
			struct tb_frame g[64];
			size_t gn = tb_frames(tb, o.snap->goroutines[gi].goid, g, 64);
			for (size_t i = 0; i + 1 < gn; i++) {
				if (strcmp(g[i].func, "runtime.asyncPreempt") != 0)
					continue;
				uint64_t pc = g[i + 1].pc, sp = g[i].fp, lr = 0;
				assert_null(gr_unwind_injected_lr(&r, &pc, &sp, &lr));
				assert_int_equal(pc, g[i + 1].pc);
				assert_int_equal(sp, g[i + 1].sp);
				if (lr) // the interrupted frame was not made: LR came from the stack
					assert_true(i + 2 < gn && lr == g[i + 2].pc);
				printf("# %s: goroutine %llu preempted in %s, lr %s\n", names[k],
				       (unsigned long long)o.snap->goroutines[gi].goid, g[i + 1].func,
				       lr ? "popped" : "saved in its frame");
			}
		}
		printf("# %s: %zu frames of goroutine 1 step as Go's traceback says\n", names[k], n);
		free(tb);
		close_core(&o);
	}
}

/*
 * The arm64 signal frame: Go 1.21+ print, for the goroutine that took the
 * SIGABRT, its M ("m=N mp=0x...") and the registers of the signal context
 * ("r29 0x..", "lr", "sp", "pc"). gr_signal_context, from that M's thread
 * and its gsignal stack, must find the same context in qemu's core.
 */
static void test_arm64_signal_context(void **state)
{
	SKIP_WITHOUT_CORPUS();
	static const char *const names[] = {"hang-arm64-go1.27-opt-kernel",
					    "hang-arm64-go1.27-debug-kernel"};
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		if (!row_named(names[k])) {
			printf("# %s: not in the corpus: skipped\n", names[k]);
			continue;
		}
		struct opened o;
		open_core(names[k], &o);
		char *tb = path_in(TOP_SRCDIR "/corpus", gt_col(&manifest, row_named(names[k]), "traceback"));
		FILE *f = fopen(tb, "r");
		assert_non_null(f);
		char line[1024];
		unsigned long long mp = 0, want[4] = {0}, v; // r29, lr, sp, pc
		static const char *const regs[4] = {"r29", "lr", "sp", "pc"};
		int have = 0;
		while (have != 15 && fgets(line, sizeof(line), f)) {
			const char *m = strstr(line, " mp=0x");
			if (!mp && strncmp(line, "goroutine ", 10) == 0 && m)
				mp = strtoull(m + 4, NULL, 16);
			char reg[8];
			for (int i = 0; i < 4; i++)
				if (sscanf(line, "%7s %llx", reg, &v) == 2 && strcmp(reg, regs[i]) == 0 &&
				    !(have & (1 << i))) {
					want[i] = v;
					have |= 1 << i;
				}
		}
		fclose(f);
		assert_true(mp != 0);
		assert_int_equal(have, 15);
		struct gr_layout lay;
		assert_null(gr_layout_probe(o.bin, &lay));
		const struct gr_layout *l = &lay;
		uint64_t gsignal, lo, hi, procid;
		assert_null(core_read_u64(o.core, mp + l->m_gsignal, &gsignal));
		assert_null(core_read_u64(o.core, mp + l->m_procid, &procid));
		assert_null(core_read_u64(o.core, gsignal + l->g_stack_lo, &lo));
		assert_null(core_read_u64(o.core, gsignal + l->g_stack_hi, &hi));
		const struct core_thread *t = NULL;
		for (size_t i = 0; i < core_num_threads(o.core); i++)
			if (core_thread(o.core, i)->tid == procid)
				t = core_thread(o.core, i);
		assert_non_null(t);
		assert_true(t->sp >= lo && t->sp < hi); // stopped in the handler
		struct gr_reader r = {.core = o.core, .bin = o.bin, .snap = o.snap};
		util_u64map_init(&r.pc_cache);
		gr_unwind_init(&r);
		struct gr_unwind_start st = {0};
		bool found = false;
		assert_null(gr_signal_context(&r, t, lo, hi, &st, &found));
		assert_true(found);
		assert_int_equal(st.bp, want[0]);
		assert_int_equal(st.lr, want[1]);
		assert_int_equal(st.sp, want[2]);
		assert_int_equal(st.pc, want[3]);
		printf("# %s: thread %u: signal context pc 0x%llx sp 0x%llx lr 0x%llx as Go printed\n",
		       names[k], t->tid, (unsigned long long)st.pc, (unsigned long long)st.sp,
		       (unsigned long long)st.lr);
		util_u64map_deinit(&r.pc_cache);
		free(r.pcinfos);
		free(tb);
		close_core(&o);
	}
}

/*
 * The packed stack copies (stackcopy.c) give back exactly the core's bytes,
 * for every range inside a copy, aligned or not; ranges outside are refused.
 * While a fill is pinned, core_read answers from it too.
 */
static void test_stack_copies(void **state)
{
	SKIP_WITHOUT_CORPUS();
	struct opened o;
	open_core("hang-go1.22-opt-kernel", &o);
	struct core_file *core = o.core;
	const struct gr_snapshot *snap = o.snap;
	struct gr_stacks st;
	gr_stacks_init(&st);
	gr_stacks_reserve(&st, snap->ngoroutines);
	size_t copies = 0, zeros = 0, words = 0;
	for (size_t gi = 0; gi < snap->ngoroutines; gi++) {
		const struct gr_goroutine *g = &snap->goroutines[gi];
		if (!g->nframes || !g->frame_sp_off)
			continue;
		uint64_t lo = gr_frame_sp(g, 0) & ~7ULL, hi = g->stack_hi;
		gr_stacks_fill(&st, core, lo, hi);
		uint64_t pinned = 0, real = 0;
		assert_null(core_read_u64(core, lo, &pinned));
		core_unpin(core);
		assert_null(core_read_u64(core, lo, &real));
		assert_true(pinned == real);
		gr_stacks_take(&st, gi, g);
		size_t len = (size_t)(hi - lo);
		unsigned char *want = malloc(len), *got = malloc(len + 1);
		assert_non_null(want);
		assert_non_null(got);
		assert_null(core_read(core, lo, want, len));
		for (size_t i = 0; i + 8 <= len; i += 8) {
			uint64_t w;
			memcpy(&w, want + i, 8);
			zeros += w == 0;
			words++;
		}
		// The whole copy, then odd ranges across word edges.
		assert_true(gr_stacks_read(&st, gi, lo, got, len));
		assert_memory_equal(got, want, len);
		for (size_t off = 0; off < len; off += 37) {
			for (size_t n = 1; n <= 24 && off + n <= len; n += 5) {
				memset(got, 0xa5, n + 1);
				assert_true(gr_stacks_read(&st, gi, lo + off, got, n));
				assert_memory_equal(got, want + off, n);
				assert_int_equal(got[n], 0xa5);
			}
		}
		assert_false(gr_stacks_read(&st, gi, lo - 8, got, 16));
		assert_false(gr_stacks_read(&st, gi, hi - 8, got, 16));
		assert_true(gr_stacks_read(&st, gi, hi - 8, got, 8));
		free(want);
		free(got);
		copies++;
	}
	assert_true(copies > 10);
	assert_true(zeros > 0 && zeros < words); // both kinds of words were packed
	assert_false(gr_stacks_read(&st, snap->ngoroutines, 0, NULL, 0));
	gr_stacks_deinit(&st);
	close_core(&o);
}

static void test_stack_sharing(void **state)
{
	SKIP_WITHOUT_CORPUS();
	struct opened o;
	open_core("hang-go1.27-opt-gcore", &o);
	const struct gr_snapshot *snap = o.snap;
	// The four idle GC workers have identical stacks: one frame array, own SPs.
	const struct gr_goroutine *w[8];
	size_t n = 0;
	for (size_t i = 0; i < snap->ngoroutines && n < 8; i++)
		if (snap->goroutines[i].wait_reason &&
		    strcmp(snap->goroutines[i].wait_reason, "GC worker (idle)") == 0)
			w[n++] = &snap->goroutines[i];
	assert_true(n >= 2);
	assert_true(snap->nstacks < snap->ngoroutines);
	bool shared = false;
	for (size_t i = 1; i < n; i++)
		if (w[i]->nframes == w[0]->nframes && w[i]->frames == w[0]->frames) {
			shared = true;
			assert_int_equal(w[i]->stack_index, w[0]->stack_index);
			assert_int_not_equal(gr_frame_sp(w[i], 0), gr_frame_sp(w[0], 0));
		}
	assert_true(shared);
	// SPs grow outwards within each stack.
	for (size_t i = 0; i < snap->ngoroutines; i++) {
		const struct gr_goroutine *g = &snap->goroutines[i];
		for (size_t k = 1; k < g->nframes; k++)
			assert_true(gr_frame_sp(g, k) >= gr_frame_sp(g, k - 1));
	}
	close_core(&o);
}

int main(void)
{
	char *m = path_in(TOP_SRCDIR, "corpus/manifest.tsv");
	gt_manifest_read(m, &manifest);
	free(m);
	if (!mkdtemp(tmpdir))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layouts),
		cmocka_unit_test(test_scenarios),
		cmocka_unit_test(test_diag),
		cmocka_unit_test(test_stack_sharing),
		cmocka_unit_test(test_lr_unwind_step),
		cmocka_unit_test(test_arm64_signal_context),
		cmocka_unit_test(test_stack_copies),
		cmocka_unit_test(test_corrupt_allgs),
		cmocka_unit_test(test_corrupt_allm_cycle),
	};
	int rc = cmocka_run_group_tests_name("goruntime", tests, NULL, NULL);
	rmdir(tmpdir);
	gt_manifest_free(&manifest);
	return rc;
}
