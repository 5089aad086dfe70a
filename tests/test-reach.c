// test-reach.c: heap reachability of the objects blocked goroutines wait on,
// for every corpus core, against what the hang program's source says: it
// keeps every channel it reports in the package variable chanRecs and every
// sync object in the package variable keepalive, so each of those is reached
// from a global; nothing it parks is leaked, so no wait is unreached and
// there is no waker edge. Then cores with a corrupted runtime.mheap_.allspans
// and corrupted spans must give diagnostics and an incomplete (or no) scan.
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
static char tmpdir[] = "/tmp/gocoroner-reach-XXXXXX";
#define unpack(row, col, suffix) gt_unpack(&manifest, (row), (col), TOP_SRCDIR "/corpus", tmpdir, (suffix))

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

static struct gr_snapshot *snapshot(const char *core_path, const char *exe, struct dw_binary *bin)
{
	struct core_file *core;
	assert_null(core_open(core_path, &core));
	assert_null(core_attach_exe(core, exe, false));
	struct gr_snapshot *snap;
	assert_null(gr_snapshot_create(core, bin, NULL, &snap));
	core_destroy(core);
	return snap;
}

static const struct gr_wait_reach *find_reach(const struct gr_snapshot *s, uint64_t addr)
{
	for (size_t i = 0; i < s->nwait_reaches; i++)
		if (s->wait_reaches[i].obj_addr == addr)
			return &s->wait_reaches[i];
	return NULL;
}

static size_t diags_saying(const struct gr_snapshot *s, const char *what, const char *text)
{
	size_t n = 0;
	for (size_t i = 0; i < s->ndiags; i++)
		if (strcmp(s->diags[i].what, what) == 0 && strstr(s->diags[i].detail, text))
			n++;
	return n;
}

/* An address field "KEY=0x..." of a line, 0 if absent. */
static uint64_t field_addr(const char *line, const char *key)
{
	const char *p = strstr(line, key);
	return p ? strtoull(p + strlen(key), NULL, 16) : 0;
}

/* "stack frames scanned: N through the code's stack maps, M word by word". */
static bool frames_scanned(const struct gr_snapshot *s, unsigned long long *exact,
			   unsigned long long *words)
{
	for (size_t i = 0; i < s->ndiags; i++)
		if (strcmp(s->diags[i].what, "heap") == 0 &&
		    sscanf(s->diags[i].detail, "stack frames scanned: %llu through the code's stack "
						"maps, %llu word by word", exact, words) == 2)
			return true;
	return false;
}

static size_t cores_with_maps; /* cores whose stacks were read through stack maps */

static int check_core(const char *name, const char *exe, const char *core, const char *out)
{
	struct dw_binary *bin;
	assert_null(dw_binary_open(exe, &bin));
	struct gr_snapshot *s = snapshot(core, exe, bin);
	int bad = 0;
	if (!s->has_heap_scan) {
		printf("# %s: no heap scan\n", name);
		bad++;
		goto done;
	}
	const struct gr_heap_scan *h = &s->heap_scan;
	if (!h->spans || !h->objects || !h->marked_objects || h->marked_objects > h->objects ||
	    h->marked_bytes < 8 * h->marked_objects || !h->rounds || !h->complete) {
		printf("# %s: heap scan %llu spans %llu objects %llu marked (%llu bytes) %u rounds "
		       "complete %d\n",
		       name, (unsigned long long)h->spans, (unsigned long long)h->objects,
		       (unsigned long long)h->marked_objects, (unsigned long long)h->marked_bytes,
		       h->rounds, h->complete);
		bad++;
	}
	// One row per distinct (goroutine, object) of the wait tables.
	for (size_t i = 0; i < s->nchan_waits; i++) {
		bool found = false;
		for (size_t k = 0; k < s->nwait_reaches && !found; k++)
			found = s->wait_reaches[k].goid == s->chan_waits[i].goid &&
				s->wait_reaches[k].obj_addr == s->chan_waits[i].chan_addr;
		if (!found) {
			printf("# %s: chan wait of goroutine %llu has no wait_reach row\n", name,
			       (unsigned long long)s->chan_waits[i].goid);
			bad++;
		}
	}
	for (size_t i = 0; i < s->nsync_waits; i++) {
		if (!find_reach(s, s->sync_waits[i].addr)) {
			printf("# %s: sync wait of goroutine %llu has no wait_reach row\n", name,
			       (unsigned long long)s->sync_waits[i].goid);
			bad++;
		}
		if (s->sync_waits[i].ctx_addr) { // the program waits on no context's mutex
			printf("# %s: sync wait of goroutine %llu on a context's mutex?\n", name,
			       (unsigned long long)s->sync_waits[i].goid);
			bad++;
		}
	}
	// The program leaks nothing: everything waited on is reached, no edges.
	for (size_t i = 0; i < s->nwait_reaches; i++) {
		const struct gr_wait_reach *w = &s->wait_reaches[i];
		if (!w->reached_by) {
			printf("# %s: goroutine %llu waits on 0x%llx, reached by nothing\n", name,
			       (unsigned long long)w->goid, (unsigned long long)w->obj_addr);
			bad++;
		}
	}
	if (s->nwait_reachers || s->nwait_components) {
		printf("# %s: %zu wait-for edges, %zu components in a program that leaks nothing\n",
		       name, s->nwait_reachers, s->nwait_components);
		bad++;
	}
	// Stacks are read through the code's stack maps: word by word only for
	// frames stopped anywhere (the goroutines on a CPU) or without maps.
	// (No stack at all when package variables reach every wait first.)
	unsigned long long exact = 0, words = 0;
	if (frames_scanned(s, &exact, &words))
		cores_with_maps++;
	if (exact + words && (exact < 20 || words > 5)) {
		printf("# %s: %llu frames scanned through stack maps, %llu word by word\n", name,
		       exact, words);
		bad++;
	}
	// Channels ("chan" lines, all in chanRecs) and sync objects ("syncwait"
	// lines, all in keepalive) are reached from package variables.
	FILE *f = fopen(out, "r");
	assert_non_null(f);
	char line[4096];
	size_t globals = 0;
	while (fgets(line, sizeof(line), f)) {
		uint64_t a = 0;
		if (strncmp(line, "chan ", 5) == 0)
			a = field_addr(line, "addr=");
		else if (strncmp(line, "syncwait ", 9) == 0)
			a = field_addr(line, "addr=");
		if (!a)
			continue;
		const struct gr_wait_reach *w = find_reach(s, a);
		if (!w)
			continue; // a channel no goroutine waits on (closedchan-closed)
		if (!w->reached_by || strcmp(w->reached_by, "global") != 0) {
			printf("# %s: 0x%llx (%.*s) reached by %s, not a global\n", name,
			       (unsigned long long)a, (int)strcspn(line, "\n"), line,
			       w->reached_by ? w->reached_by : "nothing");
			bad++;
		} else
			globals++;
	}
	fclose(f);
	if (globals < 20) {
		printf("# %s: only %zu objects of the program's lines checked\n", name, globals);
		bad++;
	}
	printf("# %s: %llu spans, %llu/%llu objects marked, %u rounds, %zu waits (%zu from the "
	       "program's lines reached by globals)\n",
	       name, (unsigned long long)h->spans, (unsigned long long)h->marked_objects,
	       (unsigned long long)h->objects, h->rounds, s->nwait_reaches, globals);
done:
	gr_snapshot_destroy(s);
	dw_binary_destroy(bin);
	return bad;
}

static void test_corpus(void **state)
{
	(void)state;
	if (!manifest.nrows) {
		printf("corpus not found: skipped\n");
		skip();
	}
	// The hang program leaks nothing; the diag program's planted leaks
	// and cycles are checked through the query views (test-diag).
	int bad = gt_each_core(&manifest, TOP_SRCDIR "/corpus", tmpdir, "hang", check_core);
	printf("# %zu hang cores read stacks through their stack maps\n", cores_with_maps);
	assert_true(cores_with_maps >= 20);
	assert_int_equal(bad, 0);
}

static uint64_t offset_of(struct dw_binary *bin, const char *type, const char *member)
{
	uint64_t off;
	assert_null(dw_member_offset(bin, type, member, &off));
	return off;
}

/*
 * Stack maps that cannot be trusted (a locals map claiming -1 entries, in
 * every function on the stacks of the goroutines that can run) are not
 * followed: those frames are read word by word, and the marking still
 * reaches everything the program keeps.
 */
static void test_stackmap_corrupt(void **state)
{
	(void)state;
	const struct gt_manifest_row *row = gt_row(&manifest, "hang-go1.22-opt-kernel");
	if (!row) {
		printf("corpus not found: skipped\n");
		skip();
	}
	char *exe = unpack(row, "exe", ".maps.exe");
	char *core = gt_path(TOP_SRCDIR "/corpus", gt_col(&manifest, row, "core"));
	struct dw_binary *bin;
	assert_null(dw_binary_open(exe, &bin));
	struct gr_snapshot *s = snapshot(core, exe, bin);
	unsigned long long exact0, words0;
	assert_true(frames_scanned(s, &exact0, &words0));
	size_t reached0 = 0;
	for (size_t i = 0; i < s->nwait_reaches; i++)
		reached0 += s->wait_reaches[i].reached_by != NULL;
	int64_t fd_locals;
	struct util_error *e = dw_constant(bin, "internal/abi.FUNCDATA_LocalsPointerMaps", &fd_locals);
	if (e) {
		util_error_destroy(e);
		assert_null(dw_constant(bin, "runtime._FUNCDATA_LocalsPointerMaps", &fd_locals));
	}
	uint64_t n_off;
	assert_null(dw_member_offset(bin, "runtime.stackmap", "n", &n_off));
	uint64_t *maps = calloc(4096, sizeof(*maps));
	size_t nmaps = 0;
	assert_non_null(maps);
	for (size_t i = 0; i < s->ngoroutines; i++) {
		const struct gr_goroutine *g = &s->goroutines[i];
		if (g->status_name && strcmp(g->status_name, "waiting") == 0)
			continue;
		for (size_t k = 0; k < g->nframes && nmaps < 4096; k++) {
			const struct dw_func *f = dw_func_at(bin, g->frames[k].pc - (k ? 1 : 0));
			uint64_t at;
			if (!f || g->frames[k].inlined)
				continue;
			e = dw_func_funcdata(bin, f, (int)fd_locals, &at);
			if (e) {
				util_error_destroy(e);
				continue;
			}
			maps[nmaps++] = at;
		}
	}
	gr_snapshot_destroy(s);
	dw_binary_destroy(bin);
	assert_true(nmaps >= 3);
	int32_t minus1 = -1;
	for (size_t i = 0; i < nmaps; i++)
		assert_true(gt_patch_core(exe, maps[i] + n_off, &minus1, 4));
	free(maps);

	assert_null(dw_binary_open(exe, &bin));
	s = snapshot(core, exe, bin);
	unsigned long long exact1, words1;
	assert_true(frames_scanned(s, &exact1, &words1));
	printf("# %zu locals maps spoiled: frames through maps %llu -> %llu, word by word %llu -> "
	       "%llu\n",
	       nmaps, exact0, exact1, words0, words1);
	assert_true(words1 > words0);
	assert_true(exact1 < exact0);
	size_t reached1 = 0;
	for (size_t i = 0; i < s->nwait_reaches; i++)
		reached1 += s->wait_reaches[i].reached_by != NULL;
	assert_true(reached1 >= reached0); // word by word finds at least as much
	assert_true(s->heap_scan.complete);
	gr_snapshot_destroy(s);
	dw_binary_destroy(bin);
	unlink(exe);
	free(exe);
	free(core);
}

static void test_corrupt(void **state)
{
	(void)state;
	const struct gt_manifest_row *row = gt_row(&manifest, "hang-go1.24-opt-kernel");
	if (!row) {
		printf("corpus not found: skipped\n");
		skip();
	}
	char *exe = unpack(row, "exe", ".corrupt.exe");
	char *raw = unpack(row, "core", ".corrupt.core");

	struct dw_binary *bin;
	assert_null(dw_binary_open(exe, &bin));
	uint64_t mheap, size, state_off;
	assert_null(dw_variable(bin, "runtime.mheap_", &mheap, &size));
	uint64_t allspans = mheap + offset_of(bin, "runtime.mheap", "allspans");
	uint64_t start_off = offset_of(bin, "runtime.mspan", "startAddr");
	struct util_error *e = dw_member_offset(bin, "runtime.mspan", "state.s.value", &state_off);
	if (e) {
		util_error_destroy(e);
		state_off = offset_of(bin, "runtime.mspan", "state.s");
	}
	uint64_t hdr[3], sp[2];
	struct core_file *core;
	assert_null(core_open(raw, &core));
	assert_null(core_attach_exe(core, exe, false));
	assert_null(core_read(core, allspans, hdr, sizeof(hdr)));
	assert_null(core_read(core, hdr[0], sp, sizeof(sp)));
	uint8_t st1;
	uint64_t start1;
	assert_null(core_read_u8(core, sp[1] + state_off, &st1));
	assert_null(core_read_u64(core, sp[1] + start_off, &start1));
	core_destroy(core);

	// allspans longer than its capacity: no scan, a diagnostic, no rows.
	uint64_t bad_len = hdr[2] + 1000;
	assert_true(gt_patch_core(raw, allspans + 8, &bad_len, 8));
	struct gr_snapshot *s = snapshot(raw, exe, bin);
	assert_false(s->has_heap_scan);
	assert_int_equal(s->nwait_reaches, 0);
	assert_true(diags_saying(s, "heap", "allspans has length") >= 1);
	assert_true(s->nchan_waits > 0); // the rest of the analysis is intact
	gr_snapshot_destroy(s);
	assert_true(gt_patch_core(raw, allspans + 8, &hdr[1], 8));

	// A span pointer into nowhere and an in-use span starting mid-page: both
	// skipped with a diagnostic, the scan done but incomplete.
	uint64_t wild = 0x7ff0deadbe00, odd = start1 | 0x123;
	uint8_t in_use = 1;
	assert_true(gt_patch_core(raw, hdr[0], &wild, 8));
	assert_true(gt_patch_core(raw, sp[1] + state_off, &in_use, 1));
	assert_true(gt_patch_core(raw, sp[1] + start_off, &odd, 8));
	s = snapshot(raw, exe, bin);
	assert_true(s->has_heap_scan);
	assert_false(s->heap_scan.complete);
	assert_true(diags_saying(s, "heap", "0x7ff0deadbe00") >= 1);
	assert_true(diags_saying(s, "heap", "implausible") >= 1);
	gr_snapshot_destroy(s);

	// Every span pointer into nowhere: no span, no scan.
	uint64_t *wilds = malloc(hdr[1] * 8);
	assert_non_null(wilds);
	for (uint64_t i = 0; i < hdr[1]; i++)
		wilds[i] = wild + 8192 * i;
	assert_true(gt_patch_core(raw, hdr[0], wilds, hdr[1] * 8));
	s = snapshot(raw, exe, bin);
	assert_false(s->has_heap_scan);
	assert_true(diags_saying(s, "heap", "no in-use span") >= 1);
	assert_true(s->ndiags < 100); // bounded, not one per span
	gr_snapshot_destroy(s);
	free(wilds);
	(void)st1;

	dw_binary_destroy(bin);
	unlink(exe);
	unlink(raw);
	free(exe);
	free(raw);
}

/* The PT_LOAD segments of a raw core with file contents: [vaddr, vaddr + filesz). */
static size_t load_segments(const char *path, uint64_t (*segs)[2], size_t max)
{
	assert_true(elf_version(EV_CURRENT) != EV_NONE);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	size_t n = 0, k = 0;
	assert_non_null(e);
	assert_int_equal(elf_getphdrnum(e, &n), 0);
	for (size_t i = 0; i < n && k < max; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD && ph.p_filesz) {
			segs[k][0] = ph.p_vaddr;
			segs[k++][1] = ph.p_vaddr + ph.p_filesz;
		}
	}
	elf_end(e);
	close(fd);
	return k;
}

static uint64_t line_addr(const char *path, const char *prefix, const char *key)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char line[4096];
	uint64_t v = 0;
	while (!v && fgets(line, sizeof(line), f))
		if (strncmp(line, prefix, strlen(prefix)) == 0) {
			const char *p = strstr(line, key);
			if (p)
				v = strtoull(p + strlen(key), NULL, 0);
		}
	fclose(f);
	return v;
}

static const struct gr_goroutine *goroutine(const struct gr_snapshot *s, uint64_t goid)
{
	for (size_t i = 0; i < s->ngoroutines; i++)
		if (s->goroutines[i].goid == goid)
			return &s->goroutines[i];
	return NULL;
}

/*
 * A leak made by hand: every pointer to channel samechan-x (and into it) is
 * cleared from the core but those in the stacks of its two receivers and in
 * their sudogs (the runtime's queue, which marking does not trace). Nothing
 * that can run reaches it any more: both waits are unreached, and each
 * receiver's stack reaches the channel the other waits on, so each is the
 * other's only possible waker.
 */
static void test_made_leak(void **state)
{
	(void)state;
	const struct gt_manifest_row *row = gt_row(&manifest, "hang-go1.24-opt-kernel");
	if (!row) {
		printf("corpus not found: skipped\n");
		skip();
	}
	char *exe = unpack(row, "exe", ".leak.exe");
	char *raw = unpack(row, "core", ".leak.core");
	char *out = gt_path(TOP_SRCDIR "/corpus", gt_col(&manifest, row, "stdout"));
	uint64_t x = line_addr(out, "chan samechan-x ", "addr=");
	uint64_t id1 = line_addr(out, "scenario samechan-recv-1 ", "goid=");
	uint64_t id2 = line_addr(out, "scenario samechan-recv-2 ", "goid=");
	free(out);
	assert_true(x && id1 && id2);

	struct dw_binary *bin;
	assert_null(dw_binary_open(exe, &bin));
	uint64_t hchan_size, sg_g = offset_of(bin, "runtime.sudog", "g"),
			     sg_c = offset_of(bin, "runtime.sudog", "c");
	assert_null(dw_type_size(bin, "runtime.hchan", &hchan_size));
	struct gr_snapshot *s = snapshot(raw, exe, bin);
	const struct gr_goroutine *g1 = goroutine(s, id1), *g2 = goroutine(s, id2);
	assert_non_null(g1);
	assert_non_null(g2);
	uint64_t lo[2] = {g1->stack_lo, g2->stack_lo}, hi[2] = {g1->stack_hi, g2->stack_hi};
	uint64_t gaddr[2] = {g1->g_addr, g2->g_addr};
	const struct gr_wait_reach *w = find_reach(s, x);
	assert_non_null(w);
	assert_non_null(w->reached_by); // before: held by package variables
	gr_snapshot_destroy(s);

	struct core_file *core;
	assert_null(core_open(raw, &core));
	assert_null(core_attach_exe(core, exe, false));
	uint64_t *buf = malloc(4096);
	assert_non_null(buf);
	size_t cleared = 0, kept = 0;
	uint64_t zero = 0;
	static uint64_t segs[4096][2];
	size_t nsegs = load_segments(raw, segs, 4096);
	for (size_t m = 0; m < nsegs; m++) {
		for (uint64_t a = segs[m][0]; a < segs[m][1]; a += 4096) {
			size_t n = segs[m][1] - a < 4096 ? segs[m][1] - a : 4096;
			struct util_error *e = core_read(core, a, buf, n);
			if (e) {
				util_error_destroy(e);
				continue; // not in the core
			}
			for (size_t i = 0; i < n / 8; i++) {
				if (buf[i] - x >= hchan_size)
					continue;
				uint64_t at = a + 8 * i, g = 0;
				bool keep = (at >= lo[0] && at < hi[0]) || (at >= lo[1] && at < hi[1]);
				if (!keep && !core_read_u64(core, at - sg_c + sg_g, &g))
					keep = buf[i] == x && (g == gaddr[0] || g == gaddr[1]);
				if (keep) {
					kept++;
					continue;
				}
				assert_true(gt_patch_core(raw, at, &zero, 8));
				cleared++;
			}
		}
	}
	free(buf);
	core_destroy(core);
	printf("# %zu pointers to samechan-x cleared, %zu kept\n", cleared, kept);
	assert_true(cleared > 0 && kept >= 2);

	s = snapshot(raw, exe, bin);
	assert_true(s->has_heap_scan);
	assert_true(s->heap_scan.complete);
	size_t unreached = 0, edges = 0;
	for (size_t i = 0; i < s->nwait_reaches; i++) {
		const struct gr_wait_reach *r = &s->wait_reaches[i];
		if (r->obj_addr == x) {
			assert_true(r->goid == id1 || r->goid == id2);
			assert_null(r->reached_by);
			unreached++;
		} else if (!r->reached_by) {
			printf("# goroutine %llu: 0x%llx unreached too\n", (unsigned long long)r->goid,
			       (unsigned long long)r->obj_addr);
			fail();
		}
	}
	assert_int_equal(unreached, 2);
	// Both reach x: two goroutines leaked on one channel, one group, no cycle.
	for (size_t i = 0; i < s->nwait_reachers; i++) {
		const struct gr_wait_reacher *k = &s->wait_reachers[i];
		assert_int_equal(k->obj_addr, x);
		assert_true(k->goid == id1 || k->goid == id2);
		edges++;
	}
	assert_int_equal(edges, 2);
	assert_int_equal(s->nwait_components, 1);
	const struct gr_wait_component *c = &s->wait_components[0];
	assert_string_equal(c->kind, "group");
	assert_int_equal(c->goroutines, 2);
	assert_int_equal(c->objects, 1);
	assert_int_equal(c->obj_addr, x);
	assert_int_equal(c->behind_goid, 0);
	assert_int_equal(s->nwait_members, 2);
	for (size_t i = 0; i < s->nwait_members; i++) {
		assert_int_equal(s->wait_members[i].component, 1);
		assert_int_equal(s->wait_members[i].obj_addr, x);
		assert_int_equal(s->wait_members[i].waker_goid, 0);
	}
	printf("# samechan-x 0x%llx: %zu pointers cleared, %zu kept; goroutines %llu and %llu "
	       "unreached, both reaching it: one group of two\n",
	       (unsigned long long)x, cleared, kept, (unsigned long long)id1,
	       (unsigned long long)id2);
	gr_snapshot_destroy(s);
	dw_binary_destroy(bin);
	unlink(exe);
	unlink(raw);
	free(exe);
	free(raw);
}

/*
 * Components: goroutines that each wait on every object of their component
 * (select loops on their input and quit channels, which they alone hold) are
 * a group, not a cycle; a deadlock, each waiting on what the other holds
 * though both reach both, stays a cycle.
 */
static void test_wait_graph_kinds(void **state)
{
	(void)state;
	struct gr_wait_reach waits[] = {
		{.goid = 10, .obj_addr = 0xa0}, {.goid = 10, .obj_addr = 0xb0},
		{.goid = 11, .obj_addr = 0xa0}, {.goid = 11, .obj_addr = 0xb0},
		{.goid = 12, .obj_addr = 0xa0}, {.goid = 12, .obj_addr = 0xb0},
		{.goid = 20, .obj_addr = 0xd0}, {.goid = 21, .obj_addr = 0xc0},
	};
	struct gr_wait_reacher reachers[] = {
		{.obj_addr = 0xa0, .goid = 10}, {.obj_addr = 0xa0, .goid = 11},
		{.obj_addr = 0xa0, .goid = 12}, {.obj_addr = 0xb0, .goid = 12},
		{.obj_addr = 0xc0, .goid = 20}, {.obj_addr = 0xc0, .goid = 21},
		{.obj_addr = 0xd0, .goid = 20}, {.obj_addr = 0xd0, .goid = 21},
	};
	struct gr_wait_graph g;
	assert_null(gr_wait_graph_build(waits, 8, reachers, 8, &g));
	assert_int_equal(g.ncomponents, 2);
	assert_string_equal(g.components[0].kind, "cycle");
	assert_int_equal(g.components[0].example_goid, 20);
	assert_int_equal(g.components[0].obj_addr, 0);
	assert_string_equal(g.components[1].kind, "group");
	assert_int_equal(g.components[1].goroutines, 3);
	assert_int_equal(g.components[1].objects, 2);
	assert_int_equal(g.components[1].obj_addr, 0xa0);
	for (size_t i = 0; i < g.nmembers; i++)
		if (g.members[i].component == 2)
			assert_int_equal(g.members[i].waker_goid, 0);
	gr_wait_graph_deinit(&g);
}

int main(void)
{
	char *m = xasprintf("%s/corpus/manifest.tsv", TOP_SRCDIR);
	gt_manifest_read(m, &manifest);
	free(m);
	if (!mkdtemp(tmpdir))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_stackmap_corrupt),
		cmocka_unit_test(test_made_leak),
		cmocka_unit_test(test_wait_graph_kinds),
	};
	int rc = cmocka_run_group_tests_name("reach", tests, NULL, NULL);
	rmdir(tmpdir);
	gt_manifest_free(&manifest);
	return rc;
}
