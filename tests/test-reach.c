// SPDX-License-Identifier: Apache-2.0
// test-reach.c: heap reachability of the objects blocked goroutines wait on,
// for every corpus core, against what the hang program's source says: it
// keeps every channel it reports in the package variable chanRecs and every
// sync object in the package variable keepalive, so each of those is reached
// from a global; nothing it parks is leaked, so no wait is unreached and
// there is no waker edge. Then cores with a corrupted runtime.mheap_.allspans
// and corrupted spans must give diagnostics and an incomplete (or no) scan.
// The marking reads Go's own pointer bitmaps (heapbits.c): on every core,
// every object and every data/bss word so; a stale copy of a
// pointer in a scalar word keeps nothing alive; a time.After channel is
// reached through the runtime's timers; and the bitmaps of each release are
// decoded right on a synthetic core.
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
#include "goruntime/heapbits.h"
#include "tests/gotrace.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

static struct gt_manifest manifest;
static char tmpdir[] = "/tmp/gocoroner-reach-XXXXXX";
#define unpack(row, col, suffix) gt_unpack(&manifest, (row), (col), TOP_SRCDIR "/corpus", tmpdir, (suffix))

/* The corpus core NAME's manifest row; the test is skipped without the corpus. */
static const struct gt_manifest_row *corpus_row(const char *name)
{
	const struct gt_manifest_row *row = gt_row(&manifest, name);
	if (!row) {
		printf("corpus not found: skipped\n");
		skip();
	}
	return row;
}

/* Remove and free what unpack wrote. */
static void drop(char *exe, char *raw)
{
	unlink(exe);
	unlink(raw);
	free(exe);
	free(raw);
}

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
	// Pointers found as Go's collector finds them: every object by its
	// bitmap, every data and bss word by its module's mask.
	if (!h->heap_bits || h->objects_conservative || !h->objects_precise ||
	    !h->global_words_precise || h->global_words_conservative) {
		printf("# %s: heap bits %s, objects %llu precise %llu word by word, data/bss words "
		       "%llu precise %llu word by word\n",
		       name, h->heap_bits ? h->heap_bits : "none",
		       (unsigned long long)h->objects_precise,
		       (unsigned long long)h->objects_conservative,
		       (unsigned long long)h->global_words_precise,
		       (unsigned long long)h->global_words_conservative);
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
	const struct gt_manifest_row *row = corpus_row("hang-go1.22-opt-kernel");
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
	const struct gt_manifest_row *row = corpus_row("hang-go1.24-opt-kernel");
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
	drop(exe, raw);
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
	const struct gt_manifest_row *row = corpus_row("hang-go1.24-opt-kernel");
	char *exe = unpack(row, "exe", ".leak.exe");
	char *raw = unpack(row, "core", ".leak.core");
	char *out = gt_path(TOP_SRCDIR "/corpus", gt_col(&manifest, row, "stdout"));
	uint64_t x = gt_line_value(out, "chan samechan-x ", "addr=");
	uint64_t id1 = gt_line_value(out, "scenario samechan-recv-1 ", "goid=");
	uint64_t id2 = gt_line_value(out, "scenario samechan-recv-2 ", "goid=");
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

	// A stale copy of the address in a scalar word of a package variable
	// in bss (runtime.mheap_.pagesInUse, an atomic uintptr): gcbssmask
	// says it is no pointer, so it keeps nothing alive.
	uint64_t mheap, mheap_size;
	assert_null(dw_variable(bin, "runtime.mheap_", &mheap, &mheap_size));
	uint64_t stale = mheap + offset_of(bin, "runtime.mheap", "pagesInUse");
	assert_true(gt_patch_core(raw, stale, &x, 8));

	s = snapshot(raw, exe, bin);
	assert_true(s->has_heap_scan);
	assert_true(s->heap_scan.complete);
	assert_string_equal(s->heap_scan.heap_bits, "headers");
	assert_int_equal(s->heap_scan.global_words_conservative, 0);
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
	drop(exe, raw);
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

	// A cycle member's own never-ready select case (0xe0, which only it
	// reaches) names no waker: it is shown on 0xf0, which the other reaches.
	struct gr_wait_reach w2[] = {
		{.goid = 30, .obj_addr = 0xe0}, {.goid = 30, .obj_addr = 0xf0},
		{.goid = 31, .obj_addr = 0xf0},
	};
	struct gr_wait_reacher r2[] = {
		{.obj_addr = 0xe0, .goid = 30}, {.obj_addr = 0xf0, .goid = 30},
		{.obj_addr = 0xf0, .goid = 31},
	};
	assert_null(gr_wait_graph_build(w2, 3, r2, 3, &g));
	assert_int_equal(g.ncomponents, 1);
	assert_string_equal(g.components[0].kind, "cycle");
	assert_int_equal(g.nmembers, 2);
	for (size_t i = 0; i < g.nmembers; i++) {
		assert_int_equal(g.members[i].obj_addr, 0xf0);
		assert_int_equal(g.members[i].waker_goid, g.members[i].goid == 30 ? 31 : 30);
	}
	gr_wait_graph_deinit(&g);
}

/*
 * A goroutine blocked on a time.After channel is not leaked: the channel is
 * reached from the timer, which the runtime's per-P timer heap holds (Go
 * 1.23+: the timer is there while a goroutine blocks on its channel). Every
 * pointer to timer-after-chan is cleared but those in the timer object
 * (hchan.timer points into it), the waiter's stack and its sudog: the wait
 * is still reached, through runtime.p.
 */
static void test_timer_root(void **state)
{
	(void)state;
	const struct gt_manifest_row *row = corpus_row("hang-go1.24-opt-kernel");
	char *exe = unpack(row, "exe", ".timer.exe");
	char *raw = unpack(row, "core", ".timer.core");
	char *out = gt_path(TOP_SRCDIR "/corpus", gt_col(&manifest, row, "stdout"));
	uint64_t x = gt_line_value(out, "chan timer-after-chan ", "addr=");
	uint64_t id = gt_line_value(out, "scenario timer-after ", "goid=");
	free(out);
	assert_true(x && id);
	struct dw_binary *bin;
	assert_null(dw_binary_open(exe, &bin));
	uint64_t hchan_size, t_off = offset_of(bin, "runtime.hchan", "timer");
	uint64_t sg_g = offset_of(bin, "runtime.sudog", "g"), sg_c = offset_of(bin, "runtime.sudog", "c");
	assert_null(dw_type_size(bin, "runtime.hchan", &hchan_size));
	struct gr_snapshot *s = snapshot(raw, exe, bin);
	const struct gr_goroutine *g = goroutine(s, id);
	assert_non_null(g);
	uint64_t lo = g->stack_lo, hi = g->stack_hi, gaddr = g->g_addr;
	assert_non_null(find_reach(s, x));
	gr_snapshot_destroy(s);

	struct core_file *core;
	assert_null(core_open(raw, &core));
	assert_null(core_attach_exe(core, exe, false));
	uint64_t timer;
	assert_null(core_read_u64(core, x + t_off, &timer));
	assert_true(timer != 0);
	uint64_t *buf = malloc(4096), zero = 0;
	assert_non_null(buf);
	size_t cleared = 0, kept = 0;
	static uint64_t segs_[4096][2];
	size_t nsegs = load_segments(raw, segs_, 4096);
	for (size_t m = 0; m < nsegs; m++)
		for (uint64_t a = segs_[m][0]; a < segs_[m][1]; a += 4096) {
			size_t n = segs_[m][1] - a < 4096 ? segs_[m][1] - a : 4096;
			struct util_error *e = core_read(core, a, buf, n);
			if (e) {
				util_error_destroy(e);
				continue;
			}
			for (size_t i = 0; i < n / 8; i++) {
				if (buf[i] - x >= hchan_size)
					continue;
				uint64_t at = a + 8 * i, sg = 0;
				// The timeTimer: its c, and its timer's arg, around hchan.timer.
				bool keep = (at >= lo && at < hi) || at - (timer - 64) < 320;
				if (!keep && !core_read_u64(core, at - sg_c + sg_g, &sg))
					keep = buf[i] == x && sg == gaddr;
				if (keep) {
					kept++;
					continue;
				}
				assert_true(gt_patch_core(raw, at, &zero, 8));
				cleared++;
			}
		}
	free(buf);
	core_destroy(core);
	printf("# timer-after-chan 0x%llx (timer 0x%llx): %zu pointers cleared, %zu kept\n",
	       (unsigned long long)x, (unsigned long long)timer, cleared, kept);
	assert_true(cleared > 0 && kept >= 2);
	s = snapshot(raw, exe, bin);
	const struct gr_wait_reach *w = find_reach(s, x);
	assert_non_null(w);
	assert_non_null(w->reached_by);
	assert_string_equal(w->reached_by, "global");
	assert_true(s->heap_scan.complete);
	gr_snapshot_destroy(s);
	dw_binary_destroy(bin);
	drop(exe, raw);
}

/*
 * A goroutine Go's leak detector left _Gleaked is never a root, even with
 * no wait object found: diag's leak-sleeper (sleeping, so a root) is the
 * only one holding the channel leak-sleeper-recv waits on; with its status
 * made _Gleaked, that wait is no longer reached.
 */
static void test_leaked_status(void **state)
{
	(void)state;
	const struct gt_manifest_row *row = corpus_row("diag-go1.27-opt-kernel");
	char *exe = unpack(row, "exe", ".leaked.exe");
	char *raw = unpack(row, "core", ".leaked.core");
	char *out = gt_path(TOP_SRCDIR "/corpus", gt_col(&manifest, row, "stdout"));
	uint64_t x = gt_line_value(out, "addr leak-sleeper-chan ", "leak-sleeper-chan ");
	uint64_t recv = gt_line_value(out, "scenario leak-sleeper-recv ", "goid=");
	uint64_t sleeper = gt_line_value(out, "scenario leak-sleeper ", "goid=");
	free(out);
	assert_true(x && recv && sleeper);
	struct dw_binary *bin;
	assert_null(dw_binary_open(exe, &bin));
	int64_t leaked;
	assert_null(dw_constant(bin, "runtime._Gleaked", &leaked));
	uint64_t status_off = offset_of(bin, "runtime.g", "atomicstatus");
	struct gr_snapshot *s = snapshot(raw, exe, bin);
	const struct gr_wait_reach *w = find_reach(s, x);
	assert_non_null(w);
	assert_int_equal(w->goid, recv);
	assert_non_null(w->reached_by); // by the sleeper's stack
	const struct gr_goroutine *g = goroutine(s, sleeper);
	assert_non_null(g);
	uint64_t gaddr = g->g_addr;
	gr_snapshot_destroy(s);

	uint32_t st = (uint32_t)leaked;
	assert_true(gt_patch_core(raw, gaddr + status_off, &st, 4));
	s = snapshot(raw, exe, bin);
	g = goroutine(s, sleeper);
	assert_non_null(g);
	assert_string_equal(g->status_name, "leaked");
	w = find_reach(s, x);
	assert_non_null(w);
	assert_null(w->reached_by);
	assert_true(s->heap_scan.complete);
	gr_snapshot_destroy(s);
	dw_binary_destroy(bin);
	drop(exe, raw);
}

/* ---- The runtime's pointer bitmaps, on a synthetic core --------------------- */

/* The synthetic core's memory: each segment's bytes, zero unless set. */
struct seg {
	uint64_t vaddr, size;
	uint8_t *bytes;
};

enum {
	HEAP = 0x10000,   /* four one-page spans: A (32-byte objects), B (8), C (48), D (1024) */
	LARGE = 0x20000,  /* E: one large object of two pages */
	TYPES = 0x30000,  /* type descriptors and masks */
	ARENAS = 0x40000, /* Go 1.20-1.21: arenas L1 and L2 arrays, one heapArena */
	AHEAP = 0x50000,  /* the heap that arena describes */
	NSEG = 5,
	PAGE = 8192,
};

static struct seg segs[NSEG] = {
	{HEAP, 4 * PAGE, NULL}, {LARGE, 2 * PAGE, NULL}, {TYPES, 4096, NULL},
	{ARENAS, 2 * PAGE, NULL}, {AHEAP, PAGE, NULL},
};

static void put64(uint64_t addr, uint64_t v)
{
	for (size_t i = 0; i < NSEG; i++)
		if (addr - segs[i].vaddr < segs[i].size) {
			memcpy(segs[i].bytes + (addr - segs[i].vaddr), &v, 8);
			return;
		}
	fail_msg("0x%llx is in no segment", (unsigned long long)addr);
}

static void put8(uint64_t addr, uint8_t v)
{
	for (size_t i = 0; i < NSEG; i++)
		if (addr - segs[i].vaddr < segs[i].size) {
			segs[i].bytes[addr - segs[i].vaddr] = v;
			return;
		}
	fail_msg("0x%llx is in no segment", (unsigned long long)addr);
}

/* An ET_CORE file: one thread's NT_PRSTATUS and the segments. */
static void write_core(const char *path)
{
	uint8_t prstatus[336] = {0};
	uint32_t tid = 101, nhdr[3] = {5, sizeof(prstatus), 1 /* NT_PRSTATUS */};
	memcpy(prstatus + 32, &tid, 4);
	size_t notes_len = sizeof(nhdr) + 8 + sizeof(prstatus);
	size_t off = sizeof(Elf64_Ehdr) + (1 + NSEG) * sizeof(Elf64_Phdr);
	Elf64_Phdr ph[1 + NSEG] = {{.p_type = PT_NOTE, .p_offset = off, .p_filesz = notes_len,
				    .p_align = 4}};
	off = (off + notes_len + 4095) & ~(size_t)4095;
	for (size_t i = 0; i < NSEG; i++) {
		ph[1 + i] = (Elf64_Phdr){.p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = off,
					 .p_vaddr = segs[i].vaddr, .p_filesz = segs[i].size,
					 .p_memsz = segs[i].size, .p_align = 4096};
		off += segs[i].size;
	}
	Elf64_Ehdr eh = {0};
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_CORE;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = 1 + NSEG;
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(&eh, sizeof(eh), 1, f), 1);
	assert_int_equal(fwrite(ph, sizeof(ph), 1, f), 1);
	assert_int_equal(fwrite(nhdr, sizeof(nhdr), 1, f), 1);
	assert_int_equal(fwrite("CORE\0\0\0\0", 8, 1, f), 1);
	assert_int_equal(fwrite(prstatus, sizeof(prstatus), 1, f), 1);
	for (size_t i = 0; i < NSEG; i++) {
		assert_int_equal(fseek(f, (long)ph[1 + i].p_offset, SEEK_SET), 0);
		assert_int_equal(fwrite(segs[i].bytes, segs[i].size, 1, f), 1);
	}
	assert_int_equal(fclose(f), 0);
}

/* What gr_heapbits_scan reported: pointer words, and word-by-word ranges. */
struct seen {
	uint64_t ptrs[512];
	size_t nptrs;
	uint64_t words_lo, words_hi;
	size_t nwords;
};

static void seen_words(void *arg, uint64_t lo, uint64_t hi)
{
	struct seen *s = arg;
	s->words_lo = lo;
	s->words_hi = hi;
	s->nwords++;
}

static void seen_bits(void *arg, uint64_t base, const uint8_t *bitmap, uint32_t nbit)
{
	struct seen *s = arg;
	for (uint32_t k = 0; k < nbit; k++)
		if (bitmap[k / 8] >> (k % 8) & 1 && s->nptrs < 512)
			s->ptrs[s->nptrs++] = base + 8 * (uint64_t)k;
}

/* Scan the object at A of S; the pointer words as offsets from A, "1,3" (or "words"). */
static const char *scan(struct gr_heapbits *hb, const struct gr_span *s, uint64_t a)
{
	static char out[4096];
	struct seen seen = {.nptrs = 0};
	struct gr_stack_visit v = {seen_words, seen_bits, &seen};
	gr_heapbits_scan(hb, s, a, &v);
	if (seen.nwords) {
		assert_int_equal(seen.nwords, 1);
		assert_int_equal(seen.words_lo, a);
		assert_int_equal(seen.words_hi, a + s->elemsize);
		assert_int_equal(seen.nptrs, 0);
		return "words";
	}
	size_t n = 0;
	out[0] = 0;
	for (size_t i = 0; i < seen.nptrs && n < sizeof(out) - 24; i++)
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%llu", i ? "," : "",
				      (unsigned long long)((seen.ptrs[i] - a) / 8));
	return out;
}

static struct gr_span span(uint64_t base, uint64_t npages, uint64_t elemsize)
{
	return (struct gr_span){.base = base, .elemsize = elemsize,
				.nelems = (uint32_t)(npages * PAGE / elemsize),
				.end = base + npages * PAGE / elemsize * elemsize,
				.limit = base + npages * PAGE, .large = npages * PAGE == elemsize};
}

/* A gr_heapbits as gr_heapbits_init leaves it, for the given scheme, without a binary. */
static void hb_init(struct gr_heapbits *hb, struct gr_reader *r, enum gr_heapbits_scheme scheme)
{
	memset(hb, 0, sizeof(*hb));
	hb->r = r;
	hb->scheme = scheme;
	hb->page_size = PAGE;
	hb->why = scheme == GR_HB_NONE ? "no bitmap" : NULL;
	util_u64map_init(&hb->type_index);
	hb->bits = malloc(8192 / 8 + 8);
	hb->words = malloc((8192 / 64 + 2) * 8);
	assert_non_null(hb->bits);
	assert_non_null(hb->words);
	// internal/abi.Type of Go 1.22-1.27 (amd64): Size_ 0, PtrBytes 8, TFlag 20, Kind_ 23, GCData 32.
	hb->max_small = 512;
	hb->t_size = 0, hb->t_ptrbytes = 8, hb->t_tflag = 20, hb->t_kind = 23, hb->t_gcdata = 32;
	hb->t_read = 40;
	// TFlagGCMaskOnDemand (Go 1.24+) and KindGCProg (up to 1.23), both here.
	hb->tflag_ondemand = 0x10;
	hb->kind_gcprog = 0x40;
}

/* A type descriptor at T: SIZE, PTRBYTES, TFLAG, KIND, GCDATA. */
static void put_type(uint64_t t, uint64_t size, uint64_t ptrbytes, uint8_t tflag, uint8_t kind,
		     uint64_t gcdata)
{
	put64(t, size);
	put64(t + 8, ptrbytes);
	put8(t + 20, tflag);
	put8(t + 23, kind);
	put64(t + 32, gcdata);
}

/*
 * Go 1.22+ (allocation headers) and 1.20-1.21 (arena bitmap) decoded on
 * memory laid out as the runtime lays it out: which words of an object are
 * reported as pointers, and when the object is read word by word instead.
 */
static void test_heapbits(void **state)
{
	(void)state;
	for (size_t i = 0; i < NSEG; i++) {
		segs[i].bytes = calloc(1, segs[i].size);
		assert_non_null(segs[i].bytes);
	}
	struct gr_span a = span(HEAP, 1, 32), b = span(HEAP + PAGE, 1, 8),
		       c = span(HEAP + 2 * PAGE, 1, 48), d = span(HEAP + 3 * PAGE, 1, 1024),
		       e = span(LARGE, 2, 2 * PAGE);
	// Span A: the heap bits are the page's last 128 bytes (mbitmap.go
	// heapBitsSlice), or the 128 before the Green Tea inline mark bits
	// (1.26+ spanHeapBitsRange). Object 0: words 0 and 3; 1: word 1.
	put8(HEAP + PAGE - 128, 0x9 | 0x2 << 4);
	put8(HEAP + PAGE - 256, 0x4); // Green Tea's place: object 0's word 2
	// Span B (8-byte objects: no inline mark bits): object 9, a pointer.
	put8(HEAP + 2 * PAGE - 128 + 1, 0x2);
	// Span C (48-byte objects): object 10 is words 60-65, across two bitmap words.
	put64(HEAP + 3 * PAGE - 128 - 128, (uint64_t)0x9 << 60);
	put64(HEAP + 3 * PAGE - 128 - 120, 0x2);
	// Types: T1 {p, p, scalar} (24 bytes); T2 a mask built on demand, not
	// yet; T3 {p, scalar} with its mask built; T4 a GC program.
	uint64_t t1 = TYPES, t2 = TYPES + 0x40, t3 = TYPES + 0x80, t4 = TYPES + 0xc0;
	put_type(t1, 24, 16, 0, 25, TYPES + 0x200);
	put8(TYPES + 0x200, 0x3);
	put_type(t2, 16, 8, 0x10, 25, TYPES + 0x210); // slot 0: not built
	put_type(t3, 16, 8, 0x10, 25, TYPES + 0x218);
	put64(TYPES + 0x218, TYPES + 0x220);
	put8(TYPES + 0x220, 0x1);
	put_type(t4, 16, 8, 0, 25 | 0x40, TYPES + 0x228);
	// Span D (malloc headers): objects 0-4 of types T1, T2, T3, T4, nil.
	put64(HEAP + 3 * PAGE, t1);
	put64(HEAP + 3 * PAGE + 1024, t2);
	put64(HEAP + 3 * PAGE + 2048, t3);
	put64(HEAP + 3 * PAGE + 3072, t4);
	// Go 1.20-1.21: arenas of 64 KiB, mheap_.arenas[0][5] is the heapArena
	// of AHEAP; its bitmap at 0, noMorePtrs at 1024.
	put64(ARENAS, ARENAS + 0x100);
	put64(ARENAS + 0x100 + 5 * 8, ARENAS + PAGE);
	put64(ARENAS + PAGE + 8, 0x5); // bitmap word 1: words 64 and 66
	put64(ARENAS + PAGE + 16, 0x1); // bitmap word 2: word 128
	char path[64];
	snprintf(path, sizeof(path), "%s/heapbits.core", tmpdir);
	write_core(path);

	struct core_file *core;
	assert_null(core_open(path, &core));
	struct gr_reader r = {.core = core};
	struct gr_heapbits hb;
	hb_init(&hb, &r, GR_HB_HEADERS);
	assert_string_equal(scan(&hb, &a, HEAP), "0,3");
	assert_string_equal(scan(&hb, &a, HEAP + 32), "1");
	assert_string_equal(scan(&hb, &a, HEAP + 64), "");
	hb.inline_marks = 128; // Green Tea: the bitmap moves, except for 8-byte objects
	assert_string_equal(scan(&hb, &a, HEAP), "2");
	assert_string_equal(scan(&hb, &b, HEAP + PAGE + 72), "0");
	assert_string_equal(scan(&hb, &c, HEAP + 2 * PAGE + 480), "0,3,5");
	// Malloc headers: T1 tiled from the word after the header to the object's end.
	const char *want = scan(&hb, &d, HEAP + 3 * PAGE);
	assert_true(strncmp(want, "1,2,4,5,7,8,", 12) == 0);
	assert_non_null(strstr(want, ",124,125,127"));
	assert_string_equal(scan(&hb, &d, HEAP + 3 * PAGE + 1024), "words"); // mask not built
	want = scan(&hb, &d, HEAP + 3 * PAGE + 2048);
	assert_true(strncmp(want, "1,3,5,", 6) == 0);
	assert_string_equal(scan(&hb, &d, HEAP + 3 * PAGE + 3072), "words"); // GC program
	assert_string_equal(scan(&hb, &d, HEAP + 3 * PAGE + 4096), "words"); // nil header
	// Large objects: mspan.largeType tiled from the object's start; none: no pointers.
	e.large_type = t1;
	want = scan(&hb, &e, LARGE);
	assert_true(strncmp(want, "0,1,3,4,6,", 10) == 0);
	e.large_type = 0;
	assert_string_equal(scan(&hb, &e, LARGE), "");
	e.noscan = true;
	assert_string_equal(scan(&hb, &e, LARGE), "");
	// A span whose bits are not in the core: word by word.
	struct gr_span gone = span(0x70000, 1, 32);
	assert_string_equal(scan(&hb, &gone, 0x70000), "words");
	assert_int_equal(hb.objects_conservative, 4);
	assert_int_equal(hb.objects_precise, 11);
	assert_string_equal(hb.reason[0], "its type's mask is built on demand and was not built yet");
	assert_string_equal(hb.reason[1], "its type has a GC program");
	assert_string_equal(hb.reason[2], "its malloc header is nil");
	assert_string_equal(hb.reason[3], "its span's heap bits are not in the core");
	gr_heapbits_deinit(&hb);

	// Go 1.20-1.21: an object of 128 words from word 64 of its arena.
	hb_init(&hb, &r, GR_HB_ARENA);
	hb.arenas = ARENAS;
	hb.arena_bytes = 1 << 16;
	hb.base_offset = 0;
	hb.l2_bits = 4;
	hb.ha_bitmap = 0;
	hb.ha_nomore = 1024;
	struct gr_span f = span(AHEAP, 1, 1024);
	assert_string_equal(scan(&hb, &f, AHEAP + 512), "0,2,64");
	// noMorePtrs for bitmap word 1: nothing past it (its bit in word 2 is junk).
	uint8_t nomore = 0x2;
	core_destroy(core);
	segs[3].bytes[PAGE + 1024] = nomore;
	write_core(path);
	assert_null(core_open(path, &core));
	r.core = core;
	hb.last_ha = 0;
	assert_string_equal(scan(&hb, &f, AHEAP + 512), "0,2");
	struct gr_span g = span(0x70000, 1, 64); // no heapArena for it
	assert_string_equal(scan(&hb, &g, 0x70000), "words");
	gr_heapbits_deinit(&hb);

	// Go 1.19: the same object, two bits a word. Words 0 and 2 pointers,
	// 1 scalar, all three "scan"; word 3 dead: no more pointers (the
	// pointer bit of word 4 is junk).
	memset(segs[3].bytes + PAGE, 0, PAGE);
	segs[3].bytes[PAGE + 16] = 0x5 | 0x7 << 4;
	segs[3].bytes[PAGE + 17] = 0x1;
	core_destroy(core);
	write_core(path);
	assert_null(core_open(path, &core));
	r.core = core;
	hb_init(&hb, &r, GR_HB_ARENA2);
	hb.arenas = ARENAS;
	hb.arena_bytes = 1 << 16;
	hb.l2_bits = 4;
	hb.ha_bitmap = 0;
	assert_string_equal(scan(&hb, &f, AHEAP + 512), "0,2");
	segs[3].bytes[PAGE + 16] = 0xff; // every word scan and pointer, to the end
	memset(segs[3].bytes + PAGE + 17, 0xff, 31);
	core_destroy(core);
	write_core(path);
	assert_null(core_open(path, &core));
	r.core = core;
	hb.last_ha = 0;
	const char *all = scan(&hb, &f, AHEAP + 512);
	assert_true(strncmp(all, "0,1,2,3,4,", 10) == 0);
	assert_non_null(strstr(all, ",126,127"));
	assert_string_equal(scan(&hb, &g, 0x70000), "words");
	gr_heapbits_deinit(&hb);

	// Go 1.19 (no bitmap decoded): every object word by word.
	hb_init(&hb, &r, GR_HB_NONE);
	assert_string_equal(scan(&hb, &a, HEAP), "words");
	assert_int_equal(hb.objects_conservative, 1);
	gr_heapbits_deinit(&hb);
	core_destroy(core);
	unlink(path);
	for (size_t i = 0; i < NSEG; i++)
		free(segs[i].bytes);
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
		cmocka_unit_test(test_timer_root),
		cmocka_unit_test(test_leaked_status),
		cmocka_unit_test(test_heapbits),
	};
	int rc = cmocka_run_group_tests_name("reach", tests, NULL, NULL);
	rmdir(tmpdir);
	gt_manifest_free(&manifest);
	return rc;
}
