// SPDX-License-Identifier: Apache-2.0
// waits-sync.c: goroutines waiting on a sync primitive or a runtime semaphore
// — which Mutex, RWMutex, WaitGroup or Cond, by address. The semaphore address
// comes from g.waiting (Go 1.26+) or from runtime.semtable's treaps (earlier);
// a sync.Cond's notifyList, which no global table holds before Go 1.26, from a
// pointer on the waiter's own stack. The goroutine's frames tell which kind of
// primitive owns the semaphore.
#include <stdlib.h>
#include <string.h>

#include "goruntime/waits.h"

enum {
	MAX_SEMA_SUDOGS = 8000000,  /* sudogs walked in runtime.semtable */
	MAX_COND_WAITERS = 1000000, /* sudogs walked in one notifyList */
	MAX_SCAN_BYTES = 64 * 1024, /* stack scanned for a sync.Cond */
};

static uint64_t add(uint64_t a, uint64_t b)
{
	return a == GR_ABSENT || b == GR_ABSENT ? GR_ABSENT : a + b;
}

void gr_waits_probe_sync(struct gr_waits *w)
{
	struct gr_waits_layout *l = &w->l;
	struct dw_binary *bin = w->r->bin;
	// runtime.semtable: [semTabSize]struct{root semaRoot; pad [...]byte},
	// root first (sema.go, every release); the stride is the element size.
	uint64_t size = 0;
	int64_t count = 0;
	struct util_error *err = dw_variable(bin, "runtime.semtable", &l->semtable_addr, &size);
	if (!err)
		err = dw_constant(bin, "runtime.semTabSize", &count);
	if (err || count <= 0 || size % (uint64_t)count) {
		util_error_destroy(err);
		l->semtable_addr = GR_ABSENT;
	} else {
		l->semtable_count = (uint64_t)count;
		l->semtable_stride = size / (uint64_t)count;
	}
	l->semroot_treap = gr_member(w->r->bin, "runtime.semaRoot", "treap");
	if (l->semtable_addr != GR_ABSENT &&
	    (l->semroot_treap == GR_ABSENT || l->semroot_treap + 8 > l->semtable_stride))
		l->semtable_addr = GR_ABSENT;
	l->nl_head = gr_member(w->r->bin, "runtime.notifyList", "head");
	l->nl_tail = gr_member(w->r->bin, "runtime.notifyList", "tail");
	// Go 1.24 made sync.Mutex a wrapper of internal/sync.Mutex (field mu).
	l->mutex_sema = gr_member(w->r->bin, "sync.Mutex", "mu.sema");
	if (l->mutex_sema == GR_ABSENT)
		l->mutex_sema = gr_member(w->r->bin, "sync.Mutex", "sema");
	l->rw_w = gr_member(w->r->bin, "sync.RWMutex", "w");
	l->rw_writer_sem = gr_member(w->r->bin, "sync.RWMutex", "writerSem");
	l->rw_reader_sem = gr_member(w->r->bin, "sync.RWMutex", "readerSem");
	// Go 1.20 replaced WaitGroup{state1 uint64; state2 uint32} — whose
	// state2 is the semaphore when state1 is 8-byte aligned, always on
	// amd64 (waitgroup.go state()) — with {state atomic.Uint64; sema uint32}.
	l->wg_sema = gr_member(w->r->bin, "sync.WaitGroup", "sema");
	if (l->wg_sema == GR_ABSENT)
		l->wg_sema = gr_member(w->r->bin, "sync.WaitGroup", "state2");
	l->cond_notify = gr_member(w->r->bin, "sync.Cond", "notify");
}

/* The primitive a goroutine waits on, as its frames show it. */
enum prim { P_NONE, P_MUTEX, P_RW_W, P_RW_WRITER, P_RW_READER, P_WG, P_COND };

static const char *const prim_kind[] = {
	[P_NONE] = "semaphore",     [P_MUTEX] = "sync.Mutex",      [P_RW_W] = "sync.RWMutex",
	[P_RW_WRITER] = "sync.RWMutex", [P_RW_READER] = "sync.RWMutex", [P_WG] = "sync.WaitGroup",
	[P_COND] = "sync.Cond",
};

static bool is_mutex_frame(const char *f)
{
	// Go 1.24+: sync.(*Mutex).Lock calls internal/sync.(*Mutex).Lock/lockSlow.
	return strcmp(f, "sync.(*Mutex).Lock") == 0 || strcmp(f, "sync.(*Mutex).lockSlow") == 0 ||
	       strcmp(f, "internal/sync.(*Mutex).Lock") == 0 ||
	       strcmp(f, "internal/sync.(*Mutex).lockSlow") == 0;
}

/*
 * The innermost sync method among the goroutine's frames (below the first
 * frame outside runtime, sync and internal/sync). A Mutex.Lock called by
 * RWMutex.Lock is the writer waiting for the RWMutex's inner w Mutex.
 * *FRAME is the index of that method's frame.
 */
static enum prim classify_frames(const struct gr_goroutine *g, size_t *frame)
{
	for (size_t i = 0; i < g->nframes; i++) {
		const char *f = g->frames[i].func;
		if (!f)
			break;
		*frame = i;
		if (is_mutex_frame(f)) {
			size_t j = i + 1;
			while (j < g->nframes && g->frames[j].func && is_mutex_frame(g->frames[j].func))
				j++;
			if (j < g->nframes && g->frames[j].func &&
			    strcmp(g->frames[j].func, "sync.(*RWMutex).Lock") == 0)
				return P_RW_W;
			return P_MUTEX;
		}
		if (strcmp(f, "sync.(*RWMutex).RLock") == 0)
			return P_RW_READER;
		if (strcmp(f, "sync.(*RWMutex).Lock") == 0)
			return P_RW_WRITER;
		if (strcmp(f, "sync.(*WaitGroup).Wait") == 0)
			return P_WG;
		if (strcmp(f, "sync.(*Cond).Wait") == 0)
			return P_COND;
		if (strncmp(f, "runtime.", 8) != 0 && strncmp(f, "sync.", 5) != 0 &&
		    strncmp(f, "internal/sync.", 14) != 0)
			break;
	}
	return P_NONE;
}

/* What the wait reason says (Go 1.21+ names the primitive; 1.19 says "semacquire"). */
static enum prim classify_reason(const char *reason)
{
	if (!reason)
		return P_NONE;
	if (strcmp(reason, "sync.Mutex.Lock") == 0)
		return P_MUTEX;
	if (strcmp(reason, "sync.RWMutex.RLock") == 0)
		return P_RW_READER;
	if (strcmp(reason, "sync.RWMutex.Lock") == 0)
		return P_RW_WRITER;
	if (strncmp(reason, "sync.WaitGroup.Wait", 19) == 0) // also "... (durable)"
		return P_WG;
	if (strcmp(reason, "sync.Cond.Wait") == 0)
		return P_COND;
	return P_NONE;
}

static bool sema_reason(const char *reason)
{
	return reason && (strcmp(reason, "semacquire") == 0 || strncmp(reason, "sync.", 5) == 0);
}

/* Working state of gr_waits_sync. */
struct sync_state {
	struct gr_waits *w;
	struct util_u64map sema_by_g; /* g → semaphore address, from runtime.semtable */
	bool semtable_walked;
	struct util_u64map cond_by_g; /* g → notifyList address, from lists already walked */
	uint64_t *gs;                 /* scratch: the gs of one notifyList */
	size_t gs_cap;
};

static struct util_error *sema_record(struct sync_state *st, uint64_t g, uint64_t addr)
{
	uint64_t old;
	if (util_u64map_get(&st->sema_by_g, g, &old)) {
		if (old != addr)
			gr_waits_diag(st->w, WD_SEMTABLE, "warning",
				      "g 0x%llx waits on two semaphores, 0x%llx and 0x%llx",
				      (unsigned long long)g, (unsigned long long)old,
				      (unsigned long long)addr);
		return NULL;
	}
	return util_u64map_put(&st->sema_by_g, g, addr);
}

/*
 * Walk every semaRoot treap of runtime.semtable: tree nodes (children in
 * sudog.prev/next) are the distinct semaphore addresses (sudog.elem), each
 * with the other waiters on it chained through sudog.waitlink.
 */
static struct util_error *walk_semtable(struct sync_state *st)
{
	struct gr_waits *w = st->w;
	const struct gr_waits_layout *l = &w->l;
	st->semtable_walked = true;
	if (l->semtable_addr == GR_ABSENT) {
		gr_waits_diag(w, WD_SEMTABLE, "warning",
			      "runtime.semtable not found: semaphore waits are not resolved");
		return NULL;
	}
	struct util_u64map seen;
	util_u64map_init(&seen);
	size_t n = 0, cap = 64, total = 0;
	uint64_t *stack = malloc(cap * sizeof(*stack));
	if (!stack)
		return &util_enomem;
	struct util_error *err = NULL;
	for (uint64_t i = 0; i < l->semtable_count && !err; i++) {
		uint64_t root = l->semtable_addr + i * l->semtable_stride, t;
		err = core_read_u64(w->r->core, root + l->semroot_treap, &t);
		if (err) {
			gr_waits_diag(w, WD_SEMTABLE, "warning", "semtable[%llu]: %s",
				      (unsigned long long)i, err->message);
			util_error_destroy(err);
			err = NULL;
			continue;
		}
		n = 0;
		if (t)
			stack[n++] = t;
		while (n && !err) {
			uint64_t node = stack[--n];
			struct gr_sudog sg;
			for (uint64_t s = node, head_elem = 0; s && !err;) {
				if (util_u64map_get(&seen, s, NULL)) {
					gr_waits_diag(w, WD_SEMTABLE, "warning",
						      "semtable[%llu]: sudog 0x%llx reached twice",
						      (unsigned long long)i, (unsigned long long)s);
					break;
				}
				if (++total > MAX_SEMA_SUDOGS) {
					gr_waits_diag(w, WD_SEMTABLE, "warning",
						      "runtime.semtable holds more than %d sudogs; "
						      "rest ignored", MAX_SEMA_SUDOGS);
					goto out;
				}
				err = util_u64map_put(&seen, s, 1);
				if (err)
					break;
				if (!gr_waits_read_sudog(w, s, &sg)) {
					gr_waits_diag(w, WD_SEMTABLE, "warning",
						      "semtable[%llu]: sudog 0x%llx is not in the core",
						      (unsigned long long)i, (unsigned long long)s);
					break;
				}
				if (s == node) {
					head_elem = sg.elem;
					// The tree is keyed by address, hashed to its root.
					if ((sg.elem >> 3) % l->semtable_count != i)
						gr_waits_diag(w, WD_SEMTABLE, "warning",
							      "semtable[%llu]: sudog 0x%llx waits on "
							      "0x%llx, which belongs to another root",
							      (unsigned long long)i,
							      (unsigned long long)s,
							      (unsigned long long)sg.elem);
					for (int c = 0; c < 2; c++) {
						uint64_t child = c ? sg.next : sg.prev;
						if (!child)
							continue;
						if (n == cap) {
							uint64_t *ns = realloc(stack, 2 * cap * sizeof(*ns));
							if (!ns) {
								err = &util_enomem;
								break;
							}
							stack = ns;
							cap *= 2;
						}
						stack[n++] = child;
					}
				} else if (sg.elem != head_elem) {
					gr_waits_diag(w, WD_SEMTABLE, "warning",
						      "semtable[%llu]: sudog 0x%llx in the list of "
						      "0x%llx waits on 0x%llx",
						      (unsigned long long)i, (unsigned long long)s,
						      (unsigned long long)head_elem,
						      (unsigned long long)sg.elem);
				}
				if (!err && sg.g)
					err = sema_record(st, sg.g, head_elem);
				s = sg.waitlink;
			}
		}
	}
out:
	free(stack);
	util_u64map_deinit(&seen);
	return err;
}

/*
 * Whether the notifyList at NL queues goroutine GADDR: its head → next chain
 * (bounded, Brent's cycle check) must hold sudogs of live goroutines only —
 * so no longer than there are goroutines — contain one of GADDR and end at
 * its tail. If so, every goroutine queued there is remembered in cond_by_g.
 */
static struct util_error *notify_list_has(struct sync_state *st, uint64_t nl, uint64_t gaddr,
					  bool *found)
{
	struct gr_waits *w = st->w;
	const struct gr_waits_layout *l = &w->l;
	uint64_t head, tail;
	*found = false;
	gr_waits_note_read(w, nl);
	struct util_error *err = core_read_u64(w->r->core, nl + l->nl_head, &head);
	if (!err)
		err = core_read_u64(w->r->core, nl + l->nl_tail, &tail);
	if (err || !head || !tail) {
		util_error_destroy(err);
		return NULL;
	}
	uint64_t s = head, last = 0, tortoise = 0, power = 1, lam = 0;
	size_t n = 0;
	bool has = false;
	while (s) {
		if (s == tortoise || n >= MAX_COND_WAITERS || n > w->r->snap->ngoroutines)
			return NULL; // a loop, or too long: not a notifyList
		if (++lam == power) {
			tortoise = s;
			power *= 2;
			lam = 0;
		}
		struct gr_sudog sg;
		if (!gr_waits_read_sudog(w, s, &sg))
			return NULL;
		if (n == st->gs_cap) {
			size_t ncap = st->gs_cap ? 2 * st->gs_cap : 16;
			uint64_t *ngs = realloc(st->gs, ncap * sizeof(*ngs));
			if (!ngs)
				return &util_enomem;
			st->gs = ngs;
			st->gs_cap = ncap;
		}
		if (!util_u64map_get(&w->g_index, sg.g, NULL))
			return NULL; // not a goroutine's sudog
		st->gs[n++] = sg.g;
		has |= sg.g == gaddr;
		last = s;
		s = sg.next;
	}
	if (!has || last != tail)
		return NULL;
	*found = true;
	for (size_t i = 0; i < n; i++)
		if (!util_u64map_get(&st->cond_by_g, st->gs[i], NULL) &&
		    (err = util_u64map_put(&st->cond_by_g, st->gs[i], nl)))
			return err;
	return NULL;
}

/*
 * Before Go 1.26 nothing global leads to a sync.Cond's waiters: the runtime
 * queues the sudog on the Cond's notifyList only. But sync.(*Cond).Wait
 * keeps its receiver c for the c.L.Lock() after the wait, so c is on the
 * stack — in Wait's frame or its argument spill slot (and notifyListWait's
 * l = &c.notify may be too). Scan the words from the innermost frame to just
 * above Wait's for one that is c or &c.notify of a notifyList queuing this
 * goroutine.
 */
static struct util_error *find_cond(struct sync_state *st, size_t gi, size_t wait_frame,
				    uint64_t *nl_ret)
{
	struct gr_waits *w = st->w;
	const struct gr_waits_layout *l = &w->l;
	const struct gr_goroutine *g = &w->r->snap->goroutines[gi];
	*nl_ret = 0;
	if (util_u64map_get(&st->cond_by_g, g->g_addr, nl_ret))
		return NULL;
	if (l->nl_head == GR_ABSENT || l->nl_tail == GR_ABSENT || l->cond_notify == GR_ABSENT ||
	    !g->frame_sp_off || wait_frame >= g->nframes)
		return NULL;
	struct util_error *err = gr_waits_index_gs(w);
	if (err)
		return err;
	uint64_t lo = gr_frame_sp(g, 0), hi, stack_hi = 0;
	hi = wait_frame + 1 < g->nframes ? gr_frame_sp(g, wait_frame + 1) + 128
					 : gr_frame_sp(g, wait_frame) + 4096;
	err = gr_g_word(w->r, g, w->r->layout.g_stack_hi, &stack_hi);
	if (err) {
		util_error_destroy(err);
		return NULL;
	}
	if (hi > stack_hi)
		hi = stack_hi;
	lo &= ~(uint64_t)7;
	if (hi <= lo)
		return NULL;
	if (hi - lo > MAX_SCAN_BYTES)
		hi = lo + MAX_SCAN_BYTES;
	size_t nwords = (hi - lo) / 8;
	uint64_t *words = malloc(nwords * sizeof(*words));
	if (!words)
		return &util_enomem;
	err = core_read(w->r->core, lo, words, nwords * 8);
	if (err) {
		util_error_destroy(err);
		free(words);
		return NULL;
	}
	for (size_t i = 0; i < nwords && !err && !*nl_ret; i++) {
		uint64_t v = words[i];
		if (!v || (v & 7) || (v >= lo && v < stack_hi))
			continue; // a sync.Cond escapes to the heap or is a global
		uint64_t cand[2] = {v + l->cond_notify, v};
		for (int k = 0; k < 2 && !err; k++) {
			bool found;
			err = notify_list_has(st, cand[k], g->g_addr, &found);
			if (found) {
				*nl_ret = cand[k];
				break;
			}
		}
	}
	free(words);
	return err;
}

static struct util_error *add_sync_wait(struct gr_waits *w, uint64_t goid, const char *kind,
					uint64_t addr)
{
	if (w->nsws == w->sws_cap) {
		size_t ncap = w->sws_cap ? 2 * w->sws_cap : 64;
		struct gr_sync_wait *n = realloc(w->sws, ncap * sizeof(*n));
		if (!n)
			return &util_enomem;
		w->sws = n;
		w->sws_cap = ncap;
	}
	w->sws[w->nsws++] = (struct gr_sync_wait){.goid = goid, .kind = kind, .addr = addr};
	return NULL;
}

/* The offset of the semaphore (or notifyList) inside the primitive, GR_ABSENT if unknown. */
static uint64_t sema_offset(const struct gr_waits_layout *l, enum prim p)
{
	switch (p) {
	case P_MUTEX: return l->mutex_sema;
	case P_RW_W: return add(l->rw_w, l->mutex_sema);
	case P_RW_WRITER: return l->rw_writer_sem;
	case P_RW_READER: return l->rw_reader_sem;
	case P_WG: return l->wg_sema;
	case P_COND: return l->cond_notify;
	case P_NONE: break;
	}
	return 0;
}

static struct util_error *sync_wait(struct sync_state *st, size_t gi)
{
	struct gr_waits *w = st->w;
	const struct gr_goroutine *g = &w->r->snap->goroutines[gi];
	size_t frame = 0;
	enum prim p = classify_frames(g, &frame), pr = classify_reason(g->wait_reason);
	if (p == P_NONE && pr != P_NONE) {
		p = pr; // frames unknown (unwinding failed?): the wait reason names it
		frame = g->nframes;
	} else if (pr != P_NONE && pr != p && !(pr == P_MUTEX && p == P_RW_W)) {
		gr_waits_diag(w, WD_SYNCWAIT, "warning",
			      "goroutine %llu [%s]: its frames show a %s wait",
			      (unsigned long long)g->goid, g->wait_reason, prim_kind[p]);
	}
	uint64_t addr = w->sema_of[gi];
	const char *where = "g.waiting";
	struct util_error *err = NULL;
	if (!addr && p == P_COND) {
		where = "its stack";
		err = find_cond(st, gi, frame, &addr);
	} else if (!addr) {
		where = "runtime.semtable";
		if (!st->semtable_walked)
			err = walk_semtable(st);
		if (!err)
			util_u64map_get(&st->sema_by_g, g->g_addr, &addr);
	}
	if (err)
		return err;
	if (!addr) {
		gr_waits_diag(w, WD_SYNCWAIT, "warning",
			      "goroutine %llu [%s]: %s wait not found in %s",
			      (unsigned long long)g->goid, g->wait_reason ? g->wait_reason : "?",
			      prim_kind[p], where);
		return NULL;
	}
	uint64_t off = sema_offset(&w->l, p);
	if (off == GR_ABSENT || off > addr) {
		gr_waits_diag(w, WD_SYNCWAIT, "warning",
			      "goroutine %llu: the layout of %s is unknown; recorded as the "
			      "semaphore 0x%llx",
			      (unsigned long long)g->goid, prim_kind[p], (unsigned long long)addr);
		p = P_NONE;
		off = 0;
	}
	return add_sync_wait(w, g->goid, gr_intern(w->r->snap, prim_kind[p]), addr - off);
}

struct util_error *gr_waits_sync(struct gr_waits *w)
{
	if (!w->chans_ok) // no sudog layout: nothing can be read
		return NULL;
	struct sync_state st = {.w = w};
	util_u64map_init(&st.sema_by_g);
	util_u64map_init(&st.cond_by_g);
	const struct gr_snapshot *snap = w->r->snap;
	struct util_error *err = NULL;
	for (size_t i = 0; i < snap->ngoroutines && !err; i++) {
		const struct gr_goroutine *g = &snap->goroutines[i];
		if (gr_goroutine_parked(w->r, g) && (w->sema_of[i] || sema_reason(g->wait_reason)))
			err = sync_wait(&st, i);
	}
	free(st.gs);
	util_u64map_deinit(&st.sema_by_g);
	util_u64map_deinit(&st.cond_by_g);
	return err;
}
