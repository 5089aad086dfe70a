// SPDX-License-Identifier: Apache-2.0
// scc.c: strongly connected components of a directed graph in linear time
// (Tarjan's algorithm, iterative: a graph of a million nodes in one long
// chain must not overflow the C stack).
#include <stdint.h>
#include <stdlib.h>

#include "util/util.h"

#define UNVISITED SIZE_MAX

struct util_error *util_scc(size_t n, const size_t *off, const size_t *adj, size_t *comp,
			    size_t *ncomp)
{
	size_t *index = malloc((n + 1) * sizeof(*index));
	size_t *low = malloc((n + 1) * sizeof(*low));
	size_t *stack = malloc((n + 1) * sizeof(*stack)); // Tarjan's stack of open nodes
	size_t *call = malloc((n + 1) * sizeof(*call));   // the DFS path
	size_t *next = malloc((n + 1) * sizeof(*next));   // per node: next edge to follow
	unsigned char *on = calloc(n + 1, 1);
	if (!index || !low || !stack || !call || !next || !on) {
		free(index), free(low), free(stack), free(call), free(next), free(on);
		return &util_enomem;
	}
	for (size_t v = 0; v < n; v++)
		index[v] = UNVISITED;
	size_t counter = 0, sp = 0, nc = 0;
	for (size_t root = 0; root < n; root++) {
		if (index[root] != UNVISITED)
			continue;
		size_t depth = 0;
		call[depth++] = root;
		index[root] = low[root] = counter++;
		next[root] = off[root];
		stack[sp++] = root;
		on[root] = 1;
		while (depth) {
			size_t v = call[depth - 1];
			if (next[v] < off[v + 1]) {
				size_t w = adj[next[v]++];
				if (index[w] == UNVISITED) {
					index[w] = low[w] = counter++;
					next[w] = off[w];
					stack[sp++] = w;
					on[w] = 1;
					call[depth++] = w;
				} else if (on[w] && index[w] < low[v]) {
					low[v] = index[w];
				}
				continue;
			}
			// Every edge of v followed: close it.
			depth--;
			if (depth && low[v] < low[call[depth - 1]])
				low[call[depth - 1]] = low[v];
			if (low[v] == index[v]) {
				size_t w;
				do {
					w = stack[--sp];
					on[w] = 0;
					comp[w] = nc;
				} while (w != v);
				nc++;
			}
		}
	}
	free(index), free(low), free(stack), free(call), free(next), free(on);
	*ncomp = nc;
	return NULL;
}
