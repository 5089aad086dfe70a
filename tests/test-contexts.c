// SPDX-License-Identifier: Apache-2.0
// test-contexts.c: context.Context trees (goruntime/contexts.c, ctxfind.c) —
// every corpus core's contexts, registered children and holdings against the
// program's own account of them (the ctx/ctxtext/ctxchild/ctxheld lines of
// its stdout). Cores whose program printed no ctx lines are skipped.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <fcntl.h>
#include <gelf.h>

#include "core/core.h"
#include "dwarf/dwarf.h"
#include "goruntime/goruntime.h"
#include "tests/gotrace.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

static struct gt_manifest manifest;
static char tmpdir[] = "/tmp/gocoroner-contexts-XXXXXX";

/* Corpus helpers shared by the tests (tests/gotrace.c). */
#define path_in gt_path
#define row_named(name) gt_row(&manifest, (name))
#define unpack(row, col, suffix) gt_unpack(&manifest, (row), (col), TOP_SRCDIR "/corpus", tmpdir, (suffix))
#define patch(path, addr, bytes, len) assert_true(gt_patch_core((path), (addr), (bytes), (len)))



/* ---- The program's account ------------------------------------------------ */

struct exp_ctx {
	char name[64], kind[32], type[128], canceled[4], pending[4];
	unsigned long long addr, parent;
	long long deadline;
};

struct exp_text {
	char name[64], what[8];
	char text[512];
};

struct exp_child {
	unsigned long long parent, child;
};

struct exp_held {
	char name[64], func[256];
	unsigned long long goid, ctx;
};

#define MAX_EXP 512

struct expect {
	struct exp_ctx ctxs[MAX_EXP];
	struct exp_text texts[MAX_EXP];
	struct exp_child children[MAX_EXP];
	struct exp_held held[MAX_EXP];
	size_t nctxs, ntexts, nchildren, nheld;
};

static void read_expect(const char *path, struct expect *e)
{
	memset(e, 0, sizeof(*e));
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	char line[2048];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "ctx ", 4) == 0 && e->nctxs < MAX_EXP) {
			struct exp_ctx *c = &e->ctxs[e->nctxs];
			if (sscanf(line, "ctx %63s addr=%llx kind=%31s parent=%llx canceled=%3s deadline=%lld "
				   "pending=%3s type=%127[^\n]",
				   c->name, &c->addr, c->kind, &c->parent, c->canceled, &c->deadline,
				   c->pending, c->type) == 8)
				e->nctxs++;
		} else if (strncmp(line, "ctxtext ", 8) == 0 && e->ntexts < MAX_EXP) {
			struct exp_text *t = &e->texts[e->ntexts];
			int n = 0;
			if (sscanf(line, "ctxtext %63s %7s %n", t->name, t->what, &n) == 2 && n) {
				snprintf(t->text, sizeof(t->text), "%s", line + n);
				e->ntexts++;
			}
		} else if (strncmp(line, "ctxchild ", 9) == 0 && e->nchildren < MAX_EXP) {
			struct exp_child *c = &e->children[e->nchildren];
			char name[64];
			if (sscanf(line, "ctxchild %63s parent=%llx child=%llx", name, &c->parent,
				   &c->child) == 3)
				e->nchildren++;
		} else if (strncmp(line, "ctxheld ", 8) == 0 && e->nheld < MAX_EXP) {
			struct exp_held *h = &e->held[e->nheld];
			if (sscanf(line, "ctxheld %63s goid=%llu ctx=%llx func=%255s", h->name, &h->goid,
				   &h->ctx, h->func) == 4)
				e->nheld++;
		}
	}
	fclose(f);
}

/* ---- Comparing ------------------------------------------------------------- */

static const struct gr_context *find_ctx(const struct gr_snapshot *s, uint64_t addr)
{
	for (size_t i = 0; i < s->ncontexts; i++)
		if (s->contexts[i].addr == addr)
			return &s->contexts[i];
	return NULL;
}

/* A context's kind and strings, as names and text. */
static const char *kind_of(const struct gr_context *c)
{
	const char *k = gr_context_kind_name(c->kind);
	return k ? k : "";
}
#define STR(s, id) gr_str(&(s)->context_strings, id)

static bool cancels(const char *kind)
{
	return strcmp(kind, "cancel") == 0 || strcmp(kind, "timer") == 0 ||
	       strcmp(kind, "afterFunc") == 0;
}

/* Canceled as ctx.Err() != nil tells: value and stop contexts ask their parent. */
static int effective_canceled(const struct gr_snapshot *s, const struct gr_context *c)
{
	for (int depth = 0; c && depth < 10000; depth++) {
		if (c->kind != GR_CTXK_VALUE && c->kind != GR_CTXK_STOP)
			return c->canceled;
		c = c->parent_addr ? find_ctx(s, c->parent_addr) : NULL;
	}
	return -1;
}

static const struct exp_ctx *exp_named(const struct expect *e, const char *name)
{
	for (size_t i = 0; i < e->nctxs; i++)
		if (strcmp(e->ctxs[i].name, name) == 0)
			return &e->ctxs[i];
	return NULL;
}

/*
 * Which contexts of the program's account gocoroner can find: those a
 * goroutine holds (ctxheld), their ancestors (parent=), and the contexts in
 * the children of one found (ctxchild), to a fixed point. A context nothing
 * holds nor derives from (diag's TODO on Go 1.19, a distinct *emptyCtx) is
 * nowhere in the goroutines' reach and is not looked for.
 */
static void reachable_ctxs(const struct expect *e, bool *reach)
{
	for (size_t i = 0; i < e->nctxs; i++) {
		reach[i] = false;
		for (size_t k = 0; k < e->nheld && !reach[i]; k++)
			reach[i] = e->held[k].ctx == e->ctxs[i].addr;
	}
	for (bool changed = true; changed;) {
		changed = false;
		for (size_t i = 0; i < e->nctxs; i++) {
			if (reach[i])
				continue;
			for (size_t k = 0; k < e->nctxs && !reach[i]; k++)
				reach[i] = reach[k] && e->ctxs[k].parent == e->ctxs[i].addr;
			for (size_t c = 0; c < e->nchildren && !reach[i]; c++)
				if (e->children[c].child == e->ctxs[i].addr)
					for (size_t k = 0; k < e->nctxs && !reach[i]; k++)
						reach[i] = reach[k] &&
							   e->ctxs[k].addr == e->children[c].parent;
			changed |= reach[i];
		}
	}
}

static size_t check_ctx(const char *core, const struct gr_snapshot *s, const struct exp_ctx *x)
{
	const struct gr_context *c = find_ctx(s, x->addr);
	if (!c) {
		printf("%s: ctx %s 0x%llx not found\n", core, x->name, x->addr);
		return 1;
	}
	size_t bad = 0;
	bool empty = strcmp(x->kind, "background") == 0 || strcmp(x->kind, "todo") == 0;
	// Background and TODO share &runtime.zerobase from Go 1.21: one row.
	if (strcmp(kind_of(c), x->kind) != 0 &&
	    !(empty && (c->kind == GR_CTXK_BACKGROUND || c->kind == GR_CTXK_TODO))) {
		printf("%s: ctx %s: kind %s, want %s\n", core, x->name, kind_of(c), x->kind);
		bad++;
	}
	const char *tn = STR(s, c->type_name);
	if (!empty && strcmp(tn ? tn : "", x->type) != 0) {
		printf("%s: ctx %s: type %s, want %s\n", core, x->name, tn ? tn : "(null)", x->type);
		bad++;
	}
	if (c->parent_addr != x->parent) {
		printf("%s: ctx %s: parent 0x%llx, want 0x%llx\n", core, x->name,
		       (unsigned long long)c->parent_addr, x->parent);
		bad++;
	}
	int want = x->canceled[0] == '-' ? -1 : atoi(x->canceled);
	int got = effective_canceled(s, c);
	if (got != want) {
		printf("%s: ctx %s: canceled %d, want %d\n", core, x->name, got, want);
		bad++;
	}
	long long dl = c->has_deadline ? (long long)c->deadline_unix_ns : 0;
	if (dl != x->deadline) {
		printf("%s: ctx %s: deadline %lld, want %lld\n", core, x->name, dl, x->deadline);
		bad++;
	}
	int wantp = x->pending[0] == '-' ? -1 : atoi(x->pending);
	if (c->timer_pending != wantp) {
		printf("%s: ctx %s: pending %d, want %d\n", core, x->name, c->timer_pending, wantp);
		bad++;
	}
	return bad;
}

static size_t check_text(const char *core, const struct gr_snapshot *s, const struct expect *e,
			 const struct exp_text *t, bool *counted)
{
	const struct exp_ctx *x = exp_named(e, t->name);
	const struct gr_context *c = x ? find_ctx(s, x->addr) : NULL;
	*counted = false;
	if (!c)
		return 0; // reported by check_ctx
	const char *got = NULL;
	if (strcmp(t->what, "err") == 0) {
		if (!cancels(kind_of(c)))
			return 0; // Err() of a value context is its ancestor's
		got = STR(s, c->err);
	} else if (strcmp(t->what, "cause") == 0) {
		got = c->cause ? STR(s, c->cause) : STR(s, c->err); // Cause() is Err() when no cause was given
		if (!cancels(kind_of(c)))
			return 0;
	} else if (strcmp(t->what, "key") == 0) {
		got = STR(s, c->value_key);
	} else if (strcmp(t->what, "value") == 0) {
		got = STR(s, c->value_text);
	} else {
		return 0;
	}
	*counted = true;
	if (got && strcmp(got, t->text) == 0)
		return 0;
	printf("%s: ctx %s: %s %s, want %s\n", core, t->name, t->what, got ? got : "(none)", t->text);
	return 1;
}

static const struct gr_goroutine *find_g(const struct gr_snapshot *s, uint64_t goid)
{
	for (size_t i = 0; i < s->ngoroutines; i++)
		if (s->goroutines[i].goid == goid)
			return &s->goroutines[i];
	return NULL;
}

static size_t check_core(const struct gt_manifest_row *row, bool *had_lines)
{
	const char *name = gt_col(&manifest, row, "name");
	char *out_path = path_in(TOP_SRCDIR "/corpus", gt_col(&manifest, row, "stdout"));
	struct expect *e = malloc(sizeof(*e));
	assert_non_null(e);
	read_expect(out_path, e);
	free(out_path);
	*had_lines = e->nctxs > 0;
	if (!*had_lines) {
		free(e);
		return 0;
	}
	char *exe = unpack(row, "exe", ".exe");
	char *core_path = path_in(TOP_SRCDIR "/corpus", gt_col(&manifest, row, "core"));
	struct core_file *core;
	struct dw_binary *bin;
	struct gr_snapshot *snap;
	assert_null(core_open(core_path, &core));
	assert_null(dw_binary_open(exe, &bin));
	assert_null(core_attach_exe(core, exe, false));
	assert_null(gr_snapshot_create(core, bin, NULL, &snap));
	bool debug = strcmp(gt_col(&manifest, row, "mode"), "debug") == 0;
	size_t bad = 0, ctx_ok = 0, child_ok = 0, held_ok = 0, ndwarf = 0, nscan = 0;
	size_t texts = 0, texts_ok = 0;
	bool *reach = calloc(e->nctxs + 1, sizeof(*reach));
	assert_non_null(reach);
	reachable_ctxs(e, reach);
	size_t unheld = 0;
	for (size_t i = 0; i < e->nctxs; i++) {
		if (!reach[i]) {
			unheld++;
			continue;
		}
		size_t b = check_ctx(name, snap, &e->ctxs[i]);
		bad += b;
		ctx_ok += !b;
	}
	for (size_t i = 0; i < e->ntexts; i++) {
		bool counted;
		size_t b = check_text(name, snap, e, &e->texts[i], &counted);
		bad += b;
		texts += counted;
		texts_ok += counted && !b;
	}
	for (size_t i = 0; i < e->nchildren; i++) {
		bool found = false;
		for (size_t k = 0; k < snap->ncontext_children && !found; k++)
			found = snap->context_children[k].parent_addr == e->children[i].parent &&
				snap->context_children[k].child_addr == e->children[i].child;
		if (found) {
			child_ok++;
		} else {
			printf("%s: ctxchild 0x%llx → 0x%llx not found\n", name, e->children[i].parent,
			       e->children[i].child);
			bad++;
		}
	}
	for (size_t i = 0; i < e->nheld; i++) {
		const struct exp_held *h = &e->held[i];
		const struct gr_goroutine *g = find_g(snap, h->goid);
		const struct gr_goroutine_context *hit = NULL;
		for (size_t k = 0; k < snap->ngoroutine_contexts && !hit; k++) {
			const struct gr_goroutine_context *gc = &snap->goroutine_contexts[k];
			if (gc->goid != h->goid || gc->ctx_addr != h->ctx || !g || gc->frame_depth < 0 ||
			    (size_t)gc->frame_depth >= g->nframes)
				continue;
			if (strcmp(g->frames[gc->frame_depth].func, h->func) == 0)
				hit = gc;
		}
		if (hit) {
			held_ok++;
			ndwarf += strcmp(hit->found_by, "dwarf") == 0;
			nscan += strcmp(hit->found_by, "stack-scan") == 0;
		} else {
			// Debug and optimized builds alike: what DWARF does not locate,
			// the stack scan finds by itab or, with the itab a constant of
			// the code, by the bare pointer to a context already found.
			printf("%s: ctxheld %s goroutine %llu ctx 0x%llx in %s not found (%s build)\n",
			       name, h->name, h->goid, h->ctx, h->func, debug ? "debug" : "optimized");
			bad++;
		}
	}
	// The programs' contexts are all live and whole: an ancestor that does
	// not decode means a stale object was taken for a context (a dead stack
	// slot still pointing at a freed cancelCtx whose parent was reused).
	for (size_t i = 0; i < snap->ndiags; i++) {
		const struct gr_diag *d = &snap->diags[i];
		if (strcmp(d->what, "context") == 0 && strstr(d->detail, "does not decode")) {
			printf("%s: unexpected diagnostic: %s\n", name, d->detail);
			bad++;
		}
	}
	printf("# %s %s: %zu/%zu contexts, %zu/%zu texts, %zu/%zu children, %zu/%zu holdings "
	       "(%zu dwarf, %zu stack-scan) match the program; %zu holdings in all",
	       name, gt_col(&manifest, row, "go_version"), ctx_ok, e->nctxs - unheld, texts_ok,
	       texts, child_ok, e->nchildren, held_ok, e->nheld, ndwarf, nscan,
	       snap->ngoroutine_contexts);
	if (unheld)
		printf(" (%zu context%s in no goroutine's reach: not looked for)", unheld,
		       unheld == 1 ? "" : "s");
	printf("\n");
	free(reach);
	gr_snapshot_destroy(snap);
	dw_binary_destroy(bin);
	core_destroy(core);
	unlink(exe);
	free(exe);
	free(core_path);
	free(e);
	return bad;
}

/* ---- Corrupted context data ----------------------------------------------- */


static void patch64(const char *core_path, uint64_t addr, uint64_t v)
{
	patch(core_path, addr, &v, 8);
}

struct corrupt_env {
	char *exe, *core;
	struct dw_binary *bin;
	struct core_file *orig;   /* the unpatched core, to read words from */
	struct expect *e;
};

static void corrupt_setup(struct corrupt_env *env, const char *name)
{
	const struct gt_manifest_row *row = NULL;
	for (size_t i = 0; i < manifest.nrows && !row; i++)
		if (strcmp(gt_col(&manifest, &manifest.rows[i], "name"), name) == 0)
			row = &manifest.rows[i];
	if (!row) {
		printf("corpus core %s not found: skipped\n", name);
		skip();
	}
	env->exe = unpack(row, "exe", ".exe");
	env->core = unpack(row, "core", ".core");
	assert_null(dw_binary_open(env->exe, &env->bin));
	assert_null(core_open(env->core, &env->orig));
	assert_null(core_attach_exe(env->orig, env->exe, false));
	env->e = malloc(sizeof(*env->e));
	assert_non_null(env->e);
	char *out = path_in(TOP_SRCDIR "/corpus", gt_col(&manifest, row, "stdout"));
	read_expect(out, env->e);
	free(out);
}

static void corrupt_teardown(struct corrupt_env *env)
{
	core_destroy(env->orig);
	dw_binary_destroy(env->bin);
	unlink(env->exe);
	unlink(env->core);
	free(env->exe);
	free(env->core);
	free(env->e);
}

static uint64_t exp_addr(const struct corrupt_env *env, const char *name)
{
	const struct exp_ctx *x = exp_named(env->e, name);
	assert_non_null(x);
	return x->addr;
}

static uint64_t member_off(const struct corrupt_env *env, const char *type, const char *m)
{
	uint64_t off;
	assert_null(dw_member_offset(env->bin, type, m, &off));
	return off;
}

static uint64_t orig_word(const struct corrupt_env *env, uint64_t addr)
{
	uint64_t v;
	assert_null(core_read(env->orig, addr, &v, 8));
	return v;
}

/* The patched core read from scratch: it must succeed. */
static struct gr_snapshot *read_patched(const struct corrupt_env *env)
{
	struct core_file *core;
	struct gr_snapshot *snap;
	assert_null(core_open(env->core, &core));
	assert_null(core_attach_exe(core, env->exe, false));
	assert_null(gr_snapshot_create(core, env->bin, NULL, &snap));
	core_destroy(core);
	return snap;
}

/* Context diagnostics whose detail contains NEEDLE. */
static size_t ctx_diags(const struct gr_snapshot *s, const char *needle)
{
	size_t n = 0;
	for (size_t i = 0; i < s->ndiags; i++)
		n += strcmp(s->diags[i].what, "context") == 0 && strstr(s->diags[i].detail, needle);
	return n;
}

/* What the snapshot says of contexts is consistent: every parent chain ends,
 * every child link and holding names a context found. */
static void assert_consistent(const struct gr_snapshot *s)
{
	for (size_t i = 0; i < s->ncontexts; i++) {
		const struct gr_context *c = &s->contexts[i];
		size_t steps = 0;
		for (; c && c->parent_addr && steps <= s->ncontexts; steps++)
			c = find_ctx(s, c->parent_addr);
		if (steps > s->ncontexts)
			fail_msg("context 0x%llx: its parent chain loops",
				 (unsigned long long)s->contexts[i].addr);
	}
	for (size_t i = 0; i < s->ncontext_children; i++) {
		assert_non_null(find_ctx(s, s->context_children[i].parent_addr));
		assert_non_null(find_ctx(s, s->context_children[i].child_addr));
	}
	for (size_t i = 0; i < s->ngoroutine_contexts; i++)
		assert_non_null(find_ctx(s, s->goroutine_contexts[i].ctx_addr));
}

/* (a) A cancelCtx whose parent is itself, then a two-context cycle. */
static void test_parent_cycle(void **state)
{
	(void)state;
	struct corrupt_env env;
	corrupt_setup(&env, "hang-go1.24-opt-kernel");
	uint64_t child = exp_addr(&env, "tree-child-1"), value = exp_addr(&env, "tree-gc-1-value");
	uint64_t via_value = exp_addr(&env, "tree-child-2"); // its parent is a *valueCtx
	uint64_t parent = member_off(&env, "context.cancelCtx", "Context");
	uint64_t vparent = member_off(&env, "context.valueCtx", "Context");
	assert_int_equal(orig_word(&env, value + vparent + 8), child);

	patch64(env.core, child + parent + 8, child);
	struct gr_snapshot *snap = read_patched(&env);
	const struct gr_context *c = find_ctx(snap, child);
	assert_non_null(c);
	assert_int_not_equal(c->parent_addr, child);
	assert_consistent(snap);
	assert_true(ctx_diags(snap, "cycle") >= 1);
	gr_snapshot_destroy(snap);

	// tree-child-1 → tree-gc-1-value → tree-child-1.
	patch64(env.core, child + parent, orig_word(&env, via_value + parent));
	patch64(env.core, child + parent + 8, value);
	snap = read_patched(&env);
	assert_non_null(find_ctx(snap, child));
	assert_non_null(find_ctx(snap, value));
	assert_consistent(snap);
	assert_true(ctx_diags(snap, "cycle") >= 1);
	gr_snapshot_destroy(snap);
	corrupt_teardown(&env);
}

/* (b) cancelCtx.children pointing to unmapped memory, then to readable garbage. */
static void children_garbage(const char *core_name)
{
	struct corrupt_env env;
	corrupt_setup(&env, core_name);
	uint64_t root = exp_addr(&env, "tree-root");
	uint64_t at = root + member_off(&env, "context.cancelCtx", "children");
	assert_int_not_equal(orig_word(&env, at), 0);

	patch64(env.core, at, 0x00007ff0deadb000ULL);
	struct gr_snapshot *snap = read_patched(&env);
	assert_non_null(find_ctx(snap, root));
	assert_consistent(snap);
	assert_true(ctx_diags(snap, "children") >= 1);
	gr_snapshot_destroy(snap);

	// The map header read from the code, then from the context itself.
	uint64_t garbage[] = {orig_word(&env, root) /* an itab */, root};
	for (size_t k = 0; k < sizeof(garbage) / sizeof(garbage[0]); k++) {
		patch64(env.core, at, garbage[k]);
		snap = read_patched(&env);
		assert_non_null(find_ctx(snap, root));
		assert_consistent(snap);
		gr_snapshot_destroy(snap);
	}
	corrupt_teardown(&env);
}

static void test_children_garbage(void **state)
{
	(void)state;
	children_garbage("hang-go1.24-opt-kernel"); // swiss map
	children_garbage("hang-go1.19-opt-kernel"); // classic hmap
}

/* (c) A valueCtx whose key is a wild pointer: its data word, then its type word. */
static void test_value_key_wild(void **state)
{
	(void)state;
	struct corrupt_env env;
	corrupt_setup(&env, "hang-go1.24-opt-kernel");
	uint64_t value = exp_addr(&env, "deep-tenant");
	uint64_t key = value + member_off(&env, "context.valueCtx", "key");
	uint64_t parent = orig_word(&env, value + member_off(&env, "context.valueCtx", "Context") + 8);
	uint64_t wild[] = {0x00007ff0deadb008ULL, 0x8000000000000008ULL, 1};
	for (int word = 0; word < 2; word++) {
		for (size_t k = 0; k < sizeof(wild) / sizeof(wild[0]); k++) {
			patch64(env.core, key + 8 * (uint64_t)word, wild[k]);
			struct gr_snapshot *snap = read_patched(&env);
			const struct gr_context *c = find_ctx(snap, value);
			assert_non_null(c);
			assert_int_equal(c->kind, GR_CTXK_VALUE);
			assert_int_equal(c->parent_addr, parent);
			assert_true(!c->value_key || strstr(STR(snap, c->value_key), "tenant") == NULL);
			assert_true(ctx_diags(snap, "key") >= 1);
			assert_consistent(snap);
			gr_snapshot_destroy(snap);
		}
		patch64(env.core, key + 8 * (uint64_t)word, orig_word(&env, key + 8 * (uint64_t)word));
	}
	corrupt_teardown(&env);
}

/*
 * gr_cancel_sets on a corrupt core's parent cycle (two canceled cancelCtx,
 * each the other's parent, and a value below one): the walks stop at their
 * 1,000 steps, up and down, instead of going round for ever.
 */
static void test_cancel_sets_cycle(void **state)
{
	(void)state;
	struct gr_context c[] = {
		{.addr = 0x10, .kind = GR_CTXK_CANCEL, .parent_addr = 0x20, .canceled = 1},
		{.addr = 0x20, .kind = GR_CTXK_VALUE, .parent_addr = 0x10, .canceled = 0},
		{.addr = 0x30, .kind = GR_CTXK_VALUE, .parent_addr = 0x10, .canceled = 0},
		{.addr = 0x40, .kind = GR_CTXK_USER, .parent_addr = 0x30, .canceled = -1},
	};
	struct util_arena arena;
	util_arena_init(&arena);
	struct gr_cancel_sets cs;
	struct gr_strings none = {0};
	assert_null(gr_cancel_sets(c, 4, &none, &arena, &cs));
	assert_int_equal(cs.ncanceled, 1);
	assert_int_equal(cs.canceled[0].addr, 0x10);
	assert_int_equal(cs.canceled[0].origin_addr, 0x10); // itself: 1,000 steps up, every other one 0x10
	assert_true(cs.canceled[0].origin_steps <= 1000);
	// Down: 0x10, then 0x20 and 0x30 below it, 0x10 below 0x20 is a seed (not
	// entered again), 0x40 below 0x30 with user_addr itself.
	assert_int_equal(cs.nbelow, 4);
	assert_false(cs.cut);
	for (size_t i = 0; i < cs.nbelow; i++) {
		const struct gr_ctx_below *b = &cs.below[i];
		assert_int_equal(b->seed_addr, 0x10);
		if (b->addr == 0x40) {
			assert_int_equal(b->depth, 2);
			assert_int_equal(b->user_addr, 0x40);
			assert_string_equal(b->path, "0x10 cancel (canceled) > 0x30 value > 0x40 user");
		}
	}
	util_arena_deinit(&arena);
}

static void test_corpus(void **state)
{
	(void)state;
	if (!manifest.nrows) {
		printf("corpus not found: skipped\n");
		skip();
	}
	size_t bad = 0, with_lines = 0, stripped = 0;
	for (size_t i = 0; i < manifest.nrows; i++) {
		bool had;
		// Stripped executables too: their contexts from the conservative
		// stack scan, the context types' layouts from their descriptors.
		bad += check_core(&manifest.rows[i], &had);
		with_lines += had;
		stripped += had && gt_row_stripped(&manifest, &manifest.rows[i]);
	}
	// hang-stripped: go1.22 gcore, go1.27 gcore and kernel.
	assert_int_equal(stripped, 3);
	if (!with_lines) {
		printf("no corpus core has ctx lines yet: skipped\n");
		skip();
	}
	if (bad)
		fail_msg("%zu mismatches with the programs' own account", bad);
}

int main(void)
{
	char *m = path_in(TOP_SRCDIR, "corpus/manifest.tsv");
	gt_manifest_read(m, &manifest);
	free(m);
	if (!mkdtemp(tmpdir))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cancel_sets_cycle),
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_parent_cycle),
		cmocka_unit_test(test_children_garbage),
		cmocka_unit_test(test_value_key_wild),
	};
	int rc = cmocka_run_group_tests_name("contexts", tests, NULL, NULL);
	rmdir(tmpdir);
	gt_manifest_free(&manifest);
	return rc;
}
