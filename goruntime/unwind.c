// SPDX-License-Identifier: Apache-2.0
// unwind.c: walk a goroutine's stack the way Go's own unwinder does (pcsp
// frame sizes from the pclntab, inlined calls expanded), with a per-PC cache.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "goruntime/internal.h"

enum { MAX_INLINE_DEPTH = 64 };

/*
 * The name Go's traceback prints: a generic function's shape arguments become
 * "[...]" (runtime.funcNamePiecesForPrint), "main.F[go.shape.int]" → "main.F[...]".
 */
static const char *print_name(struct gr_snapshot *s, const char *name)
{
	const char *open = strchr(name, '['), *close = strrchr(name, ']');
	if (!open || !close || close <= open)
		return name;
	size_t head = (size_t)(open - name), tail = strlen(close + 1);
	char *buf = malloc(head + 5 + tail + 1);
	if (!buf)
		return name;
	memcpy(buf, name, head);
	memcpy(buf + head, "[...]", 5);
	memcpy(buf + head + 5, close + 1, tail + 1);
	const char *r = gr_intern(s, buf);
	free(buf);
	return r ? r : name;
}

struct util_error *gr_pcinfo_get(struct gr_reader *r, uint64_t pc, bool trap,
				 const struct gr_pcinfo **ret)
{
	uint64_t key = (pc << 1) | (trap ? 1 : 0), idx;
	if (util_u64map_get(&r->pc_cache, key, &idx)) {
		*ret = &r->pcinfos[idx];
		return NULL;
	}
	if (r->npcinfos == r->pcinfos_cap) {
		size_t ncap = r->pcinfos_cap ? r->pcinfos_cap * 2 : 1024;
		struct gr_pcinfo *n = realloc(r->pcinfos, ncap * sizeof(*n));
		if (!n)
			return &util_enomem;
		r->pcinfos = n;
		r->pcinfos_cap = ncap;
	}
	struct gr_pcinfo *info = &r->pcinfos[r->npcinfos];
	memset(info, 0, sizeof(*info));
	info->fn = dw_func_at(r->bin, pc);
	if (info->fn) {
		struct util_error *err = dw_func_spdelta(r->bin, info->fn, pc, &info->spdelta);
		if (err)
			util_error_destroy(err);
		else
			info->has_spdelta = true;
		// A return address is looked up one byte back, inside the CALL
		// (runtime unwinder.symPC); a trapping PC or an entry PC as is.
		uint64_t sympc = !trap && pc > info->fn->entry ? pc - 1 : pc;
		struct dw_location locs[MAX_INLINE_DEPTH];
		size_t n = 0;
		err = dw_pc_expand(r->bin, info->fn, sympc, locs, MAX_INLINE_DEPTH, &n);
		if (err) {
			util_error_destroy(err);
			locs[0] = (struct dw_location){.func = info->fn->name, .file = "?", .line = 0};
			n = 1;
		}
		if (n == 0) {
			locs[0] = (struct dw_location){.func = info->fn->name, .file = "?", .line = 0};
			n = 1;
		}
		for (size_t i = 0; i < n; i++)
			locs[i].func = print_name(r->snap, locs[i].func);
		info->locs = util_arena_alloc(&r->snap->arena, n * sizeof(*info->locs));
		if (!info->locs)
			return &util_enomem;
		memcpy(info->locs, locs, n * sizeof(*locs));
		info->nlocs = (uint8_t)n;
	}
	struct util_error *err = util_u64map_put(&r->pc_cache, key, r->npcinfos);
	if (err)
		return err;
	r->npcinfos++;
	*ret = info;
	return NULL;
}

/* Functions whose caller frame holds a trapping PC, not a return address. */
static bool is_injected_call(const struct gr_reader *r, const struct dw_func *f)
{
	return f && (f == r->fn_sigpanic || f == r->fn_async_preempt || f == r->fn_debug_call);
}

bool gr_unwind_is_trap(const struct gr_reader *r, const struct dw_func *f)
{
	return f && (is_injected_call(r, f) || f == r->fn_sigtramp);
}

void gr_unwind_init(struct gr_reader *r)
{
	r->fn_sigtramp = dw_func_by_name(r->bin, "runtime.sigtramp");
	r->fn_sigpanic = dw_func_by_name(r->bin, "runtime.sigpanic");
	r->fn_async_preempt = dw_func_by_name(r->bin, "runtime.asyncPreempt");
	r->fn_debug_call = dw_func_by_name(r->bin, "runtime.debugCallV2");
}

struct util_error *gr_unwind_step(struct gr_reader *r, uint64_t sp, uint64_t fp, bool innermost,
				  uint64_t *lr)
{
	if (!dw_binary_arch(r->bin)->uses_lr)
		return core_read_u64(r->core, fp - 8, lr);
	// A link-register machine (1.27 runtime/traceback.go:370-375, 1.19
	// :238-242): a frame that is made holds its caller's return address at
	// 0(SP); the innermost one may not be made yet (a leaf, or at the
	// entry), and then LR holds it.
	if ((innermost && sp < fp) || *lr == 0)
		return core_read_u64(r->core, sp, lr);
	return NULL;
}

struct util_error *gr_unwind_injected_lr(struct gr_reader *r, uint64_t *pc, uint64_t *sp,
					 uint64_t *lr)
{
	// The signal handler pushed the interrupted function's LR on its stack
	// (16 bytes, to keep SP aligned) before faking the call to sigpanic or
	// asyncPreempt (sigctxt.preparePanic, pushCall); the interrupted
	// function had not saved it yet if its frame is not made (1.27
	// runtime/traceback.go:506-517, 1.19 :512-522).
	uint64_t x;
	struct util_error *err = core_read_u64(r->core, *sp, &x);
	if (err)
		return err;
	*sp += 16; // alignUp(sys.MinFrameSize, sys.StackAlign)
	const struct dw_func *f = dw_func_at(r->bin, *pc);
	int32_t spdelta;
	if (!f) {
		*pc = x;
	} else if (!(err = dw_func_spdelta(r->bin, f, *pc, &spdelta))) {
		if (spdelta == 0)
			*lr = x;
	} else {
		util_error_destroy(err);
	}
	return NULL;
}

/* Scratch buffer of frames for one goroutine, copied into the arena at the end. */
struct frame_buf {
	struct gr_frame *v;
	uint64_t *sp;
	size_t n, cap;
};

static bool frame_push(struct frame_buf *b, const struct gr_frame *f, uint64_t sp)
{
	if (b->n == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 64;
		struct gr_frame *nv = realloc(b->v, ncap * sizeof(*nv));
		if (nv)
			b->v = nv;
		uint64_t *nsp = realloc(b->sp, ncap * sizeof(*nsp));
		if (nsp)
			b->sp = nsp;
		if (!nv || !nsp)
			return false;
		b->cap = ncap;
	}
	b->sp[b->n] = sp;
	b->v[b->n++] = *f;
	return true;
}

static uint64_t frames_hash(const struct gr_frame *f, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
	for (size_t i = 0; i < n; i++) {
		// pc and the position in the inline expansion determine the rest.
		h ^= f[i].pc + (f[i].inlined ? 0x51ed27 : 0) + i;
		h *= 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	return h;
}

static bool frames_equal(const struct gr_frame *a, const struct gr_frame *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].pc != b[i].pc || a[i].func != b[i].func || a[i].line != b[i].line ||
		    a[i].inlined != b[i].inlined)
			return false;
	return true;
}

/*
 * G's frame_sp_off from BUF's SPs: those of the stack INDEX (its frames)
 * when they are the same, as they are when the frame sizes follow from the
 * pcs; a copy of its own otherwise.
 */
static struct util_error *share_sp_off(struct gr_reader *r, uint32_t index,
				       const struct frame_buf *buf, struct gr_goroutine *g)
{
	struct gr_stack_ref *ref = &r->stack_list[index];
	uint64_t sp0 = buf->sp[0];
	bool same = ref->sp_off != NULL;
	for (size_t i = 0; same && i < buf->n; i++)
		same = buf->sp[i] - sp0 == ref->sp_off[i];
	if (!same) {
		uint32_t *off = util_arena_alloc(&r->snap->arena, buf->n * sizeof(*off));
		if (!off)
			return &util_enomem;
		for (size_t i = 0; i < buf->n; i++)
			off[i] = (uint32_t)(buf->sp[i] - sp0); // below 4 GiB (gr_unwind)
		if (!ref->sp_off)
			ref->sp_off = off;
		g->frame_sp_off = off;
	} else {
		g->frame_sp_off = ref->sp_off;
	}
	g->frame_sp0 = sp0;
	return NULL;
}

/* The snapshot's copy of this frame sequence, shared when it was seen before. */
static struct util_error *intern_frames(struct gr_reader *r, const struct frame_buf *buf,
					const struct gr_frame **ret, uint32_t *index_ret)
{
	uint64_t h = frames_hash(buf->v, buf->n), head = 0;
	if (h == ~(uint64_t)0)
		h = 0;
	if (util_u64map_get(&r->stacks, h, &head)) {
		for (uint64_t i = head; i; i = r->stack_list[i - 1].next) {
			const struct gr_stack_ref *s = &r->stack_list[i - 1];
			if (s->nframes == buf->n && frames_equal(s->frames, buf->v, buf->n)) {
				*ret = s->frames;
				*index_ret = (uint32_t)(i - 1);
				return NULL;
			}
		}
	}
	if (r->nstack_list == r->stack_list_cap) {
		size_t ncap = r->stack_list_cap ? r->stack_list_cap * 2 : 256;
		struct gr_stack_ref *n = realloc(r->stack_list, ncap * sizeof(*n));
		if (!n)
			return &util_enomem;
		r->stack_list = n;
		r->stack_list_cap = ncap;
	}
	struct gr_frame *copy = util_arena_alloc(&r->snap->arena, buf->n * sizeof(*copy));
	if (!copy)
		return &util_enomem;
	if (buf->n)
		memcpy(copy, buf->v, buf->n * sizeof(*copy));
	r->stack_list[r->nstack_list] = (struct gr_stack_ref){copy, NULL, buf->n, head};
	struct util_error *err = util_u64map_put(&r->stacks, h, r->nstack_list + 1);
	if (err)
		return err;
	*ret = copy;
	*index_ret = (uint32_t)r->nstack_list;
	r->nstack_list++;
	r->snap->nstacks = r->nstack_list;
	return NULL;
}

struct util_error *gr_unwind(struct gr_reader *r, struct gr_goroutine *g,
			     const struct gr_unwind_start *start)
{
	struct gr_snapshot *s = r->snap;
	struct frame_buf buf = {0};
	struct util_error *err = NULL;
	const char *stop = NULL;
	const struct dw_arch *arch = dw_binary_arch(r->bin);
	uint64_t pc = start->pc, sp = start->sp, lr = arch->uses_lr ? start->lr : 0;
	bool trap = start->trap;

	// A PC of zero is most likely a call through a nil func value: start in
	// the caller's frame (runtime unwinder.initAt; on arm64 the return
	// address is at 0(SP) all the same, and SP stays).
	if (pc == 0) {
		err = core_read_u64(r->core, sp, &pc);
		if (err) {
			stop = gr_intern(s, err->message);
			util_error_destroy(err);
			err = NULL;
			goto out;
		}
		if (arch->uses_lr)
			lr = 0;
		else
			sp += 8;
	}

	for (size_t physical = 0;; physical++) {
		if (buf.n >= r->max_frames) {
			stop = gr_intern(s, "stack truncated: too many frames");
			break;
		}
		// The SPs are kept as offsets from the first (gr_frame_sp): one
		// below it, or 4 GiB above it (Go's stacks stop at 1 GB), is
		// corrupt data.
		if (buf.n && sp - buf.sp[0] > UINT32_MAX) {
			char msg[128];
			snprintf(msg, sizeof(msg), "sp 0x%llx is not within 4 GiB above the first frame's",
				 (unsigned long long)sp);
			stop = gr_intern(s, msg);
			break;
		}
		if (sp < start->stack_lo || sp >= start->stack_hi) {
			char msg[128];
			snprintf(msg, sizeof(msg), "sp 0x%llx outside the stack [0x%llx, 0x%llx)",
				 (unsigned long long)sp, (unsigned long long)start->stack_lo,
				 (unsigned long long)start->stack_hi);
			stop = gr_intern(s, msg);
			break;
		}
		const struct gr_pcinfo *info;
		err = gr_pcinfo_get(r, pc, trap, &info);
		if (err)
			goto out;
		if (!info->fn) {
			char msg[96];
			snprintf(msg, sizeof(msg), "pc 0x%llx is not in any Go function",
				 (unsigned long long)pc);
			stop = gr_intern(s, msg);
			break;
		}
		for (size_t i = 0; i < info->nlocs; i++) {
			struct gr_frame f = {
				.pc = pc,
				.func = info->locs[i].func,
				.file = info->locs[i].file,
				.line = info->locs[i].line,
				.inlined = info->locs[i].inlined,
				.pc_offset = (uint32_t)(pc - info->fn->entry),
				.wrapper = info->locs[i].wrapper,
			};
			if (!frame_push(&buf, &f, sp)) {
				err = &util_enomem;
				goto out;
			}
		}
		if (dw_func_is_topframe(r->bin, info->fn))
			break; // runtime.goexit, mstart, rt0_go: the bottom of the stack
		if (physical > 0 && dw_func_is_spwrite(r->bin, info->fn)) {
			// The frame switched stacks or set SP itself; Go's unwinder
			// stops here too (it cannot know where the caller is).
			stop = gr_intern(s, "stack ends in a function that writes SP");
			break;
		}
		if (!info->has_spdelta) {
			stop = gr_intern(s, "no frame size for this pc");
			break;
		}
		uint64_t fp = sp + (uint64_t)(int64_t)info->spdelta + arch->ret_size;
		err = gr_unwind_step(r, sp, fp, physical == 0, &lr);
		if (err) {
			stop = gr_intern(s, err->message);
			util_error_destroy(err);
			err = NULL;
			break;
		}
		if (lr == 0)
			break;
		if (lr == pc && fp == sp) {
			stop = gr_intern(s, "traceback stuck");
			break;
		}
		trap = is_injected_call(r, info->fn);
		pc = lr;
		lr = 0;
		sp = fp;
		if (arch->uses_lr && trap) {
			err = gr_unwind_injected_lr(r, &pc, &sp, &lr);
			if (err) {
				stop = gr_intern(s, err->message);
				util_error_destroy(err);
				err = NULL;
				break;
			}
		}
	}

out:
	if (!err && buf.n) {
		err = intern_frames(r, &buf, &g->frames, &g->stack_index);
		if (!err)
			err = share_sp_off(r, g->stack_index, &buf, g);
		if (!err)
			g->nframes = buf.n;
	} else if (!err) {
		// An empty stack is a stack too: the store gives every goroutine one.
		err = intern_frames(r, &buf, &g->frames, &g->stack_index);
	}
	g->stack_error = stop;
	free(buf.v);
	free(buf.sp);
	return err;
}

/* x86-64 rt_sigframe: pretcode, then ucontext {uc_flags, uc_link, uc_stack[3],
 * uc_mcontext.gregs[23]...}; gregs order is the kernel's sigcontext. */
enum { UC_GREGS = 40, GREG_RBP = 10, GREG_RSP = 15, GREG_RIP = 16 };
/* arm64 rt_sigframe (arch/arm64/kernel/signal.c; qemu-user writes the same):
 * siginfo (128 bytes), then ucontext {uc_flags, uc_link, uc_stack[3],
 * uc_sigmask, 120 bytes unused, uc_mcontext aligned 16: {fault_address,
 * regs[31], sp, pc, pstate}}. The handler is entered with SP at the frame. */
enum { A64_UC_REGS = 128 + 176 + 8, A64_NREGS = 33 /* x0-x30, sp, pc */ };

/*
 * The context the kernel saved in the signal frame above sigtramp, whose
 * frame's fp (its caller's SP: the frame on amd64 after pretcode, on arm64
 * the frame itself) is FP: the interrupted pc, sp, frame pointer and link
 * register.
 */
static struct util_error *read_sigframe(struct gr_reader *r, uint64_t fp,
					struct gr_unwind_start *ctx)
{
	if (dw_binary_arch(r->bin)->uses_lr) {
		uint64_t v[A64_NREGS];
		struct util_error *err = core_read(r->core, fp + A64_UC_REGS, v, sizeof(v));
		if (err)
			return err;
		ctx->bp = v[29];
		ctx->lr = v[30];
		ctx->sp = v[31];
		ctx->pc = v[32];
		return NULL;
	}
	uint64_t v[23];
	struct util_error *err = core_read(r->core, fp + UC_GREGS, v, sizeof(v));
	if (err)
		return err;
	ctx->pc = v[GREG_RIP];
	ctx->sp = v[GREG_RSP];
	ctx->bp = v[GREG_RBP];
	ctx->lr = 0;
	return NULL;
}

struct util_error *gr_signal_context(struct gr_reader *r, const struct core_thread *t,
				     uint64_t lo, uint64_t hi, struct gr_unwind_start *ret,
				     bool *found)
{
	*found = false;
	const struct dw_arch *arch = dw_binary_arch(r->bin);
	uint64_t pc = t->pc, sp = t->sp, lr = arch->uses_lr ? t->lr : 0;
	bool trap = true, innermost = true;
	// The signal stack holds a handful of runtime frames: sighandler,
	// sigtrampgo, sigtramp (and raise/crash/usleep above them).
	for (int depth = 0; depth < 64; depth++) {
		if (sp < lo || sp >= hi)
			return NULL;
		const struct dw_func *fn = dw_func_at(r->bin, pc);
		if (!fn)
			return NULL;
		const struct gr_pcinfo *info;
		struct util_error *err = gr_pcinfo_get(r, pc, trap, &info);
		if (err)
			return err;
		if (!info->has_spdelta)
			return NULL;
		uint64_t fp = sp + (uint64_t)(int64_t)info->spdelta + arch->ret_size;
		if (fn == r->fn_sigtramp) {
			struct gr_unwind_start ctx;
			err = read_sigframe(r, fp, &ctx);
			if (err)
				return util_error_catch(err, UTIL_ERROR_FAULT);
			if (ctx.sp >= lo && ctx.sp < hi) {
				// A signal inside the handler (a crash re-raises its
				// signal from dieFromSignal): keep unwinding the signal
				// stack from the interrupted handler's context.
				pc = ctx.pc;
				sp = ctx.sp;
				lr = arch->uses_lr ? ctx.lr : 0;
				trap = true;
				innermost = true;
				continue;
			}
			ret->pc = ctx.pc;
			ret->sp = ctx.sp;
			ret->bp = ctx.bp;
			ret->lr = ctx.lr;
			ret->trap = true;
			*found = true;
			return NULL;
		}
		if (dw_func_is_topframe(r->bin, fn))
			return NULL;
		err = gr_unwind_step(r, sp, fp, innermost, &lr);
		if (err)
			return util_error_catch(err, UTIL_ERROR_FAULT);
		if (!lr)
			return NULL;
		trap = false;
		innermost = false;
		pc = lr;
		lr = 0;
		sp = fp;
	}
	return NULL;
}
