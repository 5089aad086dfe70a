// stackcopy.c: each goroutine's live stack, copied once while the goroutines
// are read, for the unwinder and the context passes that read every stack.
//
// The unwinder reads a goroutine's live stack, and then three context passes
// read it again (the DWARF variables, the scan for interface words, the scan
// for bare context pointers). A live stack is mostly far smaller than the
// pages it lies on (about 1 KiB of an 8 KiB stack on the 100,000-goroutine
// benchmark core), so the copies of all of them take a fraction of the
// memory their pages would, and reading them faults nothing. Each copy is
// made before the goroutine is unwound, straight from the core file
// (core_read_once), and lent to the core reader (core_pin) while the
// unwinder runs: the stack pages are never mapped. Mapped, they were 390 MiB
// of that core, which had to be dropped over and over to keep memory flat,
// and with them the heap pages every later pass read again.
// The copies go into one anonymous region asked for in huge pages, so
// filling it takes a few dozen faults, not one per 4 KiB.
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "goruntime/internal.h"

void gr_stacks_init(struct gr_stacks *st)
{
	memset(st, 0, sizeof(*st));
}

void gr_stacks_reserve(struct gr_stacks *st, size_t ngoroutines)
{
	// The copies only spare work: without memory for them, none are made.
	st->by_g = calloc(ngoroutines ? ngoroutines : 1, sizeof(*st->by_g));
	if (!st->by_g)
		return;
	st->n = ngoroutines;
	// Address space only: pages count once written.
	void *p = mmap(NULL, GR_STACKS_MAX, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return; // no copies: the passes read the core
#ifdef MADV_HUGEPAGE
	madvise(p, GR_STACKS_MAX, MADV_HUGEPAGE);
#endif
	st->base = p;
	st->cap = GR_STACKS_MAX;
}

void gr_stacks_fill(struct gr_stacks *st, struct core_file *core, uint64_t sp, uint64_t hi)
{
	st->pending = (struct gr_stack_copy){0};
	if (!st->base)
		return;
	uint64_t lo = sp & ~7ULL;
	if (hi <= lo)
		return;
	if (hi - lo > GR_STACK_COPY_MAX)
		hi = lo + GR_STACK_COPY_MAX;
	size_t len = (size_t)(hi - lo), at = (st->used + 7) & ~(size_t)7;
	if (at > st->cap || st->cap - at < len)
		return; // full: this one is read from the core
	struct util_error *err = core_read_once(core, lo, st->base + at, len);
	if (err) {
		util_error_destroy(err); // not all in the core: read as it comes
		return;
	}
	st->pending = (struct gr_stack_copy){.lo = lo, .len = len, .bytes = st->base + at};
	core_pin(core, lo, len, st->base + at);
}

void gr_stacks_take(struct gr_stacks *st, size_t gi, const struct gr_goroutine *g)
{
	struct gr_stack_copy c = st->pending;
	st->pending = (struct gr_stack_copy){0};
	if (!c.bytes || gi >= st->n)
		return;
	st->by_g[gi] = (struct gr_stack_copy){0};
	if (!g->nframes || !g->frame_sp)
		return;
	st->by_g[gi] = c;
	st->used = (size_t)(c.bytes - st->base) + c.len;
}

const unsigned char *gr_stacks_get(const struct gr_stacks *st, size_t gi, uint64_t addr, size_t len)
{
	if (gi >= st->n)
		return NULL;
	const struct gr_stack_copy *c = &st->by_g[gi];
	if (!c->bytes || addr < c->lo || addr - c->lo > c->len || len > c->len - (addr - c->lo))
		return NULL;
	return c->bytes + (addr - c->lo);
}

void gr_stacks_deinit(struct gr_stacks *st)
{
	if (st->base)
		munmap(st->base, st->cap);
	free(st->by_g);
	memset(st, 0, sizeof(*st));
}
