// SPDX-License-Identifier: Apache-2.0
// layout.c: probe the runtime's struct layouts and constants from DWARF — every
// layout difference between Go releases is decided here by asking the binary.
#include <stdio.h>
#include <string.h>

#include "goruntime/internal.h"

struct probe {
	struct dw_binary *bin;
	struct util_error *err; /* first failure of a required probe */
};

/* A member every supported release has: its absence is an error. */
static uint64_t need(struct probe *p, const char *type, const char *member)
{
	uint64_t off = GR_ABSENT;
	if (p->err)
		return GR_ABSENT;
	struct util_error *err = dw_member_offset(p->bin, type, member, &off);
	if (err) {
		p->err = util_error_prefix(err, "runtime layout: %s.%s: ", type, member);
		return GR_ABSENT;
	}
	return off;
}

uint64_t gr_member(struct dw_binary *bin, const char *type, const char *member)
{
	uint64_t off = GR_ABSENT;
	struct util_error *err = dw_member_offset(bin, type, member, &off);
	if (err) {
		util_error_destroy(err);
		return GR_ABSENT;
	}
	return off;
}

uint64_t gr_member_any(struct dw_binary *bin, const char *type, const char *a, const char *b)
{
	uint64_t off = gr_member(bin, type, a);
	return off != GR_ABSENT || !b ? off : gr_member(bin, type, b);
}

uint64_t gr_type_size(struct dw_binary *bin, const char *type)
{
	uint64_t size;
	struct util_error *err = dw_type_size(bin, type, &size);
	if (err) {
		util_error_destroy(err);
		return 0;
	}
	return size;
}

uint64_t gr_global_addr(struct dw_binary *bin, const char *name)
{
	uint64_t addr = 0, size;
	struct util_error *err = dw_variable(bin, name, &addr, &size);
	if (err) {
		// Stripped of its DWARF variable, the symbol may still be there.
		util_error_destroy(err);
		err = dw_symbol(bin, name, &addr);
	}
	if (err) {
		util_error_destroy(err);
		return 0;
	}
	return addr;
}

/* A member that only some releases have: GR_ABSENT when missing. */
static uint64_t maybe(struct probe *p, const char *type, const char *member)
{
	return gr_member(p->bin, type, member);
}

/* Offset of an integer field that may be wrapped in an atomic type. */
static uint64_t need_atomic(struct probe *p, const char *type, const char *member)
{
	if (p->err)
		return GR_ABSENT;
	char path[128];
	// Go 1.20 made g.atomicstatus (and other counters) atomic.Uint32, a
	// struct whose only field "value" sits at +0; 1.19 has a plain uint32.
	snprintf(path, sizeof(path), "%s.value", member);
	uint64_t off = maybe(p, type, path);
	if (off != GR_ABSENT)
		return off;
	return need(p, type, member);
}

static int64_t need_const(struct probe *p, const char *name)
{
	int64_t v = -1;
	if (p->err)
		return -1;
	struct util_error *err = dw_constant(p->bin, name, &v);
	if (err)
		p->err = util_error_prefix(err, "runtime constant %s: ", name);
	return v;
}

int64_t gr_constant_or(struct dw_binary *bin, const char *name, int64_t dflt)
{
	int64_t v;
	struct util_error *err = dw_constant(bin, name, &v);
	util_error_destroy(err);
	return err ? dflt : v;
}

static int64_t maybe_const(struct probe *p, const char *name)
{
	return gr_constant_or(p->bin, name, -1);
}

static uint64_t need_var(struct probe *p, const char *name, uint64_t *size)
{
	uint64_t addr = GR_ABSENT, sz = 0;
	if (p->err)
		return GR_ABSENT;
	struct util_error *err = dw_variable(p->bin, name, &addr, &sz);
	if (err) {
		p->err = util_error_prefix(err, "runtime variable %s: ", name);
		return GR_ABSENT;
	}
	if (size)
		*size = sz;
	return addr;
}

struct status_ctx {
	struct gr_layout *l;
	struct dw_binary *bin;
};

/* Name each status value after its constant: runtime._Gwaiting → "waiting". */
static struct util_error *status_name_cb(const char *name, int64_t value, void *arg)
{
	struct gr_layout *l = arg;
	const char *suffix = name + strlen("runtime._G");
	if (value < 0 || value >= (int64_t)(sizeof(l->status_names) / sizeof(l->status_names[0])))
		return NULL;
	if (strncmp(suffix, "scan", 4) == 0)
		return NULL; // _Gscan and the _Gscan* combinations
	if (suffix[0] < 'a' || suffix[0] > 'z')
		return NULL; // runtime._GCoff, _GCmark...: GC phases, not statuses
	if (strcmp(suffix, "deadextra") == 0)
		suffix = "waiting for cgo callback"; // as gStatusStrings (Go 1.26+)
	if (!l->status_names[value])
		l->status_names[value] = suffix;
	return NULL;
}

struct util_error *gr_layout_probe(struct dw_binary *bin, struct gr_layout *l)
{
	struct probe p = {.bin = bin};
	memset(l, 0, sizeof(*l));

	const char *G = "runtime.g", *M = "runtime.m";
	struct util_error *err = dw_type_size(bin, G, &l->g_size);
	if (err)
		return util_error_prefix(err, "runtime layout: ");
	err = dw_type_size(bin, M, &l->m_size);
	if (err)
		return util_error_prefix(err, "runtime layout: ");

	l->g_stack_lo = need(&p, G, "stack.lo");
	l->g_stack_hi = need(&p, G, "stack.hi");
	l->g_m = need(&p, G, "m");
	// gobuf lost its "ret" field in Go 1.25/1.26, moving lr and bp; by name
	// the offsets come out right either way.
	l->g_sched_sp = need(&p, G, "sched.sp");
	l->g_sched_pc = need(&p, G, "sched.pc");
	l->g_sched_bp = need(&p, G, "sched.bp");
	l->g_sched_lr = maybe(&p, G, "sched.lr"); // used on arm64 (usesLR)
	l->g_syscallsp = need(&p, G, "syscallsp");
	l->g_syscallpc = need(&p, G, "syscallpc");
	l->g_syscallbp = maybe(&p, G, "syscallbp"); // Go 1.23+
	l->g_atomicstatus = need_atomic(&p, G, "atomicstatus");
	l->g_goid = need(&p, G, "goid"); // int64 in 1.19, uint64 since 1.20
	l->g_waitsince = need(&p, G, "waitsince");
	l->g_waitreason = need(&p, G, "waitreason");
	l->g_lockedm = need(&p, G, "lockedm");
	l->g_parent_goid = maybe(&p, G, "parentGoid"); // Go 1.21+
	l->g_gopc = need(&p, G, "gopc");
	l->g_startpc = need(&p, G, "startpc");
	l->g_labels = need(&p, G, "labels");

	l->m_g0 = need(&p, M, "g0");
	l->m_gsignal = need(&p, M, "gsignal");
	l->m_curg = need(&p, M, "curg");
	l->m_procid = need(&p, M, "procid");
	l->m_id = need(&p, M, "id");
	l->m_alllink = need(&p, M, "alllink");
	l->m_vdso_sp = maybe(&p, M, "vdsoSP");
	l->m_vdso_pc = maybe(&p, M, "vdsoPC");

	// A stripped executable has neither: gr_stripped_globals finds them in the core.
	bool stripped = dw_binary_is_stripped(bin);
	l->allgs_addr = stripped ? GR_ABSENT : need_var(&p, "runtime.allgs", NULL);
	l->allm_addr = stripped ? GR_ABSENT : need_var(&p, "runtime.allm", NULL);
	uint64_t wrs_size = 0;
	l->wrs_addr = need_var(&p, "runtime.waitReasonStrings", &wrs_size);
	l->wrs_count = wrs_size / 16; // [N]string, a string header is 16 bytes

	l->st_running = need_const(&p, "runtime._Grunning");
	l->st_syscall = need_const(&p, "runtime._Gsyscall");
	l->st_waiting = need_const(&p, "runtime._Gwaiting");
	l->st_dead = need_const(&p, "runtime._Gdead");
	l->st_scan = need_const(&p, "runtime._Gscan");
	l->st_leaked = maybe_const(&p, "runtime._Gleaked");       // Go 1.26+
	l->st_deadextra = maybe_const(&p, "runtime._Gdeadextra"); // Go 1.26+
	if (p.err)
		return p.err;
	err = dw_constants_with_prefix(bin, "runtime._G", status_name_cb, l);
	if (err)
		return err;

	// pprof labels: Go 1.24 changed labelMap from map[string]string to a
	// struct holding a sorted []label (runtime/pprof/label.go).
	// Go 1.26 made it embed internal/runtime/pprof/label.Set{List} instead,
	// which is what the runtime's own traceback reads.
	const char *LM = "runtime/pprof.labelMap";
	if (dw_has_member(bin, LM, "LabelSet") || dw_has_member(bin, LM, "Set")) {
		l->labels_are_slice = true;
		l->labels_list = maybe(&p, LM, "LabelSet.list");
		if (l->labels_list == GR_ABSENT)
			l->labels_list = maybe(&p, LM, "Set.List");
		if (l->labels_list == GR_ABSENT)
			l->labels_list = 0;
		// Go 1.26 moved the element type to internal/runtime/pprof/label.Label.
		const char *lt = dw_has_type(bin, "internal/runtime/pprof/label.Label")
					 ? "internal/runtime/pprof/label.Label"
					 : "runtime/pprof.label";
		bool new_names = strcmp(lt, "runtime/pprof.label") != 0;
		l->label_key = maybe(&p, lt, new_names ? "Key" : "key");
		l->label_value = maybe(&p, lt, new_names ? "Value" : "value");
		if (dw_type_size(bin, lt, &l->label_size))
			l->label_size = 32, l->label_key = 0, l->label_value = 16;
		if (l->label_key == GR_ABSENT || l->label_value == GR_ABSENT)
			l->label_key = 0, l->label_value = 16;
	}

	uint64_t sz;
	struct util_error *ferr = dw_variable(bin, "runtime.fingStatus", &l->fing_status_addr, &sz);
	if (ferr) {
		util_error_destroy(ferr);
		l->fing_status_addr = GR_ABSENT;
	}
	l->fing_running_finalizer = maybe_const(&p, "runtime.fingRunningFinalizer");
	return NULL;
}
