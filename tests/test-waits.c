// SPDX-License-Identifier: Apache-2.0
// test-waits.c: who waits on what (goruntime/waits*.c) — every corpus core's
// channels, channel waits and sync waits against the program's own account of
// them (the chan/chanwait/syncwait lines of its stdout), and corrupted queues
// that must give diagnostics, not hangs or crashes.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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
static char tmpdir[] = "/tmp/gocoroner-waits-XXXXXX";

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

/* ---- The program's account ------------------------------------------------ */

struct exp_chan {
	char name[64], elemtype[256];
	unsigned long long addr, cap, len;
	int closed, timer;
	bool waited; /* some chanwait line names it */
};

struct exp_chanwait {
	char name[64], dir[8];
	unsigned long long goid, chan;
	int select, pos;
};

struct exp_syncwait {
	char name[64], kind[32];
	unsigned long long goid, addr;
};

struct expect {
	struct exp_chan chans[128];
	struct exp_chanwait cws[256];
	struct exp_syncwait sws[128];
	size_t nchans, ncws, nsws;
	unsigned long long scen_goids[128];
	size_t nscen;
};

static void read_expect(const char *path, struct expect *e)
{
	memset(e, 0, sizeof(*e));
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char line[1024];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		unsigned long long goid;
		char name[64];
		if (sscanf(line, "scenario %63s goid=%llu", name, &goid) == 2 &&
		    e->nscen < sizeof(e->scen_goids) / sizeof(e->scen_goids[0])) {
			e->scen_goids[e->nscen++] = goid;
		} else if (strncmp(line, "chan ", 5) == 0 &&
			   e->nchans < sizeof(e->chans) / sizeof(e->chans[0])) {
			struct exp_chan *c = &e->chans[e->nchans];
			int off = 0;
			if (sscanf(line, "chan %63s addr=%llx cap=%llu len=%llu closed=%d timer=%d elemtype=%n",
				   c->name, &c->addr, &c->cap, &c->len, &c->closed, &c->timer, &off) == 6 &&
			    off > 0) {
				snprintf(c->elemtype, sizeof(c->elemtype), "%s", line + off);
				e->nchans++;
			} else {
				fail_msg("%s: bad line '%s'", path, line);
			}
		} else if (strncmp(line, "chanwait ", 9) == 0 &&
			   e->ncws < sizeof(e->cws) / sizeof(e->cws[0])) {
			struct exp_chanwait *c = &e->cws[e->ncws++];
			if (sscanf(line, "chanwait %63s goid=%llu chan=%llx dir=%7s select=%d pos=%d",
				   c->name, &c->goid, &c->chan, c->dir, &c->select, &c->pos) != 6)
				fail_msg("%s: bad line '%s'", path, line);
		} else if (strncmp(line, "syncwait ", 9) == 0 &&
			   e->nsws < sizeof(e->sws) / sizeof(e->sws[0])) {
			struct exp_syncwait *s = &e->sws[e->nsws++];
			if (sscanf(line, "syncwait %63s goid=%llu kind=%31s addr=%llx", s->name, &s->goid,
				   s->kind, &s->addr) != 4)
				fail_msg("%s: bad line '%s'", path, line);
		}
	}
	fclose(f);
	for (size_t i = 0; i < e->nchans; i++)
		for (size_t k = 0; k < e->ncws; k++)
			e->chans[i].waited |= e->cws[k].chan == e->chans[i].addr;
}

static bool is_scenario(const struct expect *e, uint64_t goid)
{
	for (size_t i = 0; i < e->nscen; i++)
		if (e->scen_goids[i] == goid)
			return true;
	return false;
}

/* ---- Corpus: the snapshot against the program ----------------------------- */

struct tally {
	size_t ok, want;
};

static const struct gr_channel *find_chan(const struct gr_snapshot *s, uint64_t addr)
{
	for (size_t i = 0; i < s->nchannels; i++)
		if (s->channels[i].addr == addr)
			return &s->channels[i];
	return NULL;
}

/* Compare one core; returns the number of mismatches (each printed). */
static size_t check_core(const struct gt_manifest_row *row, bool *had_lines)
{
	const char *name = gt_col(&manifest, row, "name");
	char *out_path = path_in(TOP_SRCDIR "/corpus", gt_col(&manifest, row, "stdout"));
	struct expect *e = malloc(sizeof(*e));
	assert_non_null(e);
	read_expect(out_path, e);
	free(out_path);
	*had_lines = e->nchans || e->ncws || e->nsws;
	if (!*had_lines) {
		printf("# %s: the program printed no chan/chanwait/syncwait lines: skipped\n", name);
		free(e);
		return 0;
	}
	char *exe = unpack(row, "exe", ".exe");
	char *core_path = path_in(TOP_SRCDIR "/corpus", gt_col(&manifest, row, "core"));
	struct core_file *core;
	struct dw_binary *bin;
	struct gr_snapshot *snap;
	assert_null(core_open(core_path, &core));
	assert_null(dw_binary_open(exe, &bin));
	assert_null(core_attach_exe(core, exe, false));
	assert_null(gr_snapshot_create(core, bin, NULL, &snap));
	size_t bad = 0;
	struct tally tc = {0}, tw = {0}, ts = {0};
	// Channels nobody waits on are found only through frame variables: a
	// debug build (-N -l) keeps every variable in its frame, so each must be
	// found; an optimized one may keep it only in a register, so there they
	// are counted, and only a wrong value fails.
	bool debug = strcmp(gt_col(&manifest, row, "mode"), "debug") == 0;
	// A stripped executable (variant:stripped) promises the channel waits,
	// not the sync primitives (their types have no layout there): those are
	// told unavailable by diagnostics instead (tests/test-stripped.sh).
	bool stripped = gt_row_stripped(&manifest, row);
	size_t unwaited = 0, from_frames = 0;

	for (size_t i = 0; i < e->nchans; i++) {
		const struct exp_chan *x = &e->chans[i];
		const struct gr_channel *c = find_chan(snap, x->addr);
		if (!x->waited) {
			unwaited++;
			if (!c && !debug)
				continue;
		}
		tc.want++;
		if (!c) {
			printf("%s: chan %s 0x%llx not found\n", name, x->name, x->addr);
			bad++;
			continue;
		}
		if (!x->waited)
			from_frames++;
		if (c->cap != x->cap || c->len != x->len || c->closed != (x->closed != 0) ||
		    c->is_timer != (x->timer != 0) || !c->elem_type ||
		    strcmp(c->elem_type, x->elemtype) != 0) {
			printf("%s: chan %s: cap=%llu len=%llu closed=%d timer=%d elemtype=%s, the "
			       "program says cap=%llu len=%llu closed=%d timer=%d elemtype=%s\n",
			       name, x->name, (unsigned long long)c->cap, (unsigned long long)c->len,
			       c->closed, c->is_timer, c->elem_type ? c->elem_type : "(none)", x->cap,
			       x->len, x->closed, x->timer, x->elemtype);
			bad++;
			continue;
		}
		tc.ok++;
	}
	for (size_t i = 0; i < e->ncws; i++) {
		const struct exp_chanwait *x = &e->cws[i];
		tw.want++;
		bool send = strcmp(x->dir, "send") == 0, found = false;
		for (size_t k = 0; k < snap->nchan_waits && !found; k++) {
			const struct gr_chan_wait *w = &snap->chan_waits[k];
			if (w->goid != x->goid || w->chan_addr != x->chan || w->send != send)
				continue;
			found = true;
			if (w->in_select != (x->select != 0) || (x->pos >= 0 && w->queue_pos != x->pos)) {
				printf("%s: chanwait %s goroutine %llu chan 0x%llx %s: select=%d pos=%d, "
				       "the program says select=%d pos=%d\n",
				       name, x->name, x->goid, x->chan, x->dir, w->in_select, w->queue_pos,
				       x->select, x->pos);
				bad++;
			} else {
				tw.ok++;
			}
		}
		if (!found) {
			printf("%s: chanwait %s goroutine %llu on 0x%llx (%s) not found\n", name, x->name,
			       x->goid, x->chan, x->dir);
			bad++;
		}
	}
	for (size_t i = 0; i < e->nsws && !stripped; i++) {
		const struct exp_syncwait *x = &e->sws[i];
		ts.want++;
		bool found = false;
		for (size_t k = 0; k < snap->nsync_waits && !found; k++) {
			const struct gr_sync_wait *w = &snap->sync_waits[k];
			if (w->goid != x->goid)
				continue;
			found = true;
			if (strcmp(w->kind, x->kind) != 0 || w->addr != x->addr) {
				printf("%s: syncwait %s goroutine %llu: %s 0x%llx, the program says %s "
				       "0x%llx\n",
				       name, x->name, x->goid, w->kind, (unsigned long long)w->addr,
				       x->kind, x->addr);
				bad++;
			} else {
				ts.ok++;
			}
		}
		if (!found) {
			printf("%s: syncwait %s goroutine %llu (%s 0x%llx) not found\n", name, x->name,
			       x->goid, x->kind, x->addr);
			bad++;
		}
	}
	// The reverse: nothing the program does not know of, for its own goroutines.
	for (size_t k = 0; k < snap->nchan_waits; k++) {
		const struct gr_chan_wait *w = &snap->chan_waits[k];
		if (!is_scenario(e, w->goid))
			continue;
		bool expected = false;
		for (size_t i = 0; i < e->ncws && !expected; i++)
			expected = e->cws[i].goid == w->goid && e->cws[i].chan == w->chan_addr &&
				   (strcmp(e->cws[i].dir, "send") == 0) == w->send;
		if (!expected) {
			printf("%s: unexpected chan wait: goroutine %llu on 0x%llx (%s)\n", name,
			       (unsigned long long)w->goid, (unsigned long long)w->chan_addr,
			       w->send ? "send" : "recv");
			bad++;
		}
	}
	for (size_t k = 0; k < snap->nsync_waits; k++) {
		const struct gr_sync_wait *w = &snap->sync_waits[k];
		bool expected = !is_scenario(e, w->goid);
		for (size_t i = 0; i < e->nsws && !expected; i++)
			expected = e->sws[i].goid == w->goid;
		if (!expected) {
			printf("%s: unexpected sync wait: goroutine %llu on %s 0x%llx\n", name,
			       (unsigned long long)w->goid, w->kind, (unsigned long long)w->addr);
			bad++;
		}
	}
	// Each channel once, and every chan wait names a listed channel.
	for (size_t i = 0; i < snap->nchannels; i++)
		for (size_t k = i + 1; k < snap->nchannels; k++)
			if (snap->channels[i].addr == snap->channels[k].addr) {
				printf("%s: channel 0x%llx listed twice\n", name,
				       (unsigned long long)snap->channels[i].addr);
				bad++;
			}
	for (size_t k = 0; k < snap->nchan_waits; k++)
		if (!find_chan(snap, snap->chan_waits[k].chan_addr)) {
			printf("%s: chan wait on unlisted channel 0x%llx\n", name,
			       (unsigned long long)snap->chan_waits[k].chan_addr);
			bad++;
		}
	// A clean core gives no wait diagnostics.
	for (size_t i = 0; i < snap->ndiags; i++) {
		const char *what = snap->diags[i].what;
		bool sync = strcmp(what, "syncwait") == 0 || strcmp(what, "semtable") == 0;
		if (strcmp(what, "chanwait") == 0 || strcmp(what, "channel") == 0 ||
		    (sync && !stripped) || strcmp(what, "waits") == 0) {
			printf("%s: diagnostic %s %s: %s\n", name, snap->diags[i].severity, what,
			       snap->diags[i].detail);
			bad++;
		}
	}
	printf("# %s %s: %zu/%zu chan waits, %zu/%zu channels, %zu/%zu sync waits match the "
	       "program",
	       name, gt_col(&manifest, row, "go_version"), tw.ok, tw.want, tc.ok, tc.want, ts.ok,
	       ts.want);
	if (unwaited)
		printf(" (%zu/%zu channel%s no goroutine waits on found from frame variables)",
		       from_frames, unwaited, unwaited == 1 ? "" : "s");
	printf("\n");
	gr_snapshot_destroy(snap);
	dw_binary_destroy(bin);
	core_destroy(core);
	unlink(exe);
	free(exe);
	free(core_path);
	free(e);
	return bad;
}

static void test_corpus(void **state)
{
	SKIP_WITHOUT_CORPUS();
	size_t bad = 0, with_lines = 0;
	for (size_t i = 0; i < manifest.nrows; i++) {
		bool had;
		bad += check_core(&manifest.rows[i], &had);
		with_lines += had;
	}
	if (!with_lines) {
		printf("no corpus core has chan/chanwait/syncwait lines yet: skipped\n");
		skip();
	}
	if (bad)
		fail_msg("%zu mismatches with the programs' own account", bad);
}

/* ---- Corrupted cores ------------------------------------------------------- */


struct env {
	char *exe, *core;
	struct dw_binary *bin;
};

static void env_setup(struct env *env, const char *row_name)
{
	const struct gt_manifest_row *row = row_named(row_name);
	assert_non_null(row);
	env->exe = unpack(row, "exe", ".exe");
	env->core = unpack(row, "core", ".core");
	assert_null(dw_binary_open(env->exe, &env->bin));
}

static void env_teardown(struct env *env)
{
	dw_binary_destroy(env->bin);
	unlink(env->exe);
	unlink(env->core);
	free(env->exe);
	free(env->core);
}

static struct gr_snapshot *snapshot(struct env *env, struct core_file **corep)
{
	struct core_file *core;
	struct gr_snapshot *snap;
	assert_null(core_open(env->core, &core));
	assert_null(core_attach_exe(core, env->exe, false));
	assert_null(gr_snapshot_create(core, env->bin, NULL, &snap));
	if (corep)
		*corep = core;
	else
		core_destroy(core);
	return snap;
}

static uint64_t off(struct env *env, const char *type, const char *member)
{
	uint64_t o;
	assert_null(dw_member_offset(env->bin, type, member, &o));
	return o;
}

static bool has_diag(const struct gr_snapshot *s, const char *what, const char *text)
{
	for (size_t i = 0; i < s->ndiags; i++)
		if (strcmp(s->diags[i].what, what) == 0 && strstr(s->diags[i].detail, text))
			return true;
	return false;
}

static const struct gr_chan_wait *wait_of(const struct gr_snapshot *s, uint64_t chan, int pos)
{
	for (size_t i = 0; i < s->nchan_waits; i++)
		if (s->chan_waits[i].chan_addr == chan && s->chan_waits[i].queue_pos == pos)
			return &s->chan_waits[i];
	return NULL;
}

/* A channel with two receivers (labels-1/2): its chan address and sudogs. */
static uint64_t two_waiter_chan(const struct gr_snapshot *s)
{
	for (size_t i = 0; i < s->nchannels; i++)
		if (s->channels[i].recv_waiters == 2)
			return s->channels[i].addr;
	fail_msg("no channel with two receivers");
	return 0;
}

static void test_corrupt_queue_loop(void **state)
{
	SKIP_WITHOUT_CORPUS();
	struct env env;
	env_setup(&env, "hang-go1.24-opt-kernel");
	struct core_file *core;
	struct gr_snapshot *snap = snapshot(&env, &core);
	uint64_t chan = two_waiter_chan(snap), first, second;
	assert_null(core_read_u64(core, chan + off(&env, "runtime.hchan", "recvq.first"), &first));
	assert_null(core_read_u64(core, first + off(&env, "runtime.sudog", "next"), &second));
	assert_int_not_equal(second, 0);
	core_destroy(core);
	gr_snapshot_destroy(snap);

	// The second sudog's next points back at the first: the walk stops.
	patch(env.core, second + off(&env, "runtime.sudog", "next"), &first, 8);
	snap = snapshot(&env, NULL);
	assert_true(has_diag(snap, "channel", "twice"));
	assert_non_null(wait_of(snap, chan, 0));
	assert_non_null(wait_of(snap, chan, 1));
	gr_snapshot_destroy(snap);

	// The first one's next points at itself.
	patch(env.core, first + off(&env, "runtime.sudog", "next"), &first, 8);
	snap = snapshot(&env, NULL);
	assert_true(has_diag(snap, "channel", "twice"));
	// The second waiter is no longer in the queue: found from its g.waiting,
	// position unknown, and the cross-check says so.
	assert_non_null(wait_of(snap, chan, -1));
	assert_true(has_diag(snap, "chanwait", "neither queue"));
	gr_snapshot_destroy(snap);
	env_teardown(&env);
}

static void test_corrupt_waiting(void **state)
{
	SKIP_WITHOUT_CORPUS();
	struct env env;
	env_setup(&env, "hang-go1.27-opt-kernel");
	struct core_file *core;
	struct gr_snapshot *snap = snapshot(&env, &core);
	uint64_t chan = two_waiter_chan(snap), first, gaddr = 0;
	assert_null(core_read_u64(core, chan + off(&env, "runtime.hchan", "recvq.first"), &first));
	const struct gr_chan_wait *w = wait_of(snap, chan, 0);
	assert_non_null(w);
	for (size_t i = 0; i < snap->ngoroutines; i++)
		if (snap->goroutines[i].goid == w->goid)
			gaddr = snap->goroutines[i].g_addr;
	assert_int_not_equal(gaddr, 0);
	core_destroy(core);
	gr_snapshot_destroy(snap);

	// g.waiting's sudog links to itself: a loop on g.waiting.
	patch(env.core, first + off(&env, "runtime.sudog", "waitlink"), &first, 8);
	snap = snapshot(&env, NULL);
	assert_true(has_diag(snap, "chanwait", "loop"));
	assert_non_null(wait_of(snap, chan, 0));
	gr_snapshot_destroy(snap);

	// Its channel pointer goes nowhere: a channel that cannot be read, the
	// wait recorded with an unknown position, and the real queue's sudog
	// reported as not on its g.waiting... never a crash.
	uint64_t wild = 0x7ff0deadbee0, zero = 0;
	patch(env.core, first + off(&env, "runtime.sudog", "waitlink"), &zero, 8);
	uint64_t c_off;
	if (dw_member_offset(env.bin, "runtime.sudog", "c.maybeTraceablePtr.vu", &c_off))
		c_off = off(&env, "runtime.sudog", "c");
	patch(env.core, first + c_off, &wild, 8);
	snap = snapshot(&env, NULL);
	assert_true(has_diag(snap, "channel", "0x7ff0deadbee0"));
	assert_non_null(wait_of(snap, wild, -1));
	assert_non_null(find_chan(snap, wild));
	gr_snapshot_destroy(snap);

	// g.waiting itself points nowhere.
	patch(env.core, gaddr + off(&env, "runtime.g", "waiting"), &wild, 8);
	snap = snapshot(&env, NULL);
	assert_true(has_diag(snap, "chanwait", "not in the core"));
	gr_snapshot_destroy(snap);
	env_teardown(&env);
}

static void test_corrupt_semtable(void **state)
{
	SKIP_WITHOUT_CORPUS();
	// Before Go 1.26 semaphore waiters are found in runtime.semtable only.
	struct env env;
	env_setup(&env, "hang-go1.24-opt-kernel");
	uint64_t table, size;
	int64_t count;
	assert_null(dw_variable(env.bin, "runtime.semtable", &table, &size));
	assert_null(dw_constant(env.bin, "runtime.semTabSize", &count));
	uint64_t stride = size / (uint64_t)count, treap_off = off(&env, "runtime.semaRoot", "treap");
	struct core_file *core;
	struct gr_snapshot *snap = snapshot(&env, &core);
	assert_true(snap->nsync_waits >= 3);
	uint64_t root = 0, node = 0;
	for (int64_t i = 0; i < count && !node; i++) {
		root = table + (uint64_t)i * stride + treap_off;
		assert_null(core_read_u64(core, root, &node));
	}
	assert_int_not_equal(node, 0);
	core_destroy(core);
	gr_snapshot_destroy(snap);

	// A tree node that is its own child, and its own waitlink.
	patch(env.core, node + off(&env, "runtime.sudog", "prev"), &node, 8);
	patch(env.core, node + off(&env, "runtime.sudog", "waitlink"), &node, 8);
	snap = snapshot(&env, NULL);
	assert_true(has_diag(snap, "semtable", "reached twice"));
	gr_snapshot_destroy(snap);

	// A root pointing outside the core.
	uint64_t wild = 0x7ff0deadbee0;
	patch(env.core, root, &wild, 8);
	snap = snapshot(&env, NULL);
	assert_true(has_diag(snap, "semtable", "not in the core"));
	assert_true(has_diag(snap, "syncwait", "not found"));
	gr_snapshot_destroy(snap);
	env_teardown(&env);
}

/* ---- The command: goroutines --chan, traceback --waits --------------------- */

/* Run a shell command; its stdout (malloc'd) and exit status. */
static char *run(const char *cmd, int *status)
{
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = 0, cap = 1 << 16;
	char *out = malloc(cap);
	assert_non_null(out);
	size_t k;
	while ((k = fread(out + n, 1, cap - n - 1, p)) > 0) {
		n += k;
		if (cap - n < 2) {
			out = realloc(out, cap *= 2);
			assert_non_null(out);
		}
	}
	out[n] = '\0';
	int st = pclose(p);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return out;
}

/* The block of goroutine GOID in a traceback text (up to the blank line), or NULL. */
static char *goroutine_block(const char *text, unsigned long long goid)
{
	char head[48];
	snprintf(head, sizeof(head), "goroutine %llu [", goid);
	const char *p = text;
	while (p && strncmp(p, head, strlen(head)) != 0)
		if ((p = strstr(p, "\ngoroutine ")))
			p++;
	if (!p)
		return NULL;
	const char *end = strstr(p, "\n\n");
	return strndup(p, end ? (size_t)(end - p) : strlen(p));
}

static void test_cli(void **state)
{
	SKIP_WITHOUT_CORPUS();
	const char *bin = getenv("GOCORONER");
	if (!bin) {
		printf("GOCORONER not set (run through make check): skipped\n");
		skip();
	}
	// Go 1.19: semaphores from runtime.semtable, a Cond from the stack.
	const struct gt_manifest_row *row = row_named("hang-go1.19-opt-gcore");
	assert_non_null(row);
	char *out_path = path_in(TOP_SRCDIR "/corpus", gt_col(&manifest, row, "stdout"));
	struct expect *e = malloc(sizeof(*e));
	assert_non_null(e);
	read_expect(out_path, e);
	free(out_path);
	if (!e->ncws) {
		free(e);
		printf("the corpus has no chanwait lines yet: skipped\n");
		skip();
	}
	char *exe = unpack(row, "exe", ".exe");
	char *core = path_in(TOP_SRCDIR "/corpus", gt_col(&manifest, row, "core"));
	char *db = path_in(tmpdir, "cli.db"), *cmd;
	int st;
	assert_true(asprintf(&cmd, "'%s' analyze -q --db '%s' --exe '%s' '%s'", bin, db, exe, core) > 0);
	free(run(cmd, &st));
	free(cmd);
	assert_int_equal(st, 0);

	// goroutines --chan: every expected waiter of a channel, at its position.
	size_t listed = 0;
	for (size_t i = 0; i < e->nchans; i++) {
		const struct exp_chan *c = &e->chans[i];
		if (!c->waited)
			continue;
		// Hex for one half, decimal for the other.
		assert_true(asprintf(&cmd, i % 2 ? "'%s' goroutines --db '%s' --chan 0x%llx"
						 : "'%s' goroutines --db '%s' --chan %llu",
				     bin, db, c->addr) > 0);
		char *out = run(cmd, &st);
		free(cmd);
		assert_int_equal(st, 0);
		for (size_t k = 0; k < e->ncws; k++) {
			const struct exp_chanwait *w = &e->cws[k];
			if (w->chan != c->addr)
				continue;
			char line[128];
			snprintf(line, sizeof(line), "\n%8llu  %-5s %4d  %-6s  ", w->goid, w->dir, w->pos,
				 w->select ? "yes" : "");
			if (!strstr(out, line))
				fail_msg("goroutines --chan 0x%llx lacks '%s' in:\n%s", c->addr, line + 1, out);
			listed++;
		}
		free(out);
	}
	assert_int_equal(listed, e->ncws);
	assert_true(asprintf(&cmd, "'%s' goroutines --db '%s' --chan 0x10 2>/dev/null", bin, db) > 0);
	free(run(cmd, &st));
	free(cmd);
	assert_int_equal(st, 1); // no such channel

	// traceback --waits: a comment under each waiting goroutine's header.
	assert_true(asprintf(&cmd, "'%s' traceback --db '%s' --waits", bin, db) > 0);
	char *tb = run(cmd, &st);
	free(cmd);
	assert_int_equal(st, 0);
	for (size_t k = 0; k < e->ncws + e->nsws; k++) {
		char want[160];
		unsigned long long goid;
		if (k < e->ncws) {
			const struct exp_chanwait *w = &e->cws[k];
			goid = w->goid;
			snprintf(want, sizeof(want), "\n# waits on chan 0x%llx (%s%s, position %d)\n",
				 w->chan, w->dir, w->select ? ", select" : "", w->pos);
		} else {
			const struct exp_syncwait *w = &e->sws[k - e->ncws];
			goid = w->goid;
			snprintf(want, sizeof(want), "\n# waits on %s 0x%llx\n", w->kind, w->addr);
		}
		char *block = goroutine_block(tb, goid);
		if (!block || !strstr(block, want))
			fail_msg("traceback --waits: goroutine %llu lacks '%s'", goid, want + 1);
		// Right under the header, before the frames.
		const char *tab = strchr(block, '\t');
		assert_true(tab && strstr(block, want) < tab);
		free(block);
	}
	free(tb);
	// Without --waits, Go's format exactly: no comment lines.
	assert_true(asprintf(&cmd, "'%s' traceback --db '%s'", bin, db) > 0);
	tb = run(cmd, &st);
	free(cmd);
	assert_int_equal(st, 0);
	assert_null(strstr(tb, "# waits"));
	free(tb);
	// Read-only opens of a WAL database leave its -wal and -shm files.
	for (const char *const *sfx = (const char *const[]){"", "-wal", "-shm", NULL}; *sfx; sfx++) {
		char *p;
		assert_true(asprintf(&p, "%s%s", db, *sfx) > 0);
		unlink(p);
		free(p);
	}
	unlink(exe);
	free(db);
	free(exe);
	free(core);
	free(e);
}

int main(void)
{
	char *m = path_in(TOP_SRCDIR, "corpus/manifest.tsv");
	gt_manifest_read(m, &manifest);
	free(m);
	if (!mkdtemp(tmpdir))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_corrupt_queue_loop),
		cmocka_unit_test(test_corrupt_waiting),
		cmocka_unit_test(test_corrupt_semtable),
		cmocka_unit_test(test_cli),
	};
	int rc = cmocka_run_group_tests_name("waits", tests, NULL, NULL);
	rmdir(tmpdir);
	gt_manifest_free(&manifest);
	return rc;
}
