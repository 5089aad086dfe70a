// SPDX-License-Identifier: Apache-2.0
// waits.c: who waits on what — channels and their queues, sync primitives and
// semaphores — for every goroutine of a snapshot. The channel part lives here
// (g.waiting → sudog → hchan, cross-checked against the channels' own queues);
// semaphores and sync primitives are in waits-sync.c.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "goruntime/waits.h"

enum {
	MAX_QUEUE = 1000000,          /* sudogs walked in one waitq */
	MAX_TOTAL_QUEUED = 8000000,   /* sudogs walked in all waitqs together */
	MAX_WAITLINK = 65537,         /* a select has at most 65536 cases */
	MAX_TYPE_NAME = 4096,
	RELEASE_EVERY = 256,          /* reads far apart between core_release_pages */
};

void gr_waits_diag(struct gr_waits *w, enum gr_waits_diag_kind kind, const char *severity,
		   const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	gr_vdiag_capped(w->r->snap, &w->diags[kind], severity, fmt, ap);
	va_end(ap);
}

/* ---- Layouts -------------------------------------------------------------- */

/*
 * The offset of a pointer-sized field that Go 1.26 wrapped in
 * maybeTraceablePtr{vp, vu} (sudog.elem) or in maybeTraceableChan, which
 * embeds one (sudog.c): the word to read is vu, the source of truth (vp may be
 * hidden from the GC for goroutine-leak detection, runtime2.go).
 */
static uint64_t maybe_traceable(struct gr_waits *w, const char *type, const char *field)
{
	char path[64];
	snprintf(path, sizeof(path), "%s.vu", field);
	uint64_t off = gr_member(w->r->bin, type, path);
	if (off == GR_ABSENT) {
		snprintf(path, sizeof(path), "%s.maybeTraceablePtr.vu", field);
		off = gr_member(w->r->bin, type, path);
	}
	if (off != GR_ABSENT)
		return off;
	return gr_member(w->r->bin, type, field); // Go 1.19-1.25: a plain pointer
}

/* Probe what the channel reader needs; false if the runtime lacks it. */
static bool probe_chans(struct gr_waits *w)
{
	struct gr_waits_layout *l = &w->l;
	const char *SG = "runtime.sudog", *HC = "runtime.hchan";
	l->g_waiting = gr_member(w->r->bin, "runtime.g", "waiting");
	struct util_error *err = dw_type_size(w->r->bin, SG, &l->sg_size);
	if (!err)
		err = dw_type_size(w->r->bin, HC, &l->hc_size);
	if (err) {
		gr_waits_diag(w, WD_LAYOUT, "warning", "no channel waits: %s", err->message);
		util_error_destroy(err);
		return false;
	}
	l->sg_g = gr_member(w->r->bin, SG, "g");
	l->sg_next = gr_member(w->r->bin, SG, "next");
	l->sg_prev = gr_member(w->r->bin, SG, "prev");
	l->sg_waitlink = gr_member(w->r->bin, SG, "waitlink");
	l->sg_is_select = gr_member(w->r->bin, SG, "isSelect");
	// Go 1.26: sudog.elem became maybeTraceablePtr, sudog.c maybeTraceableChan.
	l->sg_elem = maybe_traceable(w, SG, "elem");
	l->sg_c = maybe_traceable(w, SG, "c");
	l->hc_qcount = gr_member(w->r->bin, HC, "qcount");
	l->hc_dataqsiz = gr_member(w->r->bin, HC, "dataqsiz");
	l->hc_closed = gr_member(w->r->bin, HC, "closed");
	l->hc_elemtype = gr_member(w->r->bin, HC, "elemtype");
	l->hc_recvq = gr_member(w->r->bin, HC, "recvq.first");
	l->hc_sendq = gr_member(w->r->bin, HC, "sendq.first");
	l->hc_timer = gr_member(w->r->bin, HC, "timer"); // Go 1.23+: timer channels
	const struct {
		uint64_t off, width, size;
	} need[] = {
		{l->g_waiting, 8, w->r->layout.g_size},
		{l->sg_g, 8, l->sg_size},       {l->sg_next, 8, l->sg_size},
		{l->sg_prev, 8, l->sg_size},    {l->sg_waitlink, 8, l->sg_size},
		{l->sg_is_select, 1, l->sg_size}, {l->sg_elem, 8, l->sg_size},
		{l->sg_c, 8, l->sg_size},       {l->hc_qcount, 8, l->hc_size},
		{l->hc_dataqsiz, 8, l->hc_size}, {l->hc_closed, 4, l->hc_size},
		{l->hc_elemtype, 8, l->hc_size}, {l->hc_recvq, 8, l->hc_size},
		{l->hc_sendq, 8, l->hc_size},
	};
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (need[i].off == GR_ABSENT || need[i].off + need[i].width > need[i].size) {
			gr_waits_diag(w, WD_LAYOUT, "warning",
				      "no channel waits: runtime.g/sudog/hchan lack a field (#%zu)", i);
			return false;
		}
	}
	if (l->hc_timer != GR_ABSENT && l->hc_timer + 8 > l->hc_size)
		l->hc_timer = GR_ABSENT;
	return true;
}

/* ---- Reading ---------------------------------------------------------------- */

void gr_waits_note_read(struct gr_waits *w, uint64_t addr)
{
	// A fault maps a whole folio of the core file (often 64 KiB or more), so
	// count reads in another 64 KiB than the previous one.
	if (addr >> 16 == w->last_region)
		return;
	w->last_region = addr >> 16;
	if (++w->reads >= RELEASE_EVERY) {
		core_release_pages(w->r->core);
		w->reads = 0;
	}
}

bool gr_waits_read_sudog(struct gr_waits *w, uint64_t addr, struct gr_sudog *s)
{
	const struct gr_waits_layout *l = &w->l;
	gr_waits_note_read(w, addr);
	struct util_error *err = core_read(w->r->core, addr, w->sgbuf, l->sg_size);
	if (err) {
		util_error_destroy(err);
		return false;
	}
	*s = (struct gr_sudog){
		.addr = addr,
		.g = gr_rd64(w->sgbuf, l->sg_g),
		.next = gr_rd64(w->sgbuf, l->sg_next),
		.prev = gr_rd64(w->sgbuf, l->sg_prev),
		.waitlink = gr_rd64(w->sgbuf, l->sg_waitlink),
		.elem = gr_rd64(w->sgbuf, l->sg_elem),
		.c = gr_rd64(w->sgbuf, l->sg_c),
		.is_select = w->sgbuf[l->sg_is_select] != 0,
	};
	// Remembered for the heap marking, which must not trace through sudogs.
	struct gr_reader *r = w->r;
	if (r->nsudog_addrs == r->sudog_addrs_cap) {
		size_t ncap = r->sudog_addrs_cap ? 2 * r->sudog_addrs_cap : 256;
		uint64_t *p = realloc(r->sudog_addrs, ncap * sizeof(*p));
		if (p) {
			r->sudog_addrs = p;
			r->sudog_addrs_cap = ncap;
		}
	}
	if (r->nsudog_addrs < r->sudog_addrs_cap)
		r->sudog_addrs[r->nsudog_addrs++] = addr;
	return true;
}

/*
 * A sudog through the cache: a goroutine's own sudogs are read once, in
 * address order (read_chan_waits), and found again in the channels' queues.
 * *OK is false when the core does not hold it.
 */
static struct util_error *get_sudog(struct gr_waits *w, uint64_t addr, struct gr_sudog *s,
				    bool *ok)
{
	uint64_t i;
	*ok = true;
	if (util_u64map_get(&w->sudog_index, addr, &i)) {
		*s = w->sudogs[i];
		return NULL;
	}
	if (!gr_waits_read_sudog(w, addr, s)) {
		*ok = false;
		return NULL;
	}
	struct util_error *err = util_grow_mapped((void **)&w->sudogs, w->nsudogs, &w->sudogs_cap,
						  sizeof(*w->sudogs), 1024);
	if (!err)
		err = util_u64map_put(&w->sudog_index, addr, w->nsudogs);
	if (!err)
		w->sudogs[w->nsudogs++] = *s;
	return err;
}

/* Walk one of a channel's queues, recording each sudog's place in it. */
static struct util_error *walk_queue(struct gr_waits *w, uint64_t chan_addr, uint32_t ci,
				     uint64_t first, bool send, uint32_t *len)
{
	uint64_t s = first, prev = 0;
	int32_t pos = 0;
	*len = 0;
	while (s) {
		uint64_t seen;
		if (util_u64map_get(&w->queued_index, s, &seen)) {
			gr_waits_diag(w, WD_CHANNEL, "warning",
				      "chan 0x%llx: %s queue reaches sudog 0x%llx twice (a loop, or "
				      "a sudog in two queues); walk stopped after %d",
				      (unsigned long long)chan_addr, send ? "send" : "receive",
				      (unsigned long long)s, pos);
			break;
		}
		if (pos >= MAX_QUEUE || w->nqueued >= MAX_TOTAL_QUEUED) {
			gr_waits_diag(w, WD_CHANNEL, "warning",
				      "chan 0x%llx: %s queue longer than %d sudogs (or too many "
				      "in all); rest ignored",
				      (unsigned long long)chan_addr, send ? "send" : "receive", pos);
			break;
		}
		struct gr_sudog sg;
		bool ok;
		struct util_error *err = get_sudog(w, s, &sg, &ok);
		if (err)
			return err;
		if (!ok) {
			gr_waits_diag(w, WD_CHANNEL, "warning",
				      "chan 0x%llx: %s queue: sudog 0x%llx is not in the core",
				      (unsigned long long)chan_addr, send ? "send" : "receive",
				      (unsigned long long)s);
			break;
		}
		if (sg.prev != prev)
			gr_waits_diag(w, WD_CHANNEL, "warning",
				      "chan 0x%llx: %s queue: sudog 0x%llx has prev 0x%llx, not 0x%llx",
				      (unsigned long long)chan_addr, send ? "send" : "receive",
				      (unsigned long long)s, (unsigned long long)sg.prev,
				      (unsigned long long)prev);
		err = util_grow_mapped((void **)&w->queued, w->nqueued, &w->queued_cap, sizeof(*w->queued),
				       1024);
		if (!err)
			err = util_u64map_put(&w->queued_index, s, w->nqueued);
		if (err)
			return err;
		w->queued[w->nqueued++] = (struct gr_queued){
			.sudog = s, .g = sg.g, .chan = ci, .pos = pos, .send = send,
		};
		pos++;
		prev = s;
		s = sg.next;
	}
	*len = (uint32_t)pos;
	return NULL;
}

/* The channel at ADDR, read (and its queues walked) the first time it is met. */
static struct util_error *get_channel(struct gr_waits *w, uint64_t addr, uint32_t *ret)
{
	uint64_t v;
	if (util_u64map_get(&w->chan_index, addr, &v)) {
		*ret = (uint32_t)v;
		return NULL;
	}
	const struct gr_waits_layout *l = &w->l;
	struct util_error *err = util_grow((void **)&w->chans, w->nchans, &w->chans_cap, sizeof(*w->chans), 64);
	if (!err)
		err = util_u64map_put(&w->chan_index, addr, w->nchans);
	if (err)
		return err;
	uint32_t ci = (uint32_t)w->nchans++;
	*ret = ci;
	struct gr_channel *c = &w->chans[ci];
	*c = (struct gr_channel){.addr = addr};
	unsigned char *buf = malloc(l->hc_size);
	if (!buf)
		return &util_enomem;
	gr_waits_note_read(w, addr);
	err = core_read(w->r->core, addr, buf, l->hc_size);
	if (err) {
		gr_waits_diag(w, WD_CHANNEL, "warning", "chan 0x%llx: %s", (unsigned long long)addr,
			      err->message);
		util_error_destroy(err);
		free(buf);
		return NULL;
	}
	c->cap = gr_rd64(buf, l->hc_dataqsiz);
	c->len = gr_rd64(buf, l->hc_qcount);
	uint32_t closed;
	memcpy(&closed, buf + l->hc_closed, 4);
	c->closed = closed != 0;
	c->is_timer = l->hc_timer != GR_ABSENT && gr_rd64(buf, l->hc_timer) != 0;
	if (c->is_timer) {
		// A synchronous timer channel (Go 1.23+) is buffered underneath but
		// len() and cap() report 0 (runtime/chan.go chanlen, chancap).
		c->cap = c->len = 0;
	} else if (c->len > c->cap) {
		gr_waits_diag(w, WD_CHANNEL, "warning", "chan 0x%llx: %llu elements in a buffer of %llu",
			      (unsigned long long)addr, (unsigned long long)c->len,
			      (unsigned long long)c->cap);
	}
	uint64_t elemtype = gr_rd64(buf, l->hc_elemtype), recvq = gr_rd64(buf, l->hc_recvq),
		 sendq = gr_rd64(buf, l->hc_sendq);
	free(buf);
	const char *name = gr_type_name(w->r, elemtype);
	c = &w->chans[ci];
	c->elem_type = name;
	if (!name)
		gr_waits_diag(w, WD_CHANNEL, "info", "chan 0x%llx: element type 0x%llx not named",
			      (unsigned long long)addr, (unsigned long long)elemtype);
	uint32_t n;
	err = walk_queue(w, addr, ci, recvq, false, &n);
	if (err)
		return err;
	w->chans[ci].recv_waiters = n;
	err = walk_queue(w, addr, ci, sendq, true, &n);
	if (err)
		return err;
	w->chans[ci].send_waiters = n;
	return NULL;
}

/*
 * A word read from a frame variable that may be a channel: list it if it is
 * one already, else only if the hchan there looks like one — readable,
 * qcount <= dataqsiz, closed 0 or 1, elemtype a runtime type we can name —
 * since a stale or optimized-away slot can hold anything. Rejections are
 * remembered.
 */
struct util_error *gr_waits_frame_channel(struct gr_waits *w, uint64_t addr, bool *added)
{
	uint64_t v;
	*added = false;
	if (!addr || (addr & 7) || util_u64map_get(&w->chan_index, addr, &v) ||
	    util_u64map_get(&w->chan_rejected, addr, &v))
		return NULL;
	const struct gr_waits_layout *l = &w->l;
	unsigned char *buf = malloc(l->hc_size);
	if (!buf)
		return &util_enomem;
	gr_waits_note_read(w, addr);
	struct util_error *err = core_read(w->r->core, addr, buf, l->hc_size);
	bool ok = !err;
	util_error_destroy(err);
	err = NULL;
	const char *name = NULL;
	if (ok) {
		uint64_t qcount = gr_rd64(buf, l->hc_qcount), dataqsiz = gr_rd64(buf, l->hc_dataqsiz);
		uint32_t closed;
		memcpy(&closed, buf + l->hc_closed, 4);
		uint64_t elemtype = gr_rd64(buf, l->hc_elemtype);
		ok = qcount <= dataqsiz && dataqsiz < ((uint64_t)1 << 40) && closed <= 1 &&
		     elemtype && elemtype >= w->r->types.types && elemtype < w->r->types.etypes;
		if (ok)
			name = gr_type_name(w->r, elemtype);
		ok = ok && name;
	}
	free(buf);
	if (err)
		return err;
	if (!ok)
		return util_u64map_put(&w->chan_rejected, addr, 1);
	uint32_t ci;
	*added = true;
	return get_channel(w, addr, &ci);
}

/* One sudog of goroutine GI's g.waiting that names a channel. */
static struct util_error *chan_wait(struct gr_waits *w, size_t gi, const struct gr_sudog *sg)
{
	const struct gr_goroutine *g = &w->r->snap->goroutines[gi];
	uint32_t ci;
	struct util_error *err = get_channel(w, sg->c, &ci);
	if (err)
		return err;
	struct gr_chan_wait cw = {
		.goid = g->goid, .chan_addr = sg->c, .in_select = sg->is_select, .queue_pos = -1,
	};
	uint64_t qi;
	if (util_u64map_get(&w->queued_index, sg->addr, &qi) && w->queued[qi].owned) {
		gr_waits_diag(w, WD_CHANWAIT, "warning",
			      "goroutine %llu: sudog 0x%llx is on the g.waiting of another goroutine too",
			      (unsigned long long)g->goid, (unsigned long long)sg->addr);
		return NULL;
	}
	if (util_u64map_get(&w->queued_index, sg->addr, &qi) && w->queued[qi].chan == ci) {
		struct gr_queued *q = &w->queued[qi];
		q->owned = true;
		cw.send = q->send;
		cw.queue_pos = q->pos;
		if (q->g != g->g_addr)
			gr_waits_diag(w, WD_CHANWAIT, "warning",
				      "goroutine %llu: its sudog 0x%llx in chan 0x%llx's queue names "
				      "g 0x%llx",
				      (unsigned long long)g->goid, (unsigned long long)sg->addr,
				      (unsigned long long)sg->c, (unsigned long long)q->g);
	} else {
		// Not queued: the goroutine is being woken, or the data is stale.
		// The wait reason still tells a plain send from a receive.
		const char *why = g->wait_reason ? g->wait_reason : "";
		cw.send = strncmp(why, "chan send", 9) == 0;
		gr_waits_diag(w, WD_CHANWAIT, "warning",
			      "goroutine %llu [%s]: sudog 0x%llx is in neither queue of chan 0x%llx; "
			      "position unknown%s",
			      (unsigned long long)g->goid, why, (unsigned long long)sg->addr,
			      (unsigned long long)sg->c,
			      sg->is_select ? ", direction unknown (recorded as recv)" : "");
	}
	// A select may name one channel in two cases of the same direction: one row.
	for (size_t i = w->ncws; i-- > 0 && w->cws[i].goid == g->goid;) {
		struct gr_chan_wait *o = &w->cws[i];
		if (o->chan_addr == cw.chan_addr && o->send == cw.send) {
			if (cw.queue_pos >= 0 && (o->queue_pos < 0 || cw.queue_pos < o->queue_pos))
				o->queue_pos = cw.queue_pos;
			return NULL;
		}
	}
	err = util_grow_mapped((void **)&w->cws, w->ncws, &w->cws_cap, sizeof(*w->cws), 1024);
	if (err)
		return err;
	w->cws[w->ncws++] = cw;
	return NULL;
}

/* Walk goroutine GI's g.waiting list S: channel waits, and semaphores (Go 1.26+). */
static struct util_error *read_waiting(struct gr_waits *w, size_t gi, uint64_t s)
{
	const struct gr_goroutine *g = &w->r->snap->goroutines[gi];
	struct util_error *err;
	// Brent's cycle check: the list is short, a map per goroutine would cost more.
	uint64_t tortoise = 0, power = 1, lam = 0;
	for (size_t n = 0; s; n++) {
		if (s == tortoise) {
			gr_waits_diag(w, WD_CHANWAIT, "warning",
				      "goroutine %llu: g.waiting loops at sudog 0x%llx",
				      (unsigned long long)g->goid, (unsigned long long)s);
			break;
		}
		if (++lam == power) {
			tortoise = s;
			power *= 2;
			lam = 0;
		}
		if (n == MAX_WAITLINK) {
			gr_waits_diag(w, WD_CHANWAIT, "warning",
				      "goroutine %llu: more than %d sudogs on g.waiting; rest ignored",
				      (unsigned long long)g->goid, MAX_WAITLINK);
			break;
		}
		struct gr_sudog sg;
		bool ok;
		err = get_sudog(w, s, &sg, &ok);
		if (err)
			return err;
		if (!ok) {
			gr_waits_diag(w, WD_CHANWAIT, "warning",
				      "goroutine %llu: sudog 0x%llx on g.waiting is not in the core",
				      (unsigned long long)g->goid, (unsigned long long)s);
			break;
		}
		if (sg.g != g->g_addr)
			gr_waits_diag(w, WD_CHANWAIT, "warning",
				      "goroutine %llu: sudog 0x%llx on its g.waiting names g 0x%llx",
				      (unsigned long long)g->goid, (unsigned long long)s,
				      (unsigned long long)sg.g);
		if (!sg.c) {
			// Go 1.26+: a semaphore or notifyList wait (sema.go sets
			// g.waiting so leak detection can trace the address). Its
			// waitlink chains the other waiters on the same address.
			if (n == 0)
				w->sema_of[gi] = sg.elem;
			else
				gr_waits_diag(w, WD_CHANWAIT, "warning",
					      "goroutine %llu: sudog 0x%llx without a channel "
					      "after channel waits on g.waiting",
					      (unsigned long long)g->goid, (unsigned long long)s);
			break;
		}
		err = chan_wait(w, gi, &sg);
		if (err)
			return err;
		s = sg.waitlink;
	}
	return NULL;
}

struct util_error *gr_waits_index_gs(struct gr_waits *w)
{
	const struct gr_snapshot *snap = w->r->snap;
	if (w->g_indexed)
		return NULL;
	for (size_t k = 0; k < snap->ngoroutines; k++) {
		struct util_error *err = util_u64map_put(&w->g_index, snap->goroutines[k].g_addr, k);
		if (err)
			return err;
	}
	w->g_indexed = true;
	return NULL;
}

/* Every sudog in a channel queue must be on its goroutine's g.waiting. */
static struct util_error *cross_check_queues(struct gr_waits *w)
{
	const struct gr_snapshot *snap = w->r->snap;
	for (size_t i = 0; i < w->nqueued; i++) {
		const struct gr_queued *q = &w->queued[i];
		if (q->owned)
			continue;
		struct util_error *err = gr_waits_index_gs(w);
		if (err)
			return err;
		uint64_t gi;
		unsigned long long chan = w->chans[q->chan].addr;
		const char *dir = q->send ? "send" : "receive";
		if (!util_u64map_get(&w->g_index, q->g, &gi)) {
			gr_waits_diag(w, WD_CHANWAIT, "warning",
				      "chan 0x%llx: sudog 0x%llx at %s position %d names g 0x%llx, "
				      "not a live goroutine",
				      chan, (unsigned long long)q->sudog, dir, q->pos,
				      (unsigned long long)q->g);
			continue;
		}
		const struct gr_goroutine *g = &snap->goroutines[gi];
		bool waiting = gr_goroutine_parked(w->r, g);
		// A select woken by another case stays queued on its other
		// channels until it runs again: normal for a runnable goroutine.
		gr_waits_diag(w, WD_CHANWAIT, waiting ? "warning" : "info",
			      "chan 0x%llx: goroutine %llu [%s] is at %s position %d (sudog 0x%llx) "
			      "but not on its g.waiting",
			      chan, (unsigned long long)g->goid,
			      g->wait_reason ? g->wait_reason : g->status_name, dir, q->pos,
			      (unsigned long long)q->sudog);
	}
	return NULL;
}

/* Copy a malloc'd array into the snapshot's arena. */
static struct util_error *publish(struct gr_snapshot *s, const void *src, size_t n, size_t size,
				  void **dst)
{
	*dst = NULL;
	if (!n)
		return NULL;
	void *p = util_arena_alloc(&s->arena, n * size);
	if (!p)
		return &util_enomem;
	memcpy(p, src, n * size);
	*dst = p;
	return NULL;
}

struct addr_index {
	uint64_t addr;
	size_t gi;
};

static int cmp_addr_index(const void *a, const void *b)
{
	const struct addr_index *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/*
 * The channel waits of every waiting goroutine. Scattered reads of a mapped
 * core cost a page fault each once its pages are released (and they must be,
 * for a big core's sake), so read in address order: each waiting goroutine's
 * g.waiting by g, then those sudogs by address into the cache, then walk the
 * lists — the channels' queues mostly hold the sudogs already read.
 */
static struct util_error *read_chan_waits(struct gr_waits *w)
{
	struct gr_reader *r = w->r;
	const struct gr_snapshot *snap = r->snap;
	struct addr_index *ord = malloc((snap->ngoroutines ? snap->ngoroutines : 1) * sizeof(*ord));
	uint64_t *waiting = calloc(snap->ngoroutines ? snap->ngoroutines : 1, sizeof(*waiting));
	struct util_error *err = NULL;
	if (!ord || !waiting) {
		err = &util_enomem;
		goto out;
	}
	size_t n = 0;
	for (size_t i = 0; i < snap->ngoroutines; i++)
		if (gr_goroutine_parked(r, &snap->goroutines[i]))
			ord[n++] = (struct addr_index){snap->goroutines[i].g_addr, i};
	qsort(ord, n, sizeof(*ord), cmp_addr_index);
	size_t m = 0;
	for (size_t k = 0; k < n; k++) {
		err = gr_g_word(r, &snap->goroutines[ord[k].gi], w->l.g_waiting, &waiting[ord[k].gi]);
		if (err) { // the goroutine itself was read: not expected
			util_error_destroy(err);
			err = NULL;
		} else if (waiting[ord[k].gi]) {
			ord[m++] = (struct addr_index){waiting[ord[k].gi], ord[k].gi};
		}
	}
	qsort(ord, m, sizeof(*ord), cmp_addr_index);
	for (size_t k = 0; k < m && !err; k++) {
		struct gr_sudog sg;
		bool ok;
		err = get_sudog(w, ord[k].addr, &sg, &ok);
	}
	for (size_t i = 0; i < snap->ngoroutines && !err; i++)
		if (waiting[i])
			err = read_waiting(w, i, waiting[i]);
out:
	free(ord);
	free(waiting);
	return err;
}

static struct util_error *read_all(struct gr_waits *w)
{
	struct gr_reader *r = w->r;
	struct gr_snapshot *snap = r->snap;
	w->sema_of = calloc(snap->ngoroutines ? snap->ngoroutines : 1, sizeof(*w->sema_of));
	if (!w->sema_of)
		return &util_enomem;
	w->chans_ok = probe_chans(w);
	if (w->chans_ok) {
		w->sgbuf = malloc(w->l.sg_size);
		if (!w->sgbuf)
			return &util_enomem;
		struct util_error *err = read_chan_waits(w);
		if (!err)
			err = gr_waits_frame_chans(w);
		if (!err)
			err = cross_check_queues(w);
		if (err)
			return err;
	}
	gr_waits_probe_sync(w);
	return gr_waits_sync(w);
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_chan_wait(const void *a, const void *b)
{
	const struct gr_chan_wait *x = a, *y = b;
	int c = cmp_u64(x->goid, y->goid);
	if (!c)
		c = cmp_u64(x->chan_addr, y->chan_addr);
	return c ? c : (int)x->send - (int)y->send;
}

static int cmp_sync_wait(const void *a, const void *b)
{
	const struct gr_sync_wait *x = a, *y = b;
	return cmp_u64(x->goid, y->goid);
}

/*
 * sync_wait.ctx_addr: waits on the mu of a decoded cancelCtx (or one
 * embedded in a timerCtx/afterFuncCtx). Each context's mu is looked up
 * among the few addresses waited on, not the other way round: a debug
 * build's core has hundreds of thousands of contexts and a few thousand
 * sync waits.
 */
struct util_error *gr_waits_context_locks(struct gr_reader *r)
{
	struct gr_snapshot *s = r->snap;
	uint64_t mu;
	if (!s->nsync_waits || !s->ncontexts)
		return NULL;
	struct util_error *err = dw_member_offset(r->bin, "context.cancelCtx", "mu", &mu);
	if (err) {
		util_error_destroy(err);
		return NULL;
	}
	static const struct {
		uint8_t kind;
		const char *type;
	} embeds[] = {{GR_CTXK_CANCEL, NULL}, {GR_CTXK_TIMER, "context.timerCtx"},
		      {GR_CTXK_AFTER_FUNC, "context.afterFuncCtx"}};
	enum { NEMBEDS = sizeof(embeds) / sizeof(embeds[0]) };
	// Where each kind keeps its cancelCtx; false where the binary has no such type.
	uint64_t off[NEMBEDS] = {0};
	bool has[NEMBEDS];
	for (size_t k = 0; k < NEMBEDS; k++) {
		has[k] = true;
		if (embeds[k].type) {
			struct util_error *e = dw_member_offset(r->bin, embeds[k].type, "cancelCtx", &off[k]);
			if (e) {
				util_error_destroy(e);
				has[k] = false;
			}
		}
	}
	struct util_u64map waited, by_mu;
	util_u64map_init(&waited);
	util_u64map_init(&by_mu);
	for (size_t i = 0; !err && i < s->nsync_waits; i++)
		err = util_u64map_put(&waited, s->sync_waits[i].addr, 1);
	for (size_t i = 0; !err && i < s->ncontexts; i++) {
		const struct gr_context *c = &s->contexts[i];
		uint64_t v;
		for (size_t k = 0; !err && k < NEMBEDS; k++) {
			if (!has[k] || c->kind != embeds[k].kind)
				continue;
			uint64_t at = c->addr + off[k] + mu;
			if (util_u64map_get(&waited, at, &v))
				err = util_u64map_put(&by_mu, at, c->addr);
		}
	}
	for (size_t i = 0; !err && i < s->nsync_waits; i++) {
		uint64_t ctx;
		if (util_u64map_get(&by_mu, s->sync_waits[i].addr, &ctx))
			s->sync_waits[i].ctx_addr = ctx;
	}
	util_u64map_deinit(&waited);
	util_u64map_deinit(&by_mu);
	return err;
}

struct util_error *gr_read_waits(struct gr_reader *r)
{
	struct gr_waits w = {
		.r = r,
		.diags = {
			[WD_CHANWAIT] = GR_DIAG_CAP("chanwait", GR_DIAG_MAX),
			[WD_CHANNEL] = GR_DIAG_CAP("channel", GR_DIAG_MAX),
			[WD_SYNCWAIT] = GR_DIAG_CAP("syncwait", GR_DIAG_MAX),
			[WD_SEMTABLE] = GR_DIAG_CAP("semtable", GR_DIAG_MAX),
			[WD_LAYOUT] = GR_DIAG_CAP("waits", GR_DIAG_MAX),
		},
	};
	util_u64map_init(&w.g_index);
	util_u64map_init(&w.chan_index);
	util_u64map_init(&w.chan_rejected);
	util_u64map_init(&w.queued_index);
	util_u64map_init(&w.sudog_index);
	struct util_error *err = read_all(&w);
	struct gr_snapshot *s = r->snap;
	// By goroutine id (then channel), the order of the tables' primary
	// keys: listings read naturally and the rows go in cheaply.
	if (w.ncws)
		qsort(w.cws, w.ncws, sizeof(*w.cws), cmp_chan_wait);
	if (w.nsws)
		qsort(w.sws, w.nsws, sizeof(*w.sws), cmp_sync_wait);
	if (!err)
		err = publish(s, w.chans, w.nchans, sizeof(*w.chans), (void **)&s->channels);
	if (!err)
		err = publish(s, w.cws, w.ncws, sizeof(*w.cws), (void **)&s->chan_waits);
	if (!err)
		err = publish(s, w.sws, w.nsws, sizeof(*w.sws), (void **)&s->sync_waits);
	if (!err) {
		s->nchannels = w.nchans;
		s->nchan_waits = w.ncws;
		s->nsync_waits = w.nsws;
	}
	for (size_t k = 0; k < WD_KINDS; k++)
		gr_diag_cap_flush(s, &w.diags[k]);
	core_release_pages(r->core);
	free(w.sgbuf);
	free(w.chans);
	util_unmap_array(w.cws, w.cws_cap, sizeof(*w.cws));
	util_unmap_array(w.queued, w.queued_cap, sizeof(*w.queued));
	util_unmap_array(w.sudogs, w.sudogs_cap, sizeof(*w.sudogs));
	free(w.sema_of);
	free(w.sws);
	util_u64map_deinit(&w.g_index);
	util_u64map_deinit(&w.chan_index);
	util_u64map_deinit(&w.chan_rejected);
	util_u64map_deinit(&w.queued_index);
	util_u64map_deinit(&w.sudog_index);
	return err;
}
