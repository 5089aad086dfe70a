// SPDX-License-Identifier: Apache-2.0
// stripped.c: the runtime's globals of a stripped executable (no symbols, no
// DWARF), found from what the threads and the core give — heuristics, each
// told as a diagnostic: each thread's g in its TLS leads to its m, the m's
// lead to runtime.allm, and the goroutines they run to runtime.allgs.
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "goruntime/internal.h"

enum {
	MAX_THREAD_MS = 4096,      /* distinct Ms found from threads */
	MAX_CHAIN = 100000,        /* Ms followed along one alllink chain */
	MAX_ALLGS = 1 << 26,       /* a larger allgs is taken for another slice */
	SCAN_CHUNK = 1 << 16,
};

struct found {
	uint64_t ms[MAX_THREAD_MS]; /* Ms of the threads (m.procid is the thread's id) */
	size_t nms;
	uint64_t curgs[MAX_THREAD_MS]; /* their m.curg, 0 when none */
};

static bool have_m(const struct found *f, uint64_t m)
{
	for (size_t i = 0; i < f->nms; i++)
		if (f->ms[i] == m)
			return true;
	return false;
}

/*
 * The g a thread runs is at -8(FS) on linux/amd64 for a Go program without
 * cgo (runtime·settls: "ELF wants to use -8(FS)", 1.19
 * runtime/sys_linux_amd64.s:644, 1.27 :660); g.m is its M, which is the
 * thread's if m.procid is the thread's id.
 */
static void thread_ms(struct gr_reader *r, struct found *f)
{
	const struct gr_layout *l = &r->layout;
	for (size_t i = 0; i < core_num_threads(r->core) && f->nms < MAX_THREAD_MS; i++) {
		const struct core_thread *t = core_thread(r->core, i);
		uint64_t g, m, procid, curg;
		if (t->regs.fs_base < 8 || !gr_read_ok(r->core, t->regs.fs_base - 8, &g, 8) ||
		    !g || !gr_read_ok(r->core, g + l->g_m, &m, 8) || !m ||
		    !gr_read_ok(r->core, m + l->m_procid, &procid, 8) || procid != t->tid ||
		    have_m(f, m))
			continue;
		if (!gr_read_ok(r->core, m + l->m_curg, &curg, 8))
			curg = 0;
		f->curgs[f->nms] = curg;
		f->ms[f->nms++] = m;
	}
}

/* How many of the threads' Ms the alllink chain from M reaches. */
static size_t chain_cover(struct gr_reader *r, const struct found *f, uint64_t m)
{
	size_t n = 0;
	for (size_t steps = 0; m && steps < MAX_CHAIN; steps++) {
		if (have_m(f, m))
			n++;
		if (!gr_read_ok(r->core, m + r->layout.m_alllink, &m, 8))
			break;
	}
	return n;
}

/* Call FN on each 8-aligned word of the section NAME as the core holds it. */
static void scan_section(struct gr_reader *r, const char *name,
			 void (*fn)(struct gr_reader *r, uint64_t addr, const uint64_t *w, size_t n,
				    void *arg),
			 void *arg)
{
	uint64_t addr, size;
	if (!dw_binary_section(r->bin, name, &addr, &size))
		return;
	uint64_t end = addr + size;
	addr = (addr + 7) & ~(uint64_t)7;
	uint64_t *buf = malloc(SCAN_CHUNK + 16);
	if (!buf)
		return;
	// Chunks overlap by two words, so a slice header straddling them is seen.
	for (uint64_t a = addr; a + 8 <= end; a += SCAN_CHUNK) {
		size_t len = end - a < SCAN_CHUNK + 16 ? (size_t)(end - a) & ~(size_t)7 : SCAN_CHUNK + 16;
		if (gr_read_ok(r->core, a, buf, len))
			fn(r, a, buf, len / 8, arg);
	}
	free(buf);
}

struct allm_scan {
	const struct found *f;
	uint64_t best_addr;
	size_t best_cover;
};

static void allm_cb(struct gr_reader *r, uint64_t addr, const uint64_t *w, size_t n, void *arg)
{
	struct allm_scan *s = arg;
	for (size_t i = 0; i < n && i < SCAN_CHUNK / 8; i++) {
		if (!have_m(s->f, w[i]))
			continue;
		size_t c = chain_cover(r, s->f, w[i]);
		if (c > s->best_cover)
			s->best_cover = c, s->best_addr = addr + 8 * i;
	}
}

struct allgs_scan {
	const struct found *f;
	uint64_t best_addr, best_len;
};

/* A slice header (array, len, cap) whose first g is goroutine 1 and which holds every thread's curg. */
static bool is_allgs(struct gr_reader *r, const struct found *f, const uint64_t *w)
{
	const struct gr_layout *l = &r->layout;
	uint64_t arr = w[0], len = w[1], cap = w[2], g0, goid;
	if (!arr || (arr & 7) || !len || len > cap || cap > MAX_ALLGS ||
	    !gr_read_ok(r->core, arr, &g0, 8) || !g0 ||
	    !gr_read_ok(r->core, g0 + l->g_goid, &goid, 8) || goid != 1)
		return false;
	uint64_t *gs = malloc(len * 8);
	if (!gs)
		return false;
	bool ok = gr_read_ok(r->core, arr, gs, len * 8);
	for (size_t i = 0; ok && i < f->nms; i++) {
		bool in = !f->curgs[i];
		for (uint64_t k = 0; !in && k < len; k++)
			in = gs[k] == f->curgs[i];
		ok = in;
	}
	free(gs);
	return ok;
}

static void allgs_cb(struct gr_reader *r, uint64_t addr, const uint64_t *w, size_t n, void *arg)
{
	struct allgs_scan *s = arg;
	for (size_t i = 0; i + 3 <= n && i < SCAN_CHUNK / 8; i++)
		if (w[i + 1] > s->best_len && is_allgs(r, s->f, w + i))
			s->best_len = w[i + 1], s->best_addr = addr + 8 * i;
}

struct util_error *gr_stripped_globals(struct gr_reader *r)
{
	struct gr_layout *l = &r->layout;
	const char *rel = dw_binary_layouts_release(r->bin);
	gr_diag(r->snap, "warning", "stripped",
		"stripped executable (no DWARF, no symbols): runtime layouts from the binary's type "
		"descriptors where found, else assumed from the built-in %s table (%s per "
		".go.buildinfo; which is which: diagnostics 'stripped'); contexts from a conservative "
		"stack scan (context types' layouts from their descriptors; holdings by frame, "
		"unverified; contexts only the heap reaches are missed); unavailable: defers, "
		"panics, heap reachability, frame variables; sync waits by semaphore address only",
		rel, dw_binary_build_version(r->bin));
	if (dw_binary_debug_looked(r->bin))
		gr_diag(r->snap, "warning", "stripped",
			"no separate debug file was found (looked: %s); give it with --debug-file or "
			"--debug-dir for the full analysis", dw_binary_debug_looked(r->bin));
	for (size_t i = 0; dw_binary_heuristic(r->bin, i); i++)
		gr_diag(r->snap, "info", "stripped", "heuristic: %s", dw_binary_heuristic(r->bin, i));

	struct found *f = calloc(1, sizeof(*f));
	if (!f)
		return &util_enomem;
	thread_ms(r, f);
	struct util_error *err = NULL;
	if (!f->nms) {
		err = util_error_create(UTIL_ERROR_UNSUPPORTED,
					"stripped executable: no thread's g (at -8(FS)) leads to a runtime.m "
					"whose procid is the thread's: cannot find runtime.allm (a cgo "
					"program keeps g elsewhere)");
		goto out;
	}
	struct allm_scan ms = {.f = f};
	scan_section(r, ".bss", allm_cb, &ms);
	if (!ms.best_cover) {
		err = util_error_create(UTIL_ERROR_UNSUPPORTED,
					"stripped executable: no word of .bss points to an M of the "
					"threads: cannot find runtime.allm");
		goto out;
	}
	l->allm_addr = ms.best_addr;
	gr_diag(r->snap, "info", "stripped",
		"heuristic: runtime.allm at %#" PRIx64 ": the word of .bss whose m.alllink list "
		"reaches the most of the %zu Ms the threads run (%zu)",
		ms.best_addr, f->nms, ms.best_cover);

	struct allgs_scan gs = {.f = f};
	scan_section(r, ".bss", allgs_cb, &gs);
	if (!gs.best_len) {
		err = util_error_create(UTIL_ERROR_UNSUPPORTED,
					"stripped executable: no slice in .bss starts with goroutine 1 "
					"and holds the goroutines the threads run: cannot find "
					"runtime.allgs");
		goto out;
	}
	l->allgs_addr = gs.best_addr;
	gr_diag(r->snap, "info", "stripped",
		"heuristic: runtime.allgs at %#" PRIx64 ": the longest slice in .bss whose first "
		"g is goroutine 1 and which holds every thread's m.curg (%" PRIu64 " goroutines)",
		gs.best_addr, gs.best_len);
out:
	free(f);
	return err;
}
