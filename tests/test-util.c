// SPDX-License-Identifier: Apache-2.0
// test-util.c: unit tests for util/ — errors, arena, interned strings, u64 map, growth, sort.
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/util.h"

static void test_error_prefix(void **state)
{
	struct util_error *err = util_error_create(UTIL_ERROR_BAD_DATA, "bad %d", 7);
	err = util_error_prefix(err, "%s: ", "core.zst");
	assert_string_equal(err->message, "core.zst: bad 7");
	assert_true(util_error_is(err, UTIL_ERROR_BAD_DATA));
	util_error_destroy(err);
	util_error_destroy(NULL);
	util_error_destroy(&util_enomem);
}

static void test_error_fault_and_catch(void **state)
{
	struct util_error *err = util_error_fault(0xc000001000, "runtime.g");
	assert_int_equal(err->address, 0xc000001000);
	assert_non_null(strstr(err->message, "0xc000001000"));
	assert_null(util_error_catch(err, UTIL_ERROR_FAULT));
	err = util_error_create(UTIL_ERROR_NOT_FOUND, "x");
	err = util_error_catch(err, UTIL_ERROR_FAULT);
	assert_non_null(err);
	util_error_destroy(err);
}

static void test_arena(void **state)
{
	struct util_arena a;
	util_arena_init(&a);
	char *big = util_arena_alloc(&a, 1 << 20);
	assert_non_null(big);
	for (int i = 0; i < 10000; i++) {
		uint64_t *p = util_arena_alloc(&a, 24);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % 16, 0);
		assert_int_equal(p[0] | p[1] | p[2], 0);
		p[0] = i;
	}
	big[(1 << 20) - 1] = 1;
	util_arena_deinit(&a);
}

static void test_strtab(void **state)
{
	struct util_strtab t;
	util_strtab_init(&t);
	const char *a = util_strtab_intern(&t, "main.main", 9);
	const char *b = util_strtab_intern_cstr(&t, "main.main");
	const char *c = util_strtab_intern(&t, "main.mainX", 9);
	assert_ptr_equal(a, b);
	assert_ptr_equal(a, c);
	char buf[32];
	for (int i = 0; i < 5000; i++) {
		snprintf(buf, sizeof(buf), "f%d", i);
		assert_non_null(util_strtab_intern_cstr(&t, buf));
	}
	assert_int_equal(t.count, 5001);
	assert_ptr_equal(util_strtab_intern_cstr(&t, "main.main"), a);
	util_strtab_deinit(&t);
}

static void test_u64map(void **state)
{
	struct util_u64map m;
	util_u64map_init(&m);
	uint64_t v;
	assert_false(util_u64map_get(&m, 1, &v));
	for (uint64_t i = 0; i < 100000; i++)
		assert_null(util_u64map_put(&m, i * 4096, i));
	assert_null(util_u64map_put(&m, 4096, 77));
	assert_int_equal(m.count, 100000);
	assert_true(util_u64map_get(&m, 4096, &v));
	assert_int_equal(v, 77);
	assert_true(util_u64map_get(&m, 99999 * 4096, &v));
	assert_int_equal(v, 99999);
	assert_false(util_u64map_get(&m, 3, &v));
	// ~0, the empty slots' mark, is a key like any other (a corrupt core's
	// goid or channel address).
	assert_false(util_u64map_get(&m, ~(uint64_t)0, &v));
	assert_null(util_u64map_put(&m, ~(uint64_t)0, 1));
	assert_null(util_u64map_put(&m, ~(uint64_t)0, 2));
	assert_int_equal(m.count, 100001);
	assert_true(util_u64map_get(&m, ~(uint64_t)0, &v));
	assert_int_equal(v, 2);
	assert_true(util_u64map_get(&m, 4096, &v));
	assert_int_equal(v, 77);
	util_u64map_deinit(&m);
	assert_false(util_u64map_get(&m, ~(uint64_t)0, NULL));
	assert_null(util_u64map_put(&m, ~(uint64_t)0, 3)); // into an empty map
	assert_true(util_u64map_get(&m, ~(uint64_t)0, &v));
	assert_int_equal(v, 3);
	util_u64map_deinit(&m);
}

static void test_grow(void **state)
{
	(void)state;
	int *v = NULL;
	size_t cap = 0;
	for (size_t n = 0; n < 1000; n++) {
		assert_null(util_grow((void **)&v, n, &cap, sizeof(*v), 64));
		assert_true(cap > n);
		v[n] = (int)n;
	}
	assert_int_equal(cap, 1024); /* 64 doubled four times */
	for (size_t n = 0; n < 1000; n++)
		assert_int_equal(v[n], (int)n);
	/* A size that cannot be allocated leaves the array as it was. */
	size_t before = cap;
	assert_ptr_equal(util_grow((void **)&v, SIZE_MAX / 2, &cap, sizeof(*v), 64), &util_enomem);
	assert_int_equal(cap, before);
	assert_int_equal(v[999], 999);
	free(v);
}

/* util_grow_mapped grows in place or by mremap, keeping what was written. */
static void test_grow_mapped(void **state)
{
	(void)state;
	uint64_t *v = NULL;
	size_t cap = 0;
	for (size_t n = 0; n < 300000; n++) {
		assert_null(util_grow_mapped((void **)&v, n, &cap, sizeof(*v), 1024));
		assert_true(cap > n);
		v[n] = n * 3;
	}
	assert_int_equal(cap, 1024 << 9);
	for (size_t n = 0; n < 300000; n += 997)
		assert_int_equal(v[n], n * 3);
	util_unmap_array(v, cap, sizeof(*v));
}

static int cmp_keyed_then_index(const void *a, const void *b)
{
	const struct util_keyed *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->val < y->val ? -1 : x->val > y->val;
}

/* util_sort_keyed is qsort by key, ties in their first order (stable). */
static void test_sort_keyed(void **state)
{
	(void)state;
	static const size_t sizes[] = {0, 1, 2, 7, 1000, 200000};
	uint64_t seed = 88172645463325252ULL;
	for (size_t t = 0; t < sizeof(sizes) / sizeof(sizes[0]); t++) {
		size_t n = sizes[t];
		struct util_keyed *a = malloc((n + 1) * sizeof(*a)), *b = malloc((n + 1) * sizeof(*b));
		assert_non_null(a);
		assert_non_null(b);
		for (size_t i = 0; i < n; i++) {
			seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
			// Heap-like addresses sharing their top bytes, with repeats.
			uint64_t k = 0xc000000000ULL + ((seed % (n / 3 + 1)) << 3);
			a[i] = b[i] = (struct util_keyed){k, i};
		}
		assert_null(util_sort_keyed(a, n));
		if (n)
			qsort(b, n, sizeof(*b), cmp_keyed_then_index);
		for (size_t i = 0; i < n; i++) {
			assert_int_equal(a[i].key, b[i].key);
			assert_int_equal(a[i].val, b[i].val);
		}
		free(a);
		free(b);
	}
}

struct three {
	uint64_t a, b, c;
};

static int cmp_three(const void *x, const void *y)
{
	const struct three *p = x, *q = y;
	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	return p->b < q->b ? -1 : p->b > q->b;
}

/* util_sort_in_place orders as qsort does (keys told apart, or alike in every byte). */
static void test_sort_in_place(void **state)
{
	(void)state;
	static const size_t sizes[] = {0, 1, 2, 3, 16, 17, 1000, 100000};
	uint64_t seed = 2463534242ULL;
	for (size_t t = 0; t < sizeof(sizes) / sizeof(sizes[0]); t++) {
		for (int shape = 0; shape < 4; shape++) {
			size_t n = sizes[t];
			struct three *a = malloc((n + 1) * sizeof(*a)), *b = malloc((n + 1) * sizeof(*b));
			assert_non_null(a);
			assert_non_null(b);
			for (size_t i = 0; i < n; i++) {
				seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
				// Random with repeats, ascending, descending, all alike.
				uint64_t k = shape == 0 ? seed % (n / 2 + 1) : shape == 1 ? i : shape == 2 ? n - i : 7;
				a[i] = b[i] = (struct three){k, shape == 0 ? seed % 3 : 0, k * 3};
			}
			util_sort_in_place(a, n, sizeof(*a), cmp_three);
			if (n)
				qsort(b, n, sizeof(*b), cmp_three);
			assert_memory_equal(a, b, n * sizeof(*a));
			free(a);
			free(b);
		}
	}
}

/* Nodes A and B share a component exactly when GROUP[A] == GROUP[B]. */
static void check_scc(size_t n, const size_t *off, const size_t *adj, const int *group,
		      size_t want)
{
	size_t comp[16], nc = 0;
	assert_null(util_scc(n, off, adj, comp, &nc));
	assert_int_equal(nc, want);
	for (size_t a = 0; a < n; a++)
		for (size_t b = 0; b < n; b++)
			assert_int_equal(comp[a] == comp[b], group[a] == group[b]);
	/* Reverse topological: an edge never leads to a larger component. */
	for (size_t v = 0; v < n; v++)
		for (size_t e = off[v]; e < off[v + 1]; e++)
			assert_true(comp[adj[e]] <= comp[v]);
}

static void test_scc(void **state)
{
	(void)state;
	/* 0 -> 1 -> 2 -> 0 (a cycle), 2 -> 3, 3 -> 4 -> 3 (another), 5 alone
	 * with a self loop, 6 alone. */
	size_t off[] = {0, 1, 2, 4, 5, 6, 7, 7};
	size_t adj[] = {1, 2, 0, 3, 4, 3, 5};
	int group[] = {1, 1, 1, 2, 2, 3, 4};
	check_scc(7, off, adj, group, 4);
	/* A bipartite waits-for graph: goroutines 0-2 wait on object 3, which
	 * all of them reach (an idle pool: one component). */
	size_t off2[] = {0, 1, 2, 3, 6};
	size_t adj2[] = {3, 3, 3, 0, 1, 2};
	int group2[] = {1, 1, 1, 1};
	check_scc(4, off2, adj2, group2, 1);
	/* No nodes. */
	size_t off3[] = {0}, nc = 9;
	assert_null(util_scc(0, off3, NULL, NULL, &nc));
	assert_int_equal(nc, 0);
}

/* A chain of a million nodes closed into one cycle: no recursion to overflow. */
static void test_scc_deep(void **state)
{
	(void)state;
	size_t n = 1000000;
	size_t *off = malloc((n + 1) * sizeof(*off)), *adj = malloc(n * sizeof(*adj));
	size_t *comp = malloc(n * sizeof(*comp)), nc = 0;
	assert_non_null(off);
	assert_non_null(adj);
	assert_non_null(comp);
	for (size_t v = 0; v < n; v++) {
		off[v] = v;
		adj[v] = (v + 1) % n;
	}
	off[n] = n;
	assert_null(util_scc(n, off, adj, comp, &nc));
	assert_int_equal(nc, 1);
	adj[n - 1] = n - 1; /* open the cycle: a million components */
	assert_null(util_scc(n, off, adj, comp, &nc));
	assert_int_equal(nc, n);
	free(off), free(adj), free(comp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_prefix),
		cmocka_unit_test(test_error_fault_and_catch),
		cmocka_unit_test(test_arena),
		cmocka_unit_test(test_strtab),
		cmocka_unit_test(test_u64map),
		cmocka_unit_test(test_grow),
		cmocka_unit_test(test_grow_mapped),
		cmocka_unit_test(test_sort_keyed),
		cmocka_unit_test(test_sort_in_place),
		cmocka_unit_test(test_scc),
		cmocka_unit_test(test_scc_deep),
	};
	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
