// SPDX-License-Identifier: Apache-2.0
// test-victims.c: who is stuck behind whom (gr_victims_find, victims.c) on
// synthetic wait-for graphs: goroutines and objects by index, the waits and
// what each goroutine's stack reaches. The culprit's mutex and the group
// only its waiters can finish; a deadlock, which has no culprit; two
// possible releasers, no culprit either; a search cut short, no claim; a
// thousand and ten thousand goroutines on one lock, and a chain of ten
// thousand waits, in time linear in them. Then, on the pileup program's
// cores, the whole path from the heap searches: ten thousand goroutines on
// the mutex a leaked goroutine holds are stuck behind it; on a package
// variable's mutex, behind nobody.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/core.h"
#include "dwarf/dwarf.h"
#include "goruntime/goruntime.h"
#include "tests/gotrace.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

static struct gt_manifest manifest;
static char tmpdir[] = "/tmp/gocoroner-victims-XXXXXX";

#define NONE SIZE_MAX

/* A graph under construction. */
struct g {
	size_t n, m;
	struct gr_victim_edge *w, *r;
	size_t nw, nr, capw, capr;
	bool *cut;
	size_t *culprit;
	uint32_t *hops;
};

static void add(struct gr_victim_edge **a, size_t *n, size_t *cap, size_t g, size_t obj)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		*a = realloc(*a, *cap * sizeof(**a));
		assert_non_null(*a);
	}
	(*a)[(*n)++] = (struct gr_victim_edge){g, obj};
}

static void wait(struct g *x, size_t g, size_t obj) { add(&x->w, &x->nw, &x->capw, g, obj); }
static void reach(struct g *x, size_t g, size_t obj) { add(&x->r, &x->nr, &x->capr, g, obj); }

static struct g *graph(size_t n, size_t m)
{
	struct g *x = calloc(1, sizeof(*x));
	assert_non_null(x);
	x->n = n;
	x->m = m;
	x->cut = calloc(n + 1, sizeof(bool));
	x->culprit = malloc((n + 1) * sizeof(size_t));
	x->hops = malloc((n + 1) * sizeof(uint32_t));
	assert_true(x->cut && x->culprit && x->hops);
	return x;
}

static void run(struct g *x)
{
	struct gr_victims_in in = {.ngoroutines = x->n, .nobjects = x->m, .waits = x->w,
				   .nwaits = x->nw, .reaches = x->r, .nreaches = x->nr,
				   .cut = x->cut};
	assert_null(gr_victims_find(&in, x->culprit, x->hops));
}

static void drop(struct g *x)
{
	free(x->w);
	free(x->r);
	free(x->cut);
	free(x->culprit);
	free(x->hops);
	free(x);
}

/*
 * Issue 15's shape: goroutine 0 holds the mutex (object 0: its stack
 * reaches it) and is stuck in IO wait; goroutines 1..100 wait on it, each
 * holding the group (object 1), on whose WaitGroup goroutine 101 waits. With
 * KNOT, goroutine 101 reaches the mutex too: it could release it only once
 * the group is done, which only the mutex's waiters can do.
 */
static struct g *mutex_group(bool knot)
{
	struct g *x = graph(102, 2);
	reach(x, 0, 0);
	for (size_t i = 1; i <= 100; i++) {
		wait(x, i, 0);
		reach(x, i, 0); // Lock's receiver: waiters alone are no releasers
		reach(x, i, 1);
	}
	wait(x, 101, 1);
	reach(x, 101, 1);
	if (knot)
		reach(x, 101, 0);
	return x;
}

static void test_mutex_group(void **state)
{
	(void)state;
	for (int knot = 0; knot < 2; knot++) {
		struct g *x = mutex_group(knot);
		run(x);
		assert_int_equal(x->culprit[0], NONE); // the culprit is behind nobody
		for (size_t i = 1; i <= 100; i++) {
			assert_int_equal(x->culprit[i], 0);
			assert_int_equal(x->hops[i], 1);
		}
		assert_int_equal(x->culprit[101], 0);
		assert_int_equal(x->hops[101], 2);
		drop(x);
	}
}

/* What each goroutine waits on a package variable reaches: anyone may release it. */
static void test_anyone(void **state)
{
	(void)state;
	struct g *x = mutex_group(false);
	x->w[0].obj = SIZE_MAX; // goroutine 1 waits on a global mutex instead
	run(x);
	// Behind nobody, it reaches the mutex too: a second possible releaser
	// of the mutex, so the others are behind no single goroutine either.
	assert_int_equal(x->culprit[1], NONE);
	assert_int_equal(x->culprit[2], NONE);
	assert_int_equal(x->culprit[101], NONE);
	drop(x);
}

/* A deadlock: each waits on what only the other reaches. Nothing flows in. */
static void test_cycle(void **state)
{
	(void)state;
	struct g *x = graph(4, 2);
	wait(x, 0, 0);
	reach(x, 0, 0);
	reach(x, 0, 1);
	wait(x, 1, 1);
	reach(x, 1, 1);
	reach(x, 1, 0);
	wait(x, 2, 0); // a third behind the cycle
	reach(x, 3, 1); // goroutine 3 runs and reaches object 1
	run(x);
	// Goroutine 3 could release object 1, so goroutine 1 is behind 3, and so
	// are 0 and 2 — the cycle has a way out through it.
	assert_int_equal(x->culprit[1], 3);
	assert_int_equal(x->culprit[0], 3);
	assert_int_equal(x->culprit[2], 3);
	assert_int_equal(x->culprit[3], NONE);
	drop(x);
	// Without goroutine 3's reach, a plain deadlock: no culprit at all.
	x = graph(3, 2);
	wait(x, 0, 0);
	reach(x, 0, 1);
	wait(x, 1, 1);
	reach(x, 1, 0);
	wait(x, 2, 0);
	run(x);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(x->culprit[i], NONE);
	drop(x);
}

/* Two goroutines that run could each release it: no culprit. */
static void test_two_releasers(void **state)
{
	(void)state;
	struct g *x = graph(4, 1);
	reach(x, 0, 0);
	reach(x, 1, 0);
	wait(x, 2, 0);
	wait(x, 3, 0);
	run(x);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(x->culprit[i], NONE);
	drop(x);
	// A select on two objects, each released by another goroutine: none.
	x = graph(3, 2);
	reach(x, 0, 0);
	reach(x, 1, 1);
	wait(x, 2, 0);
	wait(x, 2, 1);
	run(x);
	assert_int_equal(x->culprit[2], NONE);
	drop(x);
	// Both released by the same one: behind it.
	x = graph(3, 2);
	reach(x, 0, 0);
	reach(x, 0, 1);
	wait(x, 2, 0);
	wait(x, 2, 1);
	run(x);
	assert_int_equal(x->culprit[2], 0);
	drop(x);
}

/* A search cut short may have missed any object: no claim it could undo. */
static void test_cut(void **state)
{
	(void)state;
	struct g *x = graph(3, 1);
	reach(x, 0, 0);
	wait(x, 1, 0);
	x->cut[2] = true; // goroutine 2 runs; its search stopped
	run(x);
	assert_int_equal(x->culprit[1], NONE);
	drop(x);
	// An object no search found a releaser of: its waiter may be leaked,
	// not stuck behind the goroutine whose search was cut.
	x = graph(2, 1);
	wait(x, 1, 0);
	x->cut[0] = true;
	run(x);
	assert_int_equal(x->culprit[1], NONE);
	drop(x);
	// The one cut short is the culprit itself: the claim stands.
	x = graph(2, 1);
	reach(x, 0, 0);
	wait(x, 1, 0);
	x->cut[0] = true;
	run(x);
	assert_int_equal(x->culprit[1], 0);
	drop(x);
	// Cut short while behind the culprit itself: the claims stand too.
	x = mutex_group(false);
	x->cut[50] = true;
	run(x);
	assert_int_equal(x->culprit[50], 0);
	assert_int_equal(x->culprit[101], 0);
	drop(x);
}

/* A holder blocked on what nobody else reaches is the culprit of its waiters. */
static void test_leaked_holder(void **state)
{
	(void)state;
	struct g *x = graph(11, 2);
	wait(x, 0, 1);
	reach(x, 0, 1);
	reach(x, 0, 0);
	for (size_t i = 1; i <= 10; i++) {
		wait(x, i, 0);
		reach(x, i, 0);
	}
	run(x);
	assert_int_equal(x->culprit[0], NONE);
	for (size_t i = 1; i <= 10; i++)
		assert_int_equal(x->culprit[i], 0);
	drop(x);
}

static double seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* N goroutines on one lock whose holder runs, then a chain of N waits. */
static double pileup(size_t n)
{
	struct g *x = graph(2 * n + 1, n + 1);
	reach(x, 0, 0);
	for (size_t i = 1; i <= n; i++) {
		wait(x, i, 0);
		reach(x, i, 0);
	}
	// Goroutine n+k waits on object k, which only goroutine n+k-1 reaches.
	for (size_t k = 1; k <= n; k++) {
		wait(x, n + k, k);
		reach(x, n + k - 1, k);
	}
	double t = seconds();
	run(x);
	t = seconds() - t;
	for (size_t i = 1; i <= n; i++)
		assert_int_equal(x->culprit[i], 0);
	// The chain hangs off the last waiter, behind the holder too.
	for (size_t k = 1; k <= n; k++) {
		assert_int_equal(x->culprit[n + k], 0);
		assert_int_equal(x->hops[n + k], k + 1);
	}
	drop(x);
	return t;
}

static void test_linear(void **state)
{
	(void)state;
	double small = pileup(10000), big = pileup(100000);
	// Ten times the goroutines: nowhere near a hundred times the time.
	print_message("10,000 waiters: %.4f s; 100,000: %.4f s\n", small, big);
	assert_true(big < 40 * small + 0.05);
}

/*
 * Corpus core NAME's snapshot, its binary in *BIN (destroy it after the
 * snapshot) and its stdout's path in *OUT; NULL without the corpus.
 */
static struct gr_snapshot *corpus_snapshot(const char *name, char **out, struct dw_binary **bin)
{
	const struct gt_manifest_row *row = gt_row(&manifest, name);
	if (!row)
		return NULL;
	char *exe = gt_unpack(&manifest, row, "exe", TOP_SRCDIR "/corpus", tmpdir, ".exe");
	char *raw = gt_unpack(&manifest, row, "core", TOP_SRCDIR "/corpus", tmpdir, ".core");
	*out = gt_path(TOP_SRCDIR "/corpus", gt_col(&manifest, row, "stdout"));
	assert_null(dw_binary_open(exe, bin));
	struct core_file *core;
	assert_null(core_open(raw, &core));
	assert_null(core_attach_exe(core, exe, false));
	struct gr_snapshot *snap;
	assert_null(gr_snapshot_create(core, *bin, NULL, &snap));
	core_destroy(core);
	unlink(exe);
	unlink(raw);
	free(exe);
	free(raw);
	return snap;
}

static void test_pileup_cores(void **state)
{
	(void)state;
	char *out;
	struct dw_binary *bin;
	struct gr_snapshot *s = corpus_snapshot("pileup-mutex10000-go1.27-opt-gcore", &out, &bin);
	if (!s) {
		printf("corpus not found: skipped\n");
		skip();
	}
	uint64_t holder = gt_line_value(out, "scenario mutex-holder ", "goid=");
	uint64_t mu = gt_line_value(out, "addr mutex-mu ", "mutex-mu ");
	free(out);
	assert_true(holder && mu);
	size_t behind = 0;
	for (size_t i = 0; i < s->nblockers; i++) {
		const struct gr_blocker *b = &s->blockers[i];
		assert_int_equal(b->culprit_goid, holder);
		assert_int_equal(b->obj_addr, mu);
		assert_string_equal(b->via, "mutex");
		assert_int_equal(b->hops, 1);
		behind++;
	}
	assert_int_equal(behind, 10000);
	gr_snapshot_destroy(s);
	dw_binary_destroy(bin);
	// The same pile-up on a package variable's mutex: anyone may unlock it.
	s = corpus_snapshot("pileup-mutexlive10000-go1.27-opt-gcore", &out, &bin);
	free(out);
	assert_non_null(s);
	assert_int_equal(s->nblockers, 0);
	gr_snapshot_destroy(s);
	dw_binary_destroy(bin);
}

int main(void)
{
	char *m = NULL;
	if (asprintf(&m, "%s/corpus/manifest.tsv", TOP_SRCDIR) < 0 || !mkdtemp(tmpdir))
		return 1;
	gt_manifest_read(m, &manifest);
	free(m);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mutex_group),
		cmocka_unit_test(test_anyone),
		cmocka_unit_test(test_cycle),
		cmocka_unit_test(test_two_releasers),
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_leaked_holder),
		cmocka_unit_test(test_linear),
		cmocka_unit_test(test_pileup_cores),
	};
	int rc = cmocka_run_group_tests_name("victims", tests, NULL, NULL);
	rmdir(tmpdir);
	gt_manifest_free(&manifest);
	return rc;
}
