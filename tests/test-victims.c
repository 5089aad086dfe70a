// test-victims.c: who is stuck behind whom (gr_victims_find, victims.c) on
// synthetic wait-for graphs: goroutines and objects by index, the waits and
// what each goroutine's stack reaches. The culprit's mutex and the group
// only its waiters can finish; a deadlock, which has no culprit; two
// possible releasers, no culprit either; a search cut short, no claim; a
// thousand and ten thousand goroutines on one lock, and a chain of ten
// thousand waits, in time linear in them.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "goruntime/goruntime.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mutex_group),
		cmocka_unit_test(test_anyone),
		cmocka_unit_test(test_cycle),
		cmocka_unit_test(test_two_releasers),
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_leaked_holder),
		cmocka_unit_test(test_linear),
	};
	return cmocka_run_group_tests_name("victims", tests, NULL, NULL);
}
