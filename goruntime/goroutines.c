// SPDX-License-Identifier: Apache-2.0
// goroutines.c: read every goroutine of runtime.allgs — status, wait reason,
// creator, thread, labels — and unwind its stack from the right saved context.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "goruntime/internal.h"

enum {
	DEFAULT_MAX_GOROUTINES = 10000000,
	MAX_MS = 100000,
	G_CHUNK = 4096, /* goroutine pointers read at once */
};

/* Walk runtime.allm and tie each M to the core thread with its procid (the TID). */
static struct util_error *read_ms(struct gr_reader *r)
{
	const struct gr_layout *l = &r->layout;
	uint64_t maddr;
	struct util_error *err = core_read_u64(r->core, l->allm_addr, &maddr);
	if (err)
		return util_error_prefix(err, "runtime.allm: ");
	unsigned char *buf = malloc(l->m_size);
	if (!buf)
		return &util_enomem;
	size_t cap = 0;
	while (maddr) {
		if (util_u64map_get(&r->m_by_addr, maddr, NULL)) {
			gr_diag(r->snap, "warning", "allm", "runtime.allm list loops at m 0x%llx",
				(unsigned long long)maddr);
			break;
		}
		if (r->nms >= MAX_MS) {
			gr_diag(r->snap, "warning", "allm", "more than %d Ms; rest ignored", MAX_MS);
			break;
		}
		err = core_read(r->core, maddr, buf, l->m_size);
		if (err) {
			gr_diag(r->snap, "warning", "allm", "%s", err->message);
			util_error_destroy(err);
			break;
		}
		if (r->nms == cap) {
			cap = cap ? cap * 2 : 16;
			struct gr_m *n = realloc(r->ms, cap * sizeof(*n));
			if (!n) {
				free(buf);
				return &util_enomem;
			}
			r->ms = n;
		}
		struct gr_m *m = &r->ms[r->nms];
		*m = (struct gr_m){
			.addr = maddr,
			.curg = gr_rd64(buf, l->m_curg),
			.g0 = gr_rd64(buf, l->m_g0),
			.gsignal = gr_rd64(buf, l->m_gsignal),
			.procid = gr_rd64(buf, l->m_procid),
			.id = (int64_t)gr_rd64(buf, l->m_id),
			.vdso_sp = l->m_vdso_sp != GR_ABSENT ? gr_rd64(buf, l->m_vdso_sp) : 0,
			.vdso_pc = l->m_vdso_pc != GR_ABSENT ? gr_rd64(buf, l->m_vdso_pc) : 0,
		};
		for (size_t i = 0; i < core_num_threads(r->core); i++) {
			const struct core_thread *t = core_thread(r->core, i);
			if (t->tid == m->procid && m->procid) {
				m->thread = t;
				break;
			}
		}
		err = util_u64map_put(&r->m_by_addr, maddr, r->nms);
		if (err) {
			free(buf);
			return err;
		}
		r->nms++;
		maddr = gr_rd64(buf, l->m_alllink);
	}
	free(buf);
	return NULL;
}

static const struct gr_m *find_m(const struct gr_reader *r, uint64_t addr)
{
	uint64_t idx;
	if (!addr || !util_u64map_get(&r->m_by_addr, addr, &idx))
		return NULL;
	return &r->ms[idx];
}

static struct util_error *read_stack_bounds(struct gr_reader *r, uint64_t gaddr, uint64_t *lo,
					    uint64_t *hi)
{
	struct util_error *err = core_read_u64(r->core, gaddr + r->layout.g_stack_lo, lo);
	if (!err)
		err = core_read_u64(r->core, gaddr + r->layout.g_stack_hi, hi);
	return err;
}

/*
 * Choose where a goroutine's stack walk starts, as runtime.traceback1 does:
 * the syscall context for _Gsyscall, the VDSO context of its M, the thread's
 * registers (or the context a signal interrupted) for a running goroutine,
 * and g.sched otherwise.
 */
static struct util_error *choose_start(struct gr_reader *r, const unsigned char *gbuf,
				       struct gr_goroutine *g, const struct gr_m *m,
				       struct gr_unwind_start *st)
{
	const struct gr_layout *l = &r->layout;
	st->stack_lo = gr_rd64(gbuf, l->g_stack_lo);
	st->stack_hi = gr_rd64(gbuf, l->g_stack_hi);
	st->pc = gr_rd64(gbuf, l->g_sched_pc);
	st->sp = gr_rd64(gbuf, l->g_sched_sp);
	st->bp = gr_rd64(gbuf, l->g_sched_bp);
	st->lr = l->g_sched_lr != GR_ABSENT ? gr_rd64(gbuf, l->g_sched_lr) : 0;
	st->trap = false;
	uint64_t syscallsp = gr_rd64(gbuf, l->g_syscallsp);

	if ((int64_t)g->status == l->st_syscall || (syscallsp && (int64_t)g->status != l->st_running)) {
		if (syscallsp) {
			st->pc = gr_rd64(gbuf, l->g_syscallpc);
			st->sp = syscallsp;
			st->lr = 0;
			st->bp = l->g_syscallbp != GR_ABSENT ? gr_rd64(gbuf, l->g_syscallbp) : 0;
		}
		if (m && m->vdso_sp) {
			st->pc = m->vdso_pc;
			st->sp = m->vdso_sp;
			st->lr = 0;
		}
		return NULL;
	}
	if ((int64_t)g->status != l->st_running || !m)
		return NULL;
	if (m->vdso_sp) {
		st->pc = m->vdso_pc;
		st->sp = m->vdso_sp;
		st->lr = 0;
		return NULL;
	}
	const struct core_thread *t = m->thread;
	if (!t) {
		gr_diag(r->snap, "warning", "thread",
			"goroutine %llu is running on m%lld (tid %llu) but the core has no such thread; "
			"using its saved scheduling context",
			(unsigned long long)g->goid, (long long)m->id, (unsigned long long)m->procid);
		return NULL;
	}
	uint64_t rsp = t->sp;
	if (rsp >= st->stack_lo && rsp < st->stack_hi) {
		st->pc = t->pc;
		st->sp = rsp;
		st->bp = t->fp;
		st->lr = t->lr;
		st->trap = true;
		return NULL;
	}
	// On the signal stack: a crash core (GOTRACEBACK=crash) stops threads in
	// the Go signal handler; the interrupted context is in the ucontext.
	uint64_t lo, hi;
	if (m->gsignal && !read_stack_bounds(r, m->gsignal, &lo, &hi) && rsp >= lo && rsp < hi) {
		struct gr_unwind_start sig = *st;
		bool found = false;
		struct util_error *err = gr_signal_context(r, t, lo, hi, &sig, &found);
		if (err)
			return err;
		if (found && sig.sp >= st->stack_lo && sig.sp < st->stack_hi) {
			*st = sig;
			return NULL;
		}
	}
	// On g0 (systemstack, mcall): the goroutine's own context is in g.sched.
	return NULL;
}

/* isSystemGoroutine: runtime.* start functions but runtime.main & co. */
static bool is_system_goroutine(struct gr_reader *r, const struct dw_func *f)
{
	if (!f)
		return false;
	const char *n = f->name;
	if (strcmp(n, "runtime.main") == 0 || strcmp(n, "runtime.corostart") == 0 ||
	    strcmp(n, "runtime.handleAsyncEvent") == 0)
		return false;
	if (strcmp(n, "runtime.runfinq") == 0 || strcmp(n, "runtime.runFinalizers") == 0) {
		// A user goroutine while it runs a finalizer.
		uint32_t st = 0;
		if (r->layout.fing_status_addr != GR_ABSENT && r->layout.fing_running_finalizer > 0 &&
		    !core_read_u32(r->core, r->layout.fing_status_addr, &st))
			return (st & (uint32_t)r->layout.fing_running_finalizer) == 0;
		return true;
	}
	return strncmp(n, "runtime.", 8) == 0;
}

/*
 * Read the runtime.g at GADDR into G: its bytes are *GBUF, read ahead, or
 * (*GBUF NULL) read into BUF and *GBUF set to them.
 */
static struct util_error *read_goroutine(struct gr_reader *r, uint64_t gaddr, unsigned char *buf,
					 const unsigned char **gbufp, struct gr_goroutine *g,
					 bool *live, struct gr_diag_cap *unreadable)
{
	const struct gr_layout *l = &r->layout;
	struct gr_snapshot *s = r->snap;
	struct util_error *err;
	*live = false;
	if (!*gbufp) {
		err = core_read(r->core, gaddr, buf, l->g_size);
		if (err) {
			gr_diag_capped(s, unreadable, "error", "g 0x%llx: %s",
				       (unsigned long long)gaddr, err->message);
			util_error_destroy(err);
			return NULL;
		}
		*gbufp = buf;
	}
	const unsigned char *gbuf = *gbufp;
	uint32_t status = gr_rd32(gbuf, l->g_atomicstatus) & ~(uint32_t)l->st_scan;
	if ((int64_t)status == l->st_dead || (int64_t)status == l->st_deadextra)
		return NULL;
	*live = true;
	memset(g, 0, sizeof(*g));
	g->g_addr = gaddr;
	g->goid = gr_rd64(gbuf, l->g_goid);
	g->status = status;
	g->status_name = status < 32 && l->status_names[status] ? l->status_names[status] : "???";
	g->wait_minutes = -1;
	if (gr_goroutine_parked(r, g)) {
		uint8_t wr = gbuf[l->g_waitreason];
		if (wr != 0) {
			if (wr < l->wrs_count) {
				const char *name = NULL;
				err = gr_read_gostring(r, l->wrs_addr + 16 * (uint64_t)wr, 256, &name);
				if (err) {
					gr_diag(s, "warning", "waitreason", "%s", err->message);
					util_error_destroy(err);
				} else
					g->wait_reason = name;
			} else {
				gr_diag(s, "warning", "waitreason",
					"goroutine %llu: wait reason %u beyond waitReasonStrings[%llu]",
					(unsigned long long)g->goid, wr,
					(unsigned long long)l->wrs_count);
			}
		}
	}
	g->wait_since_ns = (int64_t)gr_rd64(gbuf, l->g_waitsince);
	if (l->g_parent_goid != GR_ABSENT) {
		g->has_creator = true;
		g->creator_goid = gr_rd64(gbuf, l->g_parent_goid);
	}
	g->gopc = gr_rd64(gbuf, l->g_gopc);
	if (g->gopc) {
		const struct gr_pcinfo *info;
		// gopc is a return address: Go prints the line of the CALL.
		err = gr_pcinfo_get(r, g->gopc, false, &info);
		if (err)
			return err;
		if (info->fn) {
			// runtime.printcreatedby1: the physical function's name with
			// the innermost (possibly inlined) file:line.
			g->created_by_func = info->fn->name;
			g->created_by_file = info->locs[0].file;
			g->created_by_line = info->locs[0].line;
			g->created_by_pc_offset = (uint32_t)(g->gopc - info->fn->entry);
		}
	}
	// Goroutines mostly start at a few functions: each pc is looked up once.
	uint64_t startpc = gr_rd64(gbuf, l->g_startpc);
	struct gr_start_fn *sf = &r->start_fns[(startpc >> 4) % 64];
	if (!startpc || sf->pc != startpc) {
		const struct dw_func *fn = dw_func_at(r->bin, startpc);
		*sf = (struct gr_start_fn){startpc, fn, is_system_goroutine(r, fn)};
	}
	g->start_func = sf->fn ? sf->fn->name : NULL;
	g->is_system = sf->is_system;
	g->locked = gr_rd64(gbuf, l->g_lockedm) != 0;

	const struct gr_m *m = find_m(r, gr_rd64(gbuf, l->g_m));
	if (m && m->thread &&
	    ((int64_t)status == l->st_running || (int64_t)status == l->st_syscall))
		g->thread_id = m->thread->tid;
	else if (m && ((int64_t)status == l->st_running || (int64_t)status == l->st_syscall))
		g->thread_id = (uint32_t)m->procid;

	uint64_t labels = gr_rd64(gbuf, l->g_labels);
	if (labels) {
		err = gr_labels_read(r, labels, &g->labels);
		if (err) {
			if (err == &util_enomem)
				return err;
			gr_diag(s, "warning", "labels", "goroutine %llu: %s",
				(unsigned long long)g->goid, err->message);
			util_error_destroy(err);
		}
	}

	g->stack_lo = gr_rd64(gbuf, l->g_stack_lo);
	g->stack_hi = gr_rd64(gbuf, l->g_stack_hi);
	struct gr_unwind_start st;
	err = choose_start(r, gbuf, g, m, &st);
	if (err)
		return err;
	// The live stack is copied first and the unwinder reads the copy.
	if (st.sp >= g->stack_lo && st.sp < g->stack_hi)
		gr_stacks_fill(&r->stacks_copy, r->core, st.sp, g->stack_hi);
	err = gr_unwind(r, g, &st);
	core_unpin(r->core);
	if (err)
		return err;
	if (g->stack_error)
		gr_diag(s, "warning", "unwind", "goroutine %llu: %s", (unsigned long long)g->goid,
			g->stack_error);
	return NULL;
}

/* A read of an integer global's member, tolerating atomic wrappers. */
static bool read_global_i64(struct gr_reader *r, const char *var, const char *member,
			    int64_t *ret)
{
	uint64_t addr, size, off = 0;
	struct util_error *err = dw_variable(r->bin, var, &addr, &size);
	if (err) {
		util_error_destroy(err);
		return false;
	}
	if (member) {
		const char *type = NULL;
		// The variables' DWARF types: runtime.schedt, runtime.mstats, runtime.workType.
		static const struct {
			const char *var, *type;
		} types[] = {
			{"runtime.sched", "runtime.schedt"},
			{"runtime.memstats", "runtime.mstats"},
			{"runtime.work", "runtime.workType"},
		};
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (strcmp(types[i].var, var) == 0)
				type = types[i].type;
		if (!type)
			return false;
		char path[128];
		snprintf(path, sizeof(path), "%s.value", member);
		err = dw_member_offset(r->bin, type, path, &off);
		if (err) {
			util_error_destroy(err);
			err = dw_member_offset(r->bin, type, member, &off);
			if (err) {
				util_error_destroy(err);
				return false;
			}
		}
	}
	uint64_t v;
	err = core_read_u64(r->core, addr + off, &v);
	if (err) {
		util_error_destroy(err);
		return false;
	}
	*ret = (int64_t)v;
	return true;
}

/*
 * A core holds no clock. Estimate nanotime() at the dump as the latest
 * monotonic timestamp the runtime recorded: the last netpoll, the last GC's
 * end and start, and the goroutines' own waitsince (set by the GC).
 */
static void estimate_now(struct gr_reader *r)
{
	struct gr_snapshot *s = r->snap;
	int64_t best = 0, v;
	const char *src = NULL;
	if (read_global_i64(r, "runtime.sched", "lastpoll", &v) && v > best)
		best = v, src = "runtime.sched.lastpoll";
	if (read_global_i64(r, "runtime.memstats", "last_gc_nanotime", &v) && v > best)
		best = v, src = "runtime.memstats.last_gc_nanotime";
	if (read_global_i64(r, "runtime.work", "tstart", &v) && v > best)
		best = v, src = "runtime.work.tstart";
	for (size_t i = 0; i < s->ngoroutines; i++)
		if (s->goroutines[i].wait_since_ns > best)
			best = s->goroutines[i].wait_since_ns, src = "latest goroutine waitsince";
	s->now_ns = best;
	s->now_source = src ? gr_intern(s, src) : NULL;
	if (!best)
		return;
	for (size_t i = 0; i < s->ngoroutines; i++) {
		struct gr_goroutine *g = &s->goroutines[i];
		bool timed = (int64_t)g->status == r->layout.st_waiting ||
			     (int64_t)g->status == r->layout.st_syscall;
		if (timed && g->wait_since_ns > 0)
			g->wait_minutes = (best - g->wait_since_ns) / 60000000000LL;
	}
}

/* ---- All goroutines ---------------------------------------------------- */

bool gr_goroutine_parked(const struct gr_reader *r, const struct gr_goroutine *g)
{
	const struct gr_layout *l = &r->layout;
	// _Gleaked (Go 1.26+): parked forever, found so by the leak detector.
	return (int64_t)g->status == l->st_waiting ||
	       (l->st_leaked >= 0 && (int64_t)g->status == l->st_leaked);
}

bool gr_goroutine_running(const struct gr_reader *r, const struct gr_goroutine *g)
{
	return (int64_t)g->status == r->layout.st_running;
}

/* Where the members of enum gr_gword are in runtime.g, and room for them: N goroutines. */
static void keep_gwords_init(struct gr_reader *r, size_t n)
{
	static const char *const names[GR_GW_COUNT] = {
		[GR_GW_DEFER] = "_defer", [GR_GW_PANIC] = "_panic", [GR_GW_WAITING] = "waiting",
	};
	for (size_t k = 0; k < GR_GW_COUNT; k++) {
		uint64_t off = k == GR_GW_STACK_HI ? r->layout.g_stack_hi
						   : gr_member(r->bin, "runtime.g", names[k]);
		r->gw_off[k] = off != GR_ABSENT && off + 8 <= r->layout.g_size ? off : GR_ABSENT;
	}
	// Without memory for them, gr_g_word reads the core.
	r->gwords = malloc((n ? n : 1) * GR_GW_COUNT * sizeof(*r->gwords));
}

/* Keep the members of goroutine GI's runtime.g, read into GBUF. */
static void keep_gwords(struct gr_reader *r, size_t gi, const unsigned char *gbuf)
{
	if (!r->gwords)
		return;
	for (size_t k = 0; k < GR_GW_COUNT; k++)
		r->gwords[gi * GR_GW_COUNT + k] =
			r->gw_off[k] != GR_ABSENT ? gr_rd64(gbuf, r->gw_off[k]) : 0;
}

struct util_error *gr_g_word(const struct gr_reader *r, const struct gr_goroutine *g, uint64_t off,
			     uint64_t *ret)
{
	const struct gr_snapshot *s = r->snap;
	if (r->gwords && off != GR_ABSENT && g >= s->goroutines && g < s->goroutines + s->ngoroutines) {
		size_t gi = (size_t)(g - s->goroutines);
		for (size_t k = 0; k < GR_GW_COUNT; k++)
			if (r->gw_off[k] == off) {
				*ret = r->gwords[gi * GR_GW_COUNT + k];
				return NULL;
			}
	}
	return core_read_u64(r->core, g->g_addr + off, ret);
}

/*
 * How many of runtime.allgs's N pointers, at ADDR, to read: a corrupt
 * length (10,000,000 for 62 goroutines) would size the goroutine table and
 * read whatever follows the array as goroutine pointers. runtime.allglen
 * is the same count kept apart (allgadd sets both), so the smaller one is
 * taken; and only the part of the array the core holds is read. Each cut
 * is a diagnostic; 0 when the core holds none of it.
 */
static uint64_t allgs_bounded(struct gr_reader *r, uint64_t addr, uint64_t n)
{
	struct gr_snapshot *s = r->snap;
	uint64_t lenaddr, size, allglen;
	struct util_error *err = dw_variable(r->bin, "runtime.allglen", &lenaddr, &size);
	if (!err && size == 8)
		err = core_read_u64(r->core, lenaddr, &allglen);
	if (!err && size == 8 && allglen && allglen < n) {
		gr_diag(s, "error", "goroutine",
			"runtime.allgs has length %llu, runtime.allglen %llu: read %llu",
			(unsigned long long)n, (unsigned long long)allglen,
			(unsigned long long)allglen);
		n = allglen;
	}
	util_error_destroy(err);
	if (n == 0 || core_readable(r->core, addr, n * 8))
		return n;
	uint64_t lo = 0, hi = n; // the core holds lo pointers, not hi
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (core_readable(r->core, addr, mid * 8))
			lo = mid;
		else
			hi = mid;
	}
	if (lo)
		gr_diag(s, "error", "goroutine",
			"runtime.allgs has length %llu, but the core holds %llu of its pointers "
			"(array at 0x%llx): the rest ignored",
			(unsigned long long)n, (unsigned long long)lo, (unsigned long long)addr);
	return lo;
}

/*
 * Read ahead what the goroutines of a chunk of runtime.allgs (GPTRS, N)
 * need: their runtime.g structs into GBUFS (READS[i].ok if read) and the live
 * stacks of the parked ones, in address order (core_read_batch). The
 * goroutines are then read in allgs order from these bytes, exactly as from
 * the core; what was not read ahead is read as before.
 */
static void prefetch_chunk(struct gr_reader *r, const uint64_t *gptrs, size_t n,
			   unsigned char *gbufs, struct core_batch_read *reads,
			   struct gr_stack_want *want)
{
	const struct gr_layout *l = &r->layout;
	for (size_t i = 0; i < n; i++)
		reads[i] = (struct core_batch_read){
			.addr = gptrs[i], .len = gptrs[i] ? l->g_size : 0, .buf = gbufs + i * l->g_size};
	// The stacks' room is free until they are read: it holds the groups of g's.
	core_read_batch(r->core, reads, n, r->stacks_copy.scratch, GR_STACK_COPY_MAX);
	for (size_t i = 0; i < n; i++) {
		want[i] = (struct gr_stack_want){0};
		if (!reads[i].ok || !gptrs[i])
			continue;
		const unsigned char *gbuf = reads[i].buf;
		int64_t status = gr_rd32(gbuf, l->g_atomicstatus) & ~(uint32_t)l->st_scan;
		// Only where choose_start surely starts from g.sched: a running
		// goroutine or one in a system call may start elsewhere.
		if (status == l->st_dead || status == l->st_deadextra || status == l->st_running ||
		    status == l->st_syscall || gr_rd64(gbuf, l->g_syscallsp))
			continue;
		uint64_t sp = gr_rd64(gbuf, l->g_sched_sp), lo = gr_rd64(gbuf, l->g_stack_lo),
			 hi = gr_rd64(gbuf, l->g_stack_hi);
		if (sp >= lo && sp < hi)
			want[i] = (struct gr_stack_want){sp, hi};
	}
	gr_stacks_prefetch(&r->stacks_copy, r->core, want, n);
}

struct util_error *gr_read_goroutines(struct gr_reader *r, const struct gr_options *opts)
{
	struct core_file *core = r->core;
	struct gr_snapshot *s = r->snap;
	unsigned char *gbuf = NULL, *gbufs = NULL;
	uint64_t *gptrs = NULL;
	struct core_batch_read *greads = NULL;
	struct gr_stack_want *want = NULL;
	struct util_error *err = read_ms(r);
	if (err)
		goto out;
	uint64_t allgs[3];
	err = core_read(core, r->layout.allgs_addr, allgs, sizeof(allgs));
	if (err) {
		err = util_error_prefix(err, "runtime.allgs: ");
		goto out;
	}
	size_t max_g = opts->max_goroutines ? opts->max_goroutines : DEFAULT_MAX_GOROUTINES;
	uint64_t n = allgs[1];
	if (n > allgs[2] || n > max_g) {
		err = util_error_create(UTIL_ERROR_BAD_DATA,
					"runtime.allgs has length %llu and capacity %llu: corrupt "
					"(or more than %zu goroutines)",
					(unsigned long long)n, (unsigned long long)allgs[2], max_g);
		goto out;
	}
	if (n == 0) {
		err = util_error_create(UTIL_ERROR_BAD_DATA,
					"runtime.allgs is empty: the process had not started its "
					"runtime, or this is not the core of this executable");
		goto out;
	}
	n = allgs_bounded(r, allgs[0], n);
	if (n == 0) { // the fault, with the address the core lacks
		uint64_t first;
		err = core_read_u64(core, allgs[0], &first);
		err = util_error_prefix(err ? err : util_error_create(UTIL_ERROR_BAD_DATA, "empty"),
					"runtime.allgs array: ");
		goto out;
	}
	s->goroutines = util_arena_alloc(&s->arena, n * sizeof(*s->goroutines));
	gbuf = malloc(r->layout.g_size);
	gptrs = malloc(G_CHUNK * sizeof(*gptrs));
	if (!s->goroutines || !gbuf || !gptrs) {
		err = &util_enomem;
		goto out;
	}
	// Reading ahead only spares work: without memory for it, none.
	gbufs = malloc(G_CHUNK * r->layout.g_size);
	greads = malloc(G_CHUNK * sizeof(*greads));
	want = malloc(G_CHUNK * sizeof(*want));
	gr_stacks_reserve(&r->stacks_copy, n);
	keep_gwords_init(r, n);
	struct util_u64map seen;
	util_u64map_init(&seen);
	// A corrupt array's pointers mostly lead nowhere: a pattern, not a flood.
	struct gr_diag_cap unreadable = GR_DIAG_CAP("goroutine", GR_DIAG_MAX);
	for (uint64_t base = 0; base < n; base += G_CHUNK) {
		size_t chunk = n - base < G_CHUNK ? n - base : G_CHUNK;
		err = core_read(core, allgs[0] + base * 8, gptrs, chunk * 8);
		if (err) {
			util_u64map_deinit(&seen);
			err = util_error_prefix(err, "runtime.allgs array: ");
			goto out;
		}
		bool ahead = gbufs && greads && want && r->stacks_copy.scratch;
		if (ahead)
			prefetch_chunk(r, gptrs, chunk, gbufs, greads, want);
		for (size_t i = 0; i < chunk; i++) {
			if (!gptrs[i])
				continue;
			bool live;
			struct gr_goroutine *g = &s->goroutines[s->ngoroutines];
			const unsigned char *gb = ahead && greads[i].ok ? greads[i].buf : NULL;
			if (ahead)
				gr_stacks_next(&r->stacks_copy, i);
			err = read_goroutine(r, gptrs[i], gbuf, &gb, g, &live, &unreadable);
			if (err) {
				util_u64map_deinit(&seen);
				goto out;
			}
			if (!live)
				continue;
			// Go counts goids up from 1: one past INT64_MAX is a corrupt
			// word (~0, say), and would read as negative in SQL.
			if (g->goid > INT64_MAX)
				gr_diag(s, "warning", "goroutine",
					"g 0x%llx: goroutine id %#llx is not one Go hands out "
					"(corrupt runtime.g); kept as it is",
					(unsigned long long)g->g_addr, (unsigned long long)g->goid);
			if (util_u64map_get(&seen, g->goid, NULL)) {
				gr_diag(s, "error", "goroutine",
					"goroutine id %llu appears twice (g 0x%llx); second ignored",
					(unsigned long long)g->goid, (unsigned long long)g->g_addr);
				continue;
			}
			err = util_u64map_put(&seen, g->goid, 1);
			if (err) {
				util_u64map_deinit(&seen);
				goto out;
			}
			gr_stacks_take(&r->stacks_copy, s->ngoroutines, g);
			keep_gwords(r, s->ngoroutines, gb);
			s->ngoroutines++;
		}
		// The stacks just read are not needed again: keep memory flat.
		core_release_pages(core);
		if (opts->progress)
			opts->progress(base + chunk, n, opts->progress_arg);
	}
	util_u64map_deinit(&seen);
	gr_diag_cap_flush(s, &unreadable);
	estimate_now(r);
out:
	gr_stacks_prefetch_done(&r->stacks_copy);
	free(gbuf);
	free(gbufs);
	free(greads);
	free(want);
	free(gptrs);
	return err;
}
