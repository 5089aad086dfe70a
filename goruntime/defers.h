// SPDX-License-Identifier: Apache-2.0
/* defers.h: private to goruntime/defers.c and goruntime/panics.c — the panic
 * reader that defers.c drives goroutine by goroutine. */
#ifndef GOCORONER_GORUNTIME_DEFERS_H
#define GOCORONER_GORUNTIME_DEFERS_H

#include "goruntime/internal.h"

/** Probed layouts and caches for reading g._panic lists (goruntime/panics.c). */
struct gr_panics;

/** Probe the _panic and type-descriptor layouts; never fails but for memory. */
struct util_error *gr_panics_init(struct gr_reader *r, struct gr_panics **ret);
void gr_panics_free(struct gr_panics *p);

/**
 * Append the panics of goroutine G, from the _panic at FIRST along link, to
 * *VEC (innermost first, seq from 0). Unreadable records become diagnostics.
 */
struct util_error *gr_panics_read(struct gr_panics *p, const struct gr_goroutine *g,
				  uint64_t first, struct gr_panic **vec, size_t *n, size_t *cap);

#endif
