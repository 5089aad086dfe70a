// SPDX-License-Identifier: Apache-2.0
// contexts.c: decode context.Context objects — kind, parent, Done channel,
// cancellation, deadline, values — and their registered children. Layouts are
// probed from DWARF by member name (cancelCtx.err became an atomic.Value in Go
// 1.26, cause arrived in 1.20, time.Timer lost its runtimeTimer in 1.23, maps
// went swiss in 1.24); types are recognised once per type descriptor.
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "goruntime/ctx.h"

enum {
	MAX_CHAIN = 4096,        /* ancestors followed from one context */
	MAX_CHILDREN = 1 << 20,  /* children read from one map */
	MAX_MEMBERS = 64,
	KIND_CHAN = 18,
	KIND_STRING = 24,
	RELEASE_EVERY = 256,     /* 64 KiB regions read between core_release_pages */
	RELEASE_MAPS = 256,      /* children maps read between core_release_pages */
};

void gr_ctx_diag(struct gr_ctx *c, const char *severity, const char *fmt, ...)
{
	if (c->quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	gr_vdiag_capped(c->r->snap, &c->diags, severity, fmt, ap);
	va_end(ap);
}

/* ---- Probing ------------------------------------------------------------- */

static uint64_t global_word(struct gr_ctx *c, const char *name, uint64_t off)
{
	uint64_t addr = gr_global_addr(c->r->bin, name), v = 0;
	if (!addr || !gr_read_ok(c->r->core, addr + off, &v, 8))
		return 0;
	return v;
}

static void probe(struct gr_ctx *c)
{
	struct dw_binary *b = c->r->bin;
	struct util_error *err;
	const char *CC = "context.cancelCtx";
	c->cc_size = gr_type_size(c->r->bin, CC);
	c->cc_parent = gr_member(c->r->bin, CC, "Context");
	c->cc_done = gr_member(c->r->bin, CC, "done");
	c->cc_children = gr_member(c->r->bin, CC, "children");
	c->cc_err = gr_member(c->r->bin, CC, "err");
	c->cc_cause = gr_member(c->r->bin, CC, "cause"); // Go 1.20+
	const char *et = NULL;
	err = dw_member_type_name(b, CC, "err", &et);
	util_error_destroy(err);
	c->err_atomic = !err && et && strstr(et, "atomic.Value");
	// Stripped: no member type names, but an atomic.Value's field v.
	if (err && dw_binary_is_stripped(b))
		c->err_atomic = gr_member(b, CC, "err.v") != GR_ABSENT;
	c->tc_size = gr_type_size(c->r->bin, "context.timerCtx");
	c->tc_cancel = gr_member(c->r->bin, "context.timerCtx", "cancelCtx");
	c->tc_timer = gr_member(c->r->bin, "context.timerCtx", "timer");
	c->tc_deadline = gr_member(c->r->bin, "context.timerCtx", "deadline");
	c->af_size = gr_type_size(c->r->bin, "context.afterFuncCtx");
	c->af_cancel = gr_member(c->r->bin, "context.afterFuncCtx", "cancelCtx");
	c->vc_size = gr_type_size(c->r->bin, "context.valueCtx");
	c->vc_parent = gr_member(c->r->bin, "context.valueCtx", "Context");
	c->vc_key = gr_member(c->r->bin, "context.valueCtx", "key");
	c->vc_val = gr_member(c->r->bin, "context.valueCtx", "val");
	c->wc_parent = gr_member(c->r->bin, "context.withoutCancelCtx", "c");
	c->sc_parent = gr_member(c->r->bin, "context.stopCtx", "Context");
	// Timers: time.Timer{C; r runtimeTimer} until 1.22; from 1.23 the
	// *time.Timer is a runtime.timeTimer{c; init; timer}.
	c->tm_when = gr_member(c->r->bin, "runtime.timeTimer", "timer.when");
	if (c->tm_when != GR_ABSENT) {
		c->tm_runtime = true;
	} else {
		c->tm_when = gr_member(c->r->bin, "time.Timer", "r.when");
		c->tm_status = gr_member(c->r->bin, "time.Timer", "r.status");
		if (c->tm_when == GR_ABSENT && dw_has_member(b, "time.Timer", "initTimer")) {
			// 1.23+ without runtime.timeTimer in DWARF: timer at +16, when in runtime.timer.
			uint64_t w = gr_member(c->r->bin, "runtime.timer", "when");
			if (w != GR_ABSENT) {
				c->tm_when = 16 + w;
				c->tm_runtime = true;
			}
		}
	}
	c->hc_closed = gr_member(c->r->bin, "runtime.hchan", "closed");
	c->hc_size = gr_type_size(c->r->bin, "runtime.hchan");
	// Globals: Canceled's data word, closedchan, 1.19–1.20's background/todo.
	c->canceled_data = global_word(c, "context.Canceled", 8);
	c->closedchan = global_word(c, "context.closedchan", 0);
	c->background = global_word(c, "context.background", 0);
	c->todo = global_word(c, "context.todo", 0);
	c->deadline_type = gr_type_addr(c->r, "context.deadlineExceededError");
	c->iface_ctx_type = gr_type_addr(c->r, "context.Context");
	c->ok = c->cc_size && c->cc_parent != GR_ABSENT && c->cc_done != GR_ABSENT &&
		c->cc_err != GR_ABSENT && c->cc_children != GR_ABSENT;
	// The children: a map[canceler]struct{}, whose keys are 16-byte ifaces.
	gr_map_type_probe(c->r, "bucket<context.canceler,struct {}>",
			  "noalg.map.group[context.canceler]struct {}", 16, 0, &c->children_map);
}

struct util_error *gr_ctx_init(struct gr_reader *r)
{
	struct gr_ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return &util_enomem;
	c->r = r;
	c->diags = GR_DIAG_CAP("context", GR_DIAG_MAX);
	util_u64map_init(&c->type_index);
	util_u64map_init(&c->itabs);
	r->ctx = c;
	probe(c);
	return NULL;
}

void gr_ctx_free(struct gr_reader *r)
{
	struct gr_ctx *c = r->ctx;
	if (!c)
		return;
	gr_diag_cap_flush(r->snap, &c->diags);
	util_u64map_deinit(&c->type_index);
	util_u64map_deinit(&c->itabs);
	gr_ctx_drop_lookups(c);
	free(c->types);
	util_unmap_array(c->ctxs, c->ctxs_cap, sizeof(*c->ctxs));
	free(c->strs.v);
	free(c);
	r->ctx = NULL;
}

/* ---- Types ----------------------------------------------------------------- */

static enum gr_ctx_kind kind_by_name(const char *n)
{
	static const struct {
		const char *name;
		enum gr_ctx_kind kind;
	} known[] = {
		{"*context.cancelCtx", CK_CANCEL},     {"*context.timerCtx", CK_TIMER},
		{"*context.valueCtx", CK_VALUE},       {"*context.emptyCtx", CK_EMPTY},
		{"context.backgroundCtx", CK_BACKGROUND}, {"context.todoCtx", CK_TODO},
		{"*context.backgroundCtx", CK_BACKGROUND}, {"*context.todoCtx", CK_TODO},
		{"context.withoutCancelCtx", CK_WITHOUT}, {"*context.withoutCancelCtx", CK_WITHOUT},
		{"*context.afterFuncCtx", CK_AFTERFUNC}, {"*context.stopCtx", CK_STOP},
		{"context.stopCtx", CK_STOP},
	};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(n, known[i].name) == 0)
			return known[i].kind;
	return CK_NONE;
}

/* A user type's fields: a context.Context to follow up, a channel for Done. */
static void user_fields(struct gr_ctx *c, const char *dwarf, uint64_t type, struct gr_ctx_type *t)
{
	struct dw_binary *b = c->r->bin;
	uint64_t die = dwarf ? dw_type_die(b, dwarf) : 0, sd;
	if (!die && dw_binary_is_stripped(b)) {
		gr_ctx_desc_fields(c, type, t); // no DWARF: its type descriptor's fields
		return;
	}
	if (!die)
		return;
	if (!dw_type_is_pointer_to_struct(b, die, &sd)) {
		if (!dw_type_is_struct(b, die, &sd))
			return;
		t->fields_direct = t->direct; // a one-pointer struct held in the data word
	}
	struct dw_struct_member ms[MAX_MEMBERS];
	size_t n = dw_struct_members(b, sd, ms, MAX_MEMBERS);
	for (size_t i = 0; i < n; i++) {
		const char *tn = dw_type_die_name(b, ms[i].type_die);
		if (t->parent_off == GR_ABSENT && tn && strcmp(tn, "context.Context") == 0)
			t->parent_off = ms[i].offset;
		else if (t->done_off == GR_ABSENT && dw_type_is_chan(b, ms[i].type_die) &&
			 gr_ctx_own_done(c->r, dwarf))
			t->done_off = ms[i].offset; // the channel its own Done returns, presumably
	}
}

/* The context type of the descriptor TYPE; NULL if unknown or not a context. */
static struct util_error *get_type(struct gr_ctx *c, uint64_t type, bool vouched,
				   const struct gr_ctx_type **ret)
{
	uint64_t v;
	*ret = NULL;
	if (!type)
		return NULL;
	if (util_u64map_get(&c->type_index, type, &v)) {
		const struct gr_ctx_type *t = v ? &c->types[v - 1] : NULL;
		if (t && t->kind == CK_NONE && vouched) {
			// Seen before without a guarantee; now we know it is a context.
			c->types[v - 1].kind = CK_USER;
			user_fields(c, NULL, type, &c->types[v - 1]);
		}
		if (t && t->kind != CK_NONE)
			*ret = t;
		return NULL;
	}
	const struct gr_type *rt = gr_type_read(c->r, type);
	if (!rt)
		return util_u64map_put(&c->type_index, type, 0);
	struct util_error *err = util_grow((void **)&c->types, c->ntypes, &c->types_cap, sizeof(*c->types), 64);
	if (err)
		return err;
	struct gr_ctx_type *t = &c->types[c->ntypes];
	*t = (struct gr_ctx_type){.kind = kind_by_name(rt->name), .name = rt->name,
				  .direct = rt->direct, .parent_off = GR_ABSENT, .done_off = GR_ABSENT};
	if (t->kind == CK_NONE && vouched) {
		t->kind = CK_USER;
		user_fields(c, rt->dwarf, type, t);
	}
	c->ntypes++;
	err = util_u64map_put(&c->type_index, type, c->ntypes);
	if (!err && t->kind != CK_NONE)
		*ret = t;
	return err;
}

/* ---- Decoding ------------------------------------------------------------- */

static const uint8_t kind_codes[] = {
	[CK_BACKGROUND] = GR_CTXK_BACKGROUND, [CK_TODO] = GR_CTXK_TODO, [CK_EMPTY] = GR_CTXK_BACKGROUND,
	[CK_CANCEL] = GR_CTXK_CANCEL, [CK_TIMER] = GR_CTXK_TIMER, [CK_VALUE] = GR_CTXK_VALUE,
	[CK_WITHOUT] = GR_CTXK_WITHOUT_CANCEL, [CK_AFTERFUNC] = GR_CTXK_AFTER_FUNC,
	[CK_STOP] = GR_CTXK_STOP, [CK_USER] = GR_CTXK_USER,
};

/* A Go value (an eface's TYPE and DATA) as %v-ish text: strings quoted. */
static const char *value_text_of(struct gr_ctx *c, uint64_t type, uint64_t data)
{
	if (!type)
		return "<nil>";
	const struct gr_type *vt = gr_type_read(c->r, type);
	if (vt && vt->kind == GR_KIND_STRING && !vt->direct && strcmp(vt->name, "string") == 0) {
		const char *s = NULL;
		struct util_error *err = gr_read_gostring(c->r, data, 4096, &s);
		if (err || !s) {
			util_error_destroy(err);
			return NULL;
		}
		size_t n = strlen(s);
		char *q = malloc(4 * n + 3), *o = q;
		if (!q)
			return NULL;
		*o++ = '"';
		for (size_t i = 0; i < n; i++) {
			unsigned char ch = (unsigned char)s[i];
			if (ch == '"' || ch == '\\') {
				*o++ = '\\';
				*o++ = (char)ch;
			} else if (ch == '\n') {
				*o++ = '\\', *o++ = 'n';
			} else if (ch == '\t') {
				*o++ = '\\', *o++ = 't';
			} else if (ch < 0x20 || ch == 0x7f) {
				o += sprintf(o, "\\x%02x", ch);
			} else {
				*o++ = (char)ch;
			}
		}
		*o++ = '"';
		*o = '\0';
		const char *r = gr_intern(c->r->snap, q);
		free(q);
		return r;
	}
	return gr_value_text(c->r, type, data);
}

/*
 * value_text_of, remembered: a valueCtx's key is mostly one of a few
 * constants (the same type and data word in 100,000 contexts), and its
 * text was formatted and interned again for each.
 */
static const char *value_text(struct gr_ctx *c, uint64_t type, uint64_t data)
{
	struct gr_ctx_text *e = &c->texts[(type ^ data ^ data >> 12) % GR_CTX_TEXTS];
	if (!type || e->type != type || e->data != data)
		*e = (struct gr_ctx_text){type, data, value_text_of(c, type, data)};
	return e->text;
}

/* An error interface's text: Canceled, DeadlineExceeded or its own. */
static const char *error_text(struct gr_ctx *c, uint64_t type, uint64_t data)
{
	if (c->canceled_data && data == c->canceled_data)
		return "context canceled";
	if (c->deadline_type && type == c->deadline_type)
		return "context deadline exceeded";
	const char *t = gr_value_text(c->r, type, data);
	if (!t) // without DWARF (stripped): errors.New's, as Canceled's
		t = gr_ctx_error_string(c, type, data);
	return t ? t : "(unreadable error)";
}

/* time.Time {wall, ext} as Unix nanoseconds (time/time.go sec(), unixSec()). */
static int64_t unix_ns(uint64_t wall, int64_t ext)
{
	int64_t nsec = (int64_t)(wall & ((1u << 30) - 1)), sec;
	if (wall >> 63)
		sec = 59453308800LL + (int64_t)((wall << 1) >> 31);
	else
		sec = ext;
	int64_t ns;
	// A deadline centuries away (time.Time{}) does not fit: saturate.
	if (__builtin_sub_overflow(sec, 62135596800LL, &sec) ||
	    __builtin_mul_overflow(sec, 1000000000LL, &ns) || __builtin_add_overflow(ns, nsec, &ns))
		return sec < 0 ? INT64_MIN : INT64_MAX;
	return ns;
}

/* The cancelCtx at ADDR (or embedded there): done, err, cause; *CHILDREN its
 * children map, read with the rest (GR_ABSENT if past what was read). */
static bool read_cancel(struct gr_ctx *c, uint64_t addr, struct gr_context *x, uint64_t *parent,
			uint64_t *children)
{
	unsigned char buf[256];
	if (c->cc_size > sizeof(buf) || !gr_read_ok(c->r->core, addr, buf, c->cc_size))
		return false;
	uint64_t itab = gr_rd64(buf, c->cc_parent), pdata = gr_rd64(buf, c->cc_parent + 8);
	if (!itab || !pdata)
		return false; // a cancelCtx always has a parent
	parent[0] = itab, parent[1] = pdata;
	if (c->cc_children != GR_ABSENT && c->cc_children + 8 <= c->cc_size)
		*children = gr_rd64(buf, c->cc_children);
	uint64_t dtype = gr_rd64(buf, c->cc_done), ddata = gr_rd64(buf, c->cc_done + 8);
	if ((dtype == 0) != (ddata == 0))
		return false;
	x->done_chan = ddata;
	if (ddata && c->closedchan && ddata == c->closedchan) {
		x->done_closed = true;
	} else if (ddata && c->hc_closed != GR_ABSENT) {
		uint32_t closed;
		if (!gr_read_ok(c->r->core, ddata + c->hc_closed, &closed, 4))
			return false;
		x->done_closed = closed != 0;
	}
	uint64_t ew = gr_rd64(buf, c->cc_err), edata = gr_rd64(buf, c->cc_err + 8), etype = ew;
	if (ew && !c->err_atomic && !gr_read_ok(c->r->core, ew + 8, &etype, 8))
		return false;
	x->canceled = ew != 0;
	if (ew)
		x->err = gr_ctx_str(c, error_text(c, etype, edata));
	if (c->cc_cause != GR_ABSENT && c->cc_cause + 16 <= c->cc_size) {
		uint64_t cw = gr_rd64(buf, c->cc_cause), cdata = gr_rd64(buf, c->cc_cause + 8), ctype = cw;
		if (cw && cdata != edata && gr_read_ok(c->r->core, cw + 8, &ctype, 8))
			x->cause = gr_ctx_str(c, error_text(c, ctype, cdata));
	}
	return true;
}

static void read_timer(struct gr_ctx *c, uint64_t addr, struct gr_context *x)
{
	unsigned char buf[40];
	x->timer_pending = 0;
	if (c->tc_deadline != GR_ABSENT && gr_read_ok(c->r->core, addr + c->tc_deadline, buf, 16)) {
		x->has_deadline = true;
		x->deadline_unix_ns = unix_ns(gr_rd64(buf, 0), (int64_t)gr_rd64(buf, 8));
	}
	uint64_t timer;
	if (c->tc_timer == GR_ABSENT || !gr_read_ok(c->r->core, addr + c->tc_timer, &timer, 8) ||
	    !timer || c->tm_when == GR_ABSENT)
		return;
	int64_t when;
	if (!gr_read_ok(c->r->core, timer + c->tm_when, &when, 8))
		return;
	if (c->tm_runtime) {
		x->timer_pending = when > 0;
		return;
	}
	uint32_t status = 1;
	if (c->tm_status != GR_ABSENT && !gr_read_ok(c->r->core, timer + c->tm_status, &status, 4))
		return;
	// 0 NoStatus (fired), 3 Deleted, 4 Removing, 5 Removed (1.19 runtime/time.go).
	x->timer_pending = when > 0 && status != 0 && (status < 3 || status > 5);
}

/*
 * Decode the object; the parent as an iface (itab, data) in PARENT, or
 * PARENT[0] = 0; *CHILDREN as read_cancel's, else GR_ABSENT. False if it
 * does not validate.
 */
static bool decode(struct gr_ctx *c, const struct gr_ctx_type *t, uint64_t data,
		   struct gr_context *x, uint64_t parent[2], uint64_t *children)
{
	struct core_file *core = c->r->core;
	parent[0] = parent[1] = 0;
	*children = GR_ABSENT;
	x->addr = data;
	x->type_name = gr_ctx_str(c, t->name);
	x->canceled = 0;
	x->timer_pending = -1;
	enum gr_ctx_kind k = t->kind;
	unsigned char buf[64];
	bool bad_key = false;
	const char *vkey = NULL, *vtext = NULL; // a valueCtx's key and value
	switch (k) {
	case CK_EMPTY:
		if (c->todo && data == c->todo)
			k = CK_TODO;
		break;
	case CK_BACKGROUND:
	case CK_TODO:
		break;
	case CK_CANCEL:
		if (!c->ok || !read_cancel(c, data, x, parent, children))
			return false;
		break;
	case CK_TIMER:
		if (!c->ok || c->tc_cancel == GR_ABSENT || !read_cancel(c, data + c->tc_cancel, x, parent, children))
			return false;
		read_timer(c, data, x);
		break;
	case CK_AFTERFUNC:
		if (!c->ok || c->af_cancel == GR_ABSENT || !read_cancel(c, data + c->af_cancel, x, parent, children))
			return false;
		break;
	case CK_VALUE:
		if (c->vc_parent == GR_ABSENT || c->vc_key == GR_ABSENT || c->vc_val == GR_ABSENT ||
		    !gr_read_ok(core, data + c->vc_parent, parent, 16) || !parent[0] || !parent[1] ||
		    !gr_read_ok(core, data + c->vc_key, buf, 16) ||
		    !gr_read_ok(core, data + c->vc_val, buf + 16, 16) || !gr_rd64(buf, 0))
			return false;
		vtext = value_text(c, gr_rd64(buf, 16), gr_rd64(buf, 24));
		uint64_t kv[4] = {gr_rd64(buf, 0), gr_rd64(buf, 8), gr_rd64(buf, 16), gr_rd64(buf, 24)};
		if (!gr_ctx_std_value(c->r, kv, &vkey, &vtext))
			vkey = value_text(c, gr_rd64(buf, 0), gr_rd64(buf, 8));
		x->value_key = gr_ctx_str(c, vkey);
		x->value_text = gr_ctx_str(c, vtext);
		// Keys that do not render (pointers, structs) are common; a key
		// whose type is unknown or whose indirect value is unmapped is wrong
		// (said once the context is validated, below).
		if (!vkey) {
			const struct gr_type *kt = gr_type_read(c->r, gr_rd64(buf, 0));
			unsigned char kb;
			bad_key = !kt || (!kt->direct && !gr_read_ok(core, gr_rd64(buf, 8), &kb, 1));
		}
		break;
	case CK_WITHOUT:
		// A value type: a one-word... no, two-word struct, stored indirectly.
		if (c->wc_parent == GR_ABSENT || !gr_read_ok(core, data + c->wc_parent, parent, 16) ||
		    !parent[0] || !parent[1])
			return false;
		break;
	case CK_STOP:
		if (c->sc_parent == GR_ABSENT || !gr_read_ok(core, data + c->sc_parent, parent, 16) ||
		    !parent[0] || !parent[1])
			return false;
		break;
	case CK_USER:
		x->canceled = -1;
		if (t->fields_direct)
			break; // the data word is the value itself: no fields to read
		if (t->parent_off != GR_ABSENT && !gr_read_ok(core, data + t->parent_off, parent, 16))
			return false;
		if (t->done_off != GR_ABSENT && gr_read_ok(core, data + t->done_off, buf, 8)) {
			x->done_chan = gr_rd64(buf, 0);
			uint32_t closed;
			if (x->done_chan && c->hc_closed != GR_ABSENT &&
			    gr_read_ok(core, x->done_chan + c->hc_closed, &closed, 4))
				x->done_closed = closed != 0;
		}
		break;
	case CK_NONE:
		return false;
	}
	// A stale or wrong word decodes into garbage: the parent must be a
	// context.Context interface whose dynamic type is a context.
	if (parent[0]) {
		uint64_t ptype = gr_ctx_itab_type(c, parent[0]);
		const struct gr_ctx_type *pt = NULL;
		struct util_error *err = ptype ? get_type(c, ptype, true, &pt) : NULL;
		util_error_destroy(err);
		if (!pt)
			return false;
	} else if (k != CK_USER && k != CK_BACKGROUND && k != CK_TODO && k != CK_EMPTY) {
		return false;
	}
	x->kind = kind_codes[k];
	if (bad_key)
		gr_ctx_diag(c, "warning", "context 0x%llx: value key (type 0x%llx, data 0x%llx) "
			    "is unreadable", (unsigned long long)data, (unsigned long long)gr_rd64(buf, 0),
			    (unsigned long long)gr_rd64(buf, 8));
	return true;
}

/* Add one decoded context; its children are walked later. */
static struct util_error *push_ctx(struct gr_ctx *c, const struct gr_context *x,
				   const struct gr_ctx_type *t, uint64_t children, size_t *idx)
{
	struct util_error *err = util_grow_mapped((void **)&c->ctxs, c->nctxs, &c->ctxs_cap, sizeof(*c->ctxs), 1024);
	if (!err)
		err = x->addr ? gr_ctx_by_addr_put(c, x->addr, c->nctxs) : NULL;
	if (err)
		return err;
	*idx = c->nctxs;
	c->ctxs[c->nctxs++] = *x;
	// Contexts are scattered over the heap, and each fault maps a whole
	// folio of the core: release the pages every few hundred regions.
	if (x->addr >> 16 != c->last_region) {
		c->last_region = x->addr >> 16;
		if (++c->far_reads >= RELEASE_EVERY) {
			core_release_pages(c->r->core);
			c->far_reads = 0;
		}
	}
	// Most cancelCtx have no children map (made for the first child): no walk.
	if ((t->kind == CK_CANCEL || t->kind == CK_TIMER || t->kind == CK_AFTERFUNC) && c->children_map.ok &&
	    children) {
		err = util_grow((void **)&c->walk, c->nwalk, &c->walk_cap, sizeof(*c->walk), 64);
		if (!err)
			c->walk[c->nwalk++] = (struct gr_ctx_queued){*idx, children};
	}
	return err;
}

/* Add (TYPE, DATA) and its ancestors; no children (ctx.h). */
struct util_error *gr_ctx_add(struct gr_ctx *c, uint64_t type, uint64_t data, bool vouched,
			      bool *is_context, size_t *index_ret)
{
	*is_context = false;
	uint64_t v;
	if (!data)
		return NULL;
	if (gr_ctx_index(c, data, &v)) {
		*is_context = true;
		*index_ret = v;
		return NULL;
	}
	const struct gr_ctx_type *t;
	struct util_error *err = get_type(c, type, vouched, &t);
	if (err || !t)
		return err;
	struct gr_context x = {0};
	uint64_t parent[2], children;
	if (!decode(c, t, data, &x, parent, &children))
		return NULL;
	size_t idx;
	err = push_ctx(c, &x, t, children, &idx);
	if (err)
		return err;
	*is_context = true;
	*index_ret = idx;
	// Up the parent chain, each ancestor once.
	size_t child = idx;
	struct gr_cycle cyc = {0};
	for (int depth = 0; parent[0] && parent[1]; depth++) {
		if (depth >= MAX_CHAIN) {
			gr_ctx_diag(c, "warning", "context 0x%llx: more than %d ancestors; stopped",
				    (unsigned long long)data, MAX_CHAIN);
			break;
		}
		if (gr_cycle_step(&cyc, parent[1])) {
			gr_ctx_diag(c, "warning", "context 0x%llx: its ancestors form a cycle",
				    (unsigned long long)data);
			break;
		}
		uint64_t ptype = gr_ctx_itab_type(c, parent[0]);
		if (!ptype) {
			gr_ctx_diag(c, "warning", "context 0x%llx: parent itab 0x%llx is not a "
				    "context.Context itab", (unsigned long long)c->ctxs[child].addr,
				    (unsigned long long)parent[0]);
			break;
		}
		if (gr_ctx_index(c, parent[1], &v)) {
			// One this call pushed: the chain closes on itself; the link is cut.
			if (v >= idx)
				gr_ctx_diag(c, "warning", "context 0x%llx: its ancestors form a cycle",
					    (unsigned long long)data);
			else
				c->ctxs[child].parent_addr = parent[1];
			break;
		}
		const struct gr_ctx_type *pt;
		err = get_type(c, ptype, true, &pt);
		if (err)
			return err;
		struct gr_context px = {0};
		uint64_t pp[2], pchildren;
		if (!pt || !decode(c, pt, parent[1], &px, pp, &pchildren)) {
			gr_ctx_diag(c, "warning", "context 0x%llx: parent 0x%llx (%s) does not decode",
				    (unsigned long long)c->ctxs[child].addr,
				    (unsigned long long)parent[1], pt ? pt->name : "unknown type");
			break;
		}
		c->ctxs[child].parent_addr = parent[1];
		err = push_ctx(c, &px, pt, pchildren, &child);
		if (err)
			return err;
		parent[0] = pp[0], parent[1] = pp[1];
	}
	return NULL;
}

/* ---- Children: cancelCtx.children, map[canceler]struct{} ------------------ */

static struct util_error *add_child(struct gr_ctx *c, uint64_t parent, const uint64_t key[2])
{
	if (!key[0] || !key[1])
		return NULL;
	uint64_t type;
	if (!gr_read_ok(c->r->core, key[0] + 8, &type, 8))
		return NULL;
	bool is;
	size_t idx;
	// canceler has unexported methods: only package context implements it.
	struct util_error *err = gr_ctx_add(c, type, key[1], false, &is, &idx);
	if (err || !is) {
		if (!err)
			gr_ctx_diag(c, "warning", "context 0x%llx: child 0x%llx does not decode",
				    (unsigned long long)parent, (unsigned long long)key[1]);
		return err;
	}
	err = util_grow_mapped((void **)&c->children, c->nchildren, &c->children_cap, sizeof(*c->children), 4096);
	if (!err)
		c->children[c->nchildren++] = (struct gr_context_child){parent, key[1]};
	return err;
}

struct key_walk {
	struct gr_ctx *c;
	uint64_t parent;
};

/* Note a key of a children map (a canceler interface) and whose map it is in. */
static struct util_error *push_key(void *arg, uint64_t key_addr, const unsigned char *key,
				   uint64_t elem_addr)
{
	struct key_walk *kw = arg;
	struct gr_ctx *c = kw->c;
	(void)key_addr, (void)elem_addr;
	struct util_error *err = util_grow_mapped((void **)&c->keys, c->nkeys, &c->keys_cap, sizeof(*c->keys), 4096);
	if (err)
		return err;
	struct gr_ctx_key *k = &c->keys[c->nkeys++];
	k->parent = kw->parent;
	k->itab = gr_rd64(key, 0);
	k->data = gr_rd64(key, 8);
	return NULL;
}

/* The keys of PARENT's map M (a map[canceler]struct{}) onto c->keys. */
static struct util_error *map_keys(struct gr_ctx *c, uint64_t parent, uint64_t m)
{
	size_t budget = MAX_CHILDREN;
	struct key_walk kw = {c, parent};
	struct util_error *err = gr_map_each(c->r, &c->children_map, m, &budget, push_key, &kw);
	// What could not be read of a map is skipped, as a map that is not there.
	return err == &util_enomem ? err : (util_error_destroy(err), NULL);
}

static int key_by_data(const void *a, const void *b)
{
	const struct gr_ctx_key *x = a, *y = b;
	if (x->data != y->data)
		return x->data < y->data ? -1 : 1;
	return x->parent < y->parent ? -1 : x->parent > y->parent;
}

/* Onto c->keys, the keys of the children map of Q's context. */
static struct util_error *children_keys(struct gr_ctx *c, const struct gr_ctx_queued *q)
{
	const struct gr_context *x = &c->ctxs[q->idx];
	uint64_t parent = x->addr, base = parent, m = q->children;
	if (x->kind == GR_CTXK_TIMER)
		base += c->tc_cancel;
	else if (x->kind == GR_CTXK_AFTER_FUNC)
		base += c->af_cancel;
	if ((m == GR_ABSENT && !gr_read_ok(c->r->core, base + c->cc_children, &m, 8)) || !m)
		return NULL;
	unsigned char probe;
	if (!gr_read_ok(c->r->core, m, &probe, 1)) {
		gr_ctx_diag(c, "warning", "context 0x%llx: children map 0x%llx is unreadable",
			    (unsigned long long)parent, (unsigned long long)m);
		return NULL;
	}
	return map_keys(c, parent, m);
}

/* Decode the children noted in c->keys, in address order; they may queue walks. */
static struct util_error *add_children(struct gr_ctx *c)
{
	struct util_error *err = NULL;
	// In place: qsort's scratch (12 MB at 300,000 goroutines) was a hole
	// the heap kept, at the contexts pass's peak. A map's keys are distinct.
	util_sort_in_place(c->keys, c->nkeys, sizeof(*c->keys), key_by_data);
	for (size_t i = 0; i < c->nkeys && !err; i++) {
		// Each child is looked up in by_addr (8 MiB on ctxgen's core, a
		// cache miss each): the slot of the key eight places on is asked for now.
		if (i + 8 < c->nkeys)
			gr_ctx_prefetch(c, c->keys[i + 8].data);
		uint64_t key[2] = {c->keys[i].itab, c->keys[i].data};
		err = add_child(c, c->keys[i].parent, key);
	}
	c->nkeys = 0;
	return err;
}

struct walk_item {
	uint64_t addr;
	struct gr_ctx_queued q;
};

/* By address, then as queued (by index): the order qsort's stable merge sort gave. */
static int walk_by_addr(const void *a, const void *b)
{
	const struct walk_item *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->q.idx < y->q.idx ? -1 : x->q.idx > y->q.idx;
}

struct util_error *gr_ctx_walk(struct gr_ctx *c)
{
	struct util_error *err = NULL;
	struct walk_item *level = NULL;
	size_t cap = 0;
	// Breadth first: each round takes the contexts queued so far (their
	// maps read in address order), then decodes all their children at once.
	while (!err && c->nwalk) {
		size_t n = c->nwalk;
		if ((err = util_grow_mapped((void **)&level, n - 1, &cap, sizeof(*level), 1024)))
			break;
		for (size_t i = 0; i < n; i++)
			level[i] = (struct walk_item){c->ctxs[c->walk[i].idx].addr, c->walk[i]};
		c->nwalk = 0;
		util_sort_in_place(level, n, sizeof(*level), walk_by_addr);
		c->nkeys = 0;
		for (size_t i = 0; i < n && !err; i++) {
			// Tens of thousands of small maps: let go of their pages as for contexts.
			if (i % RELEASE_MAPS == RELEASE_MAPS - 1)
				core_release_pages(c->r->core);
			err = children_keys(c, &level[i].q);
			// Bound the keys held at once (each map gives at most MAX_CHILDREN).
			if (!err && c->nkeys >= MAX_CHILDREN)
				err = add_children(c);
		}
		if (!err)
			err = add_children(c);
	}
	// The keys and the rounds are scratch until the next walk: their pages
	// go (12 and 8 MiB at 300,000 goroutines, beside the stack copies).
	util_unmap_array(level, cap, sizeof(*level));
	util_release_mapped(c->keys, c->keys_cap, sizeof(*c->keys));
	return err;
}

/* Whether (T, DATA) decodes and so does each ancestor up to a root or a
 * context already known. Adds nothing and says nothing. */
static struct util_error *chain_decodes(struct gr_ctx *c, const struct gr_ctx_type *t,
					uint64_t data, bool *ok)
{
	struct gr_context x = {0};
	uint64_t parent[2], v, children;
	struct util_error *err = NULL;
	c->quiet++;
	*ok = decode(c, t, data, &x, parent, &children);
	struct gr_cycle cyc = {0};
	for (int depth = 0; *ok && parent[0] && parent[1] && depth < MAX_CHAIN; depth++) {
		if (gr_cycle_step(&cyc, parent[1]) || gr_ctx_index(c, parent[1], &v))
			break; // a cycle is gr_ctx_add's to report
		uint64_t ptype = gr_ctx_itab_type(c, parent[0]);
		const struct gr_ctx_type *pt = NULL;
		if (ptype && (err = get_type(c, ptype, true, &pt)))
			break;
		struct gr_context px = {0};
		uint64_t pp[2] = {0, 0};
		*ok = pt && decode(c, pt, parent[1], &px, pp, &children);
		parent[0] = pp[0], parent[1] = pp[1];
	}
	c->quiet--;
	return err;
}

struct util_error *gr_ctx_add_found(struct gr_ctx *c, uint64_t type, uint64_t data, bool vouched,
				    bool *is_context, size_t *index_ret)
{
	uint64_t v;
	*is_context = false;
	if (data && !gr_ctx_index(c, data, &v)) {
		const struct gr_ctx_type *t;
		bool ok;
		struct util_error *err = get_type(c, type, vouched, &t);
		if (!err && t)
			err = chain_decodes(c, t, data, &ok);
		if (err || !t || !ok)
			return err;
	}
	return gr_ctx_add(c, type, data, vouched, is_context, index_ret);
}
