/* defers.h: private to goruntime/defers.c and goruntime/panics.c — the panic
 * reader that defers.c drives goroutine by goroutine. */
#ifndef GOCORONER_GORUNTIME_DEFERS_H
#define GOCORONER_GORUNTIME_DEFERS_H

#include "goruntime/internal.h"

/** At most this many _defer or _panic records per goroutine (a longer list is garbage or a cycle). */
#define GR_MAX_RECORDS 100000

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

/**
 * The runtime type descriptor at TYPE (shared with the context reader): its
 * name as %T prints it, its DWARF name (NULL if none), abi.Kind and whether
 * values are stored directly in an interface's data word. False if unknown.
 */
bool gr_panics_type(struct gr_panics *p, uint64_t type, const char **name, const char **dwarf,
		    uint8_t *kind, bool *direct);
/** The interface value (TYPE, DATA) as a panic message prints it; NULL if unreadable. */
const char *gr_panics_render(struct gr_panics *p, uint64_t type, uint64_t data);

/** core_read that only says whether it worked (the error is dropped). */
static inline bool gr_read_ok(struct core_file *core, uint64_t addr, void *buf, size_t len)
{
	struct util_error *err = core_read(core, addr, buf, len);
	util_error_destroy(err);
	return !err;
}

/**
 * Brent's cycle detection over a linked list: call with each node in turn;
 * true when NODE was seen before. Start with a zeroed struct.
 */
struct gr_cycle {
	uint64_t saved;
	uint64_t power, steps;
};

static inline bool gr_cycle_step(struct gr_cycle *c, uint64_t node)
{
	if (c->steps && node == c->saved)
		return true;
	if (++c->steps >= c->power) {
		c->power = c->power ? c->power * 2 : 2;
		c->steps = 0;
		c->saved = node;
	}
	return false;
}

#endif
