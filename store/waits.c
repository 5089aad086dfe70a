// SPDX-License-Identifier: Apache-2.0
// waits.c: write who waits on what (channels, their queues, sync waits),
// each goroutine's deferred calls and panics, and the contexts with who
// holds them into the incident's tables; the texts their rows share, once.
#include <stdlib.h>
#include <string.h>

#include "store/store-private.h"
#include "store/store.h"

/* Bind values one by one, keeping the first failure. Parameter I of the
 * single-row statement is I + base: base is 0 there, and k times the
 * parameters of a row for the k-th row of a batched statement. */
struct row {
	struct store_db *db;
	sqlite3_stmt *s;
	int rc;
	int base;
	/** goroutine_context: each holding's place in its goroutine; context:
	 * its children-map pair, 1 + its index in context_children (0: none) */
	const uint32_t *seq;
	const int64_t *ids;  /**< context: each row's value_key (incident_text id; 0: none) */
};

static void i64(struct row *r, int i, int64_t v)
{
	if (r->rc == SQLITE_OK)
		r->rc = sqlite3_bind_int64(r->s, r->base + i, v);
}

static void text(struct row *r, int i, const char *v)
{
	if (r->rc == SQLITE_OK)
		r->rc = store_bind_text(r->s, r->base + i, v);
}

/*
 * A column of a fixed vocabulary (schema version 12): V's place in VOCAB
 * (N words) when it is one of them, else V itself as text (or NULL).
 */
static void code(struct row *r, int i, const char *v, const char *const *vocab, size_t n)
{
	int k = store_vocab_index(v, vocab, n);
	if (k >= 0)
		i64(r, i, k);
	else
		text(r, i, v);
}

#define CODE(r, i, v, vocab) code(r, i, v, vocab, sizeof(vocab) / sizeof(vocab[0]))

/* The vocabularies of context_base and defer_call_base, in code order. */
static const char *const ctx_kinds[] = {
	"background", "todo", "cancel", "timer", "value", "withoutCancel", "afterFunc", "stop",
	"user",
};
static const char *const ctx_types[] = {
	"context.backgroundCtx", "context.todoCtx", "*context.emptyCtx", "*context.cancelCtx",
	"*context.timerCtx", "*context.valueCtx", "context.withoutCancelCtx",
	"*context.afterFuncCtx", "*context.stopCtx",
};
static const char *const ctx_errs[] = { "context canceled", "context deadline exceeded" };
static const char *const ctx_found_in[] = {
	"frame", "global", "chan buffer", "map", "heap", "ancestor", "child",
};
static const char *const defer_kinds[] = { "open-coded", "stack", "heap", "rangefunc" };
static const char *const reach_kinds[] = { "global", "goroutine" };

/* An integer when KNOWN, else NULL. */
static void opt(struct row *r, int i, bool known, int64_t v)
{
	if (r->rc == SQLITE_OK)
		r->rc = known ? sqlite3_bind_int64(r->s, r->base + i, v)
			      : sqlite3_bind_null(r->s, r->base + i);
}

static struct util_error *done(struct row *r, const char *what)
{
	int rc = r->rc == SQLITE_OK ? sqlite3_step(r->s) : r->rc;
	sqlite3_reset(r->s);
	r->rc = SQLITE_OK;
	return rc == SQLITE_DONE ? NULL : store_error_sqlite(r->db, rc, what);
}

static struct util_error *start(struct store_db *db, enum store_stmt id, int64_t incident,
				struct row *r)
{
	struct util_error *err = store_stmt(db, id, &r->s);
	if (err)
		return err;
	r->db = db;
	r->rc = sqlite3_bind_int64(r->s, 1, incident);
	r->base = 0;
	return NULL;
}

/* Binds every parameter but ?1 of row I of a table. */
typedef void bind_fn(struct row *r, const struct gr_snapshot *snap, size_t i);

/*
 * Rows 0..N-1 of statement ID, in the order ORDER gives (NULL: 0..N-1):
 * STORE_BATCH at a time, the rest one by one. SEQ is handed to BIND in
 * row.seq.
 */
static struct util_error *write_rows_ordered(struct store_db *db, enum store_stmt id,
					     int64_t incident, const struct gr_snapshot *snap,
					     size_t n, bind_fn *bind, const char *what,
					     const uint32_t *order, const uint32_t *seq,
					     const int64_t *ids)
{
	struct row r = { .db = db, .seq = seq, .ids = ids };
	struct util_error *err = NULL;
	size_t i = 0;
	if (n >= STORE_BATCH) {
		int per_row;
		err = store_stmt_batch(db, id, &r.s, &per_row);
		if (err)
			return err;
		r.rc = sqlite3_bind_int64(r.s, 1, incident);
		for (; !err && n - i >= STORE_BATCH; i += STORE_BATCH) {
			for (int k = 0; k < STORE_BATCH; k++) {
				r.base = k * per_row;
				bind(&r, snap, order ? order[i + k] : i + k);
			}
			err = done(&r, what);
		}
	}
	if (!err && i < n)
		err = start(db, id, incident, &r);
	for (; !err && i < n; i++) {
		bind(&r, snap, order ? order[i] : i);
		err = done(&r, what);
	}
	return err;
}

static struct util_error *write_rows(struct store_db *db, enum store_stmt id, int64_t incident,
				     const struct gr_snapshot *snap, size_t n, bind_fn *bind,
				     const char *what)
{
	return write_rows_ordered(db, id, incident, snap, n, bind, what, NULL, NULL, NULL);
}

/* ---- Shared texts (incident_text) -------------------------------------- */

struct util_error *store_texts_begin(struct store_db *db, int64_t incident_id,
				     struct store_texts *t)
{
	*t = (struct store_texts){ .db = db, .incident_id = incident_id, .next = 1 };
	util_strtab_init(&t->tab);
	util_u64map_init(&t->ids);
	// Another writer of the incident may have given ids already.
	sqlite3_stmt *s;
	struct util_error *err = store_stmt(db, STORE_STMT_NEXT_TEXT_ID, &s);
	if (err)
		return err;
	int rc = sqlite3_bind_int64(s, 1, incident_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		t->next = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? NULL : store_error_sqlite(db, rc, "reading the incident's texts");
}

void store_texts_end(struct store_texts *t)
{
	util_strtab_deinit(&t->tab);
	util_u64map_deinit(&t->ids);
}

struct util_error *store_text_id(struct store_texts *t, const char *s, int64_t *ret)
{
	// The writers' texts are the snapshot's, interned: the same text comes
	// as the same pointer, found here without hashing it again (the texts
	// of ctxgen's 594,000 defers and value keys: a few hundred).
	uint64_t id;
	if (util_u64map_get(&t->ids, (uint64_t)(uintptr_t)s, &id)) {
		*ret = (int64_t)id;
		return NULL;
	}
	const char *p = util_strtab_intern_cstr(&t->tab, s);
	if (!p)
		return &util_enomem;
	struct util_error *err = NULL;
	if (util_u64map_get(&t->ids, (uint64_t)(uintptr_t)p, &id)) {
		// The same text at another address: that one too, from now on.
		err = util_u64map_put(&t->ids, (uint64_t)(uintptr_t)s, id);
		*ret = (int64_t)id;
		return err;
	}
	sqlite3_stmt *st;
	err = store_stmt(t->db, STORE_STMT_INSERT_TEXT, &st);
	if (err)
		return err;
	int rc = sqlite3_bind_int64(st, 1, t->incident_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, t->next);
	if (rc == SQLITE_OK)
		rc = store_bind_text(st, 3, p);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_error_sqlite(t->db, rc, "writing a shared text");
	err = util_u64map_put(&t->ids, (uint64_t)(uintptr_t)p, (uint64_t)t->next);
	if (!err && s != p)
		err = util_u64map_put(&t->ids, (uint64_t)(uintptr_t)s, (uint64_t)t->next);
	if (err)
		return err;
	*ret = t->next++;
	return NULL;
}

static void bind_channel(struct row *r, const struct gr_snapshot *snap, size_t i)
{
	const struct gr_channel *c = &snap->channels[i];
	i64(r, 2, (int64_t)c->addr);
	text(r, 3, c->elem_type);
	i64(r, 4, (int64_t)c->cap);
	i64(r, 5, (int64_t)c->len);
	i64(r, 6, c->closed);
	i64(r, 7, c->is_timer);
	i64(r, 8, c->send_waiters);
	i64(r, 9, c->recv_waiters);
}

static void bind_chan_wait(struct row *r, const struct gr_snapshot *snap, size_t i)
{
	const struct gr_chan_wait *w = &snap->chan_waits[i];
	i64(r, 2, (int64_t)w->goid);
	i64(r, 3, (int64_t)w->chan_addr);
	i64(r, 4, w->send ? 1 : 0); // chan_wait_base.direction: 0 'recv', 1 'send'
	i64(r, 5, w->in_select);
	i64(r, 6, w->queue_pos);
}

static void bind_sync_wait(struct row *r, const struct gr_snapshot *snap, size_t i)
{
	const struct gr_sync_wait *w = &snap->sync_waits[i];
	i64(r, 2, (int64_t)w->goid);
	text(r, 3, w->kind ? w->kind : "semaphore");
	i64(r, 4, (int64_t)w->addr);
	opt(r, 5, w->ctx_addr != 0, (int64_t)w->ctx_addr);
}

static void bind_wait_reach(struct row *r, const struct gr_snapshot *snap, size_t i)
{
	const struct gr_wait_reach *w = &snap->wait_reaches[i];
	i64(r, 2, (int64_t)w->goid);
	i64(r, 3, (int64_t)w->obj_addr);
	CODE(r, 4, w->reached_by, reach_kinds);
	opt(r, 5, w->reached_by && strcmp(w->reached_by, "goroutine") == 0, (int64_t)w->via_goid);
}

static void bind_wait_reacher(struct row *r, const struct gr_snapshot *snap, size_t i)
{
	const struct gr_wait_reacher *w = &snap->wait_reachers[i];
	i64(r, 2, (int64_t)w->obj_addr);
	i64(r, 3, (int64_t)w->goid);
}

/* The components of a wait-for graph and their members (store_write_wait_graph too). */
static void bind_wait_component(struct row *r, const struct gr_wait_component *c)
{
	i64(r, 2, c->id);
	text(r, 3, c->kind);
	i64(r, 4, c->goroutines);
	i64(r, 5, c->objects);
	opt(r, 6, c->obj_addr != 0, (int64_t)c->obj_addr);
	i64(r, 7, (int64_t)c->example_goid);
	opt(r, 8, c->behind_goid != 0, (int64_t)c->behind_goid);
}

static void bind_wait_member(struct row *r, const struct gr_wait_member *m)
{
	i64(r, 2, (int64_t)m->goid);
	i64(r, 3, m->component);
	i64(r, 4, m->position);
	i64(r, 5, (int64_t)m->obj_addr);
	opt(r, 6, m->waker_goid != 0, (int64_t)m->waker_goid);
}

static void bind_snap_component(struct row *r, const struct gr_snapshot *snap, size_t i)
{
	bind_wait_component(r, &snap->wait_components[i]);
}

static void bind_snap_member(struct row *r, const struct gr_snapshot *snap, size_t i)
{
	bind_wait_member(r, &snap->wait_members[i]);
}

static void bind_blocker(struct row *r, const struct gr_snapshot *snap, size_t i)
{
	const struct gr_blocker *b = &snap->blockers[i];
	i64(r, 2, (int64_t)b->goid);
	i64(r, 3, (int64_t)b->culprit_goid);
	i64(r, 4, (int64_t)b->obj_addr);
	text(r, 5, b->via);
	i64(r, 6, b->hops);
}

static void bind_context(struct row *r, const struct gr_snapshot *snap, size_t i)
{
	const struct gr_context *c = &snap->contexts[i];
	const struct gr_strings *strs = &snap->context_strings;
	const char *kind = gr_context_kind_name(c->kind);
	i64(r, 2, (int64_t)c->addr);
	CODE(r, 3, kind ? kind : "user", ctx_kinds);
	CODE(r, 4, gr_str(strs, c->type_name), ctx_types);
	opt(r, 5, c->parent_addr != 0, (int64_t)c->parent_addr);
	opt(r, 6, c->done_chan != 0, (int64_t)c->done_chan);
	// context_base.state (schema.sql, version 12): found_in, canceled,
	// timer_pending and done_closed in one number.
	int64_t found = STORE_VOCAB(gr_context_found_in_name(c->found_in), ctx_found_in) + 1; // 0: none
	i64(r, 7, found + 8 * (c->canceled < 0 ? 0 : c->canceled ? 2 : 1) +
			  24 * (c->timer_pending < 0 ? 0 : c->timer_pending ? 2 : 1) +
			  72 * (c->done_closed ? 1 : 0));
	CODE(r, 8, gr_str(strs, c->err), ctx_errs);
	text(r, 9, gr_str(strs, c->cause));
	opt(r, 10, c->has_deadline, c->deadline_unix_ns);
	opt(r, 11, r->ids[i] != 0, r->ids[i]);
	text(r, 12, gr_str(strs, c->value_text));
	text(r, 13, gr_str(strs, c->found_at));
	opt(r, 14, r->seq[i] != 0,
	    r->seq[i] ? (int64_t)snap->context_children[r->seq[i] - 1].parent_addr : 0);
}

static void bind_context_child(struct row *r, const struct gr_snapshot *snap, size_t i)
{
	i64(r, 2, (int64_t)snap->context_children[i].parent_addr);
	i64(r, 3, (int64_t)snap->context_children[i].child_addr);
}

static void bind_goroutine_context(struct row *r, const struct gr_snapshot *snap, size_t i)
{
	const struct gr_goroutine_context *h = &snap->goroutine_contexts[i];
	i64(r, 2, (int64_t)h->goid);
	i64(r, 3, r->seq[i]);
	opt(r, 4, h->frame_depth >= 0, h->frame_depth);
	text(r, 5, h->var_name);
	i64(r, 6, (int64_t)h->ctx_addr);
	// goroutine_context_base.how (schema.sql, version 12): found_by (0
	// 'dwarf', 1 'stack-scan') + 2 * evidence (0 NULL: unknown, then the
	// words of evidences in order).
	static const char *const evidences[] = {
		"dwarf-live", "dwarf-unverified", "stack-scan-live", "stack-scan-unverified",
	};
	int64_t how = h->found_by && strcmp(h->found_by, "stack-scan") == 0;
	how += 2 * (STORE_VOCAB(h->evidence, evidences) + 1);
	i64(r, 7, how);
}

/* A goroutine's holdings, which the snapshot keeps together. */
struct holding_run {
	uint64_t goid;
	uint32_t start, len;
};

static int run_cmp(const void *a, const void *b)
{
	const struct holding_run *x = a, *y = b;
	if (x->goid != y->goid)
		return x->goid < y->goid ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * goroutine_context in its key's order (goroutine_context.seq): goroutine by
 * goroutine in goid order, each one's holdings as the snapshot lists them.
 * Appending in key order fills the table's B-tree page after page; the
 * snapshot lists goroutines in allgs order, where a reused g carries a
 * newer goid than the ones after it.
 */
static struct util_error *write_holdings(struct store_db *db, int64_t incident_id,
					 const struct gr_snapshot *snap)
{
	size_t n = snap->ngoroutine_contexts, nruns = 0;
	if (n == 0)
		return NULL;
	if (n > UINT32_MAX)
		return util_error_create(UTIL_ERROR_BAD_DATA, "%s: %zu context holdings is too many",
					 db->path, n);
	const struct gr_goroutine_context *h = snap->goroutine_contexts;
	for (size_t i = 0; i < n; i++)
		nruns += i == 0 || h[i].goid != h[i - 1].goid;
	struct holding_run *runs = malloc(nruns * sizeof(*runs));
	uint32_t *order = malloc(n * sizeof(*order)), *seq = malloc(n * sizeof(*seq));
	struct util_error *err = NULL;
	if (!runs || !order || !seq) {
		err = &util_enomem;
		goto out;
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || h[i].goid != h[i - 1].goid)
			runs[k++] = (struct holding_run){.goid = h[i].goid, .start = (uint32_t)i};
		runs[k - 1].len++;
	}
	qsort(runs, nruns, sizeof(*runs), run_cmp);
	// A goroutine split into several runs (the snapshot does not promise
	// otherwise) numbers on across them: the key stays unique.
	size_t o = 0;
	uint32_t next = 0;
	for (size_t r = 0; r < nruns; r++) {
		if (r == 0 || runs[r].goid != runs[r - 1].goid)
			next = 0;
		for (uint32_t j = 0; j < runs[r].len; j++) {
			order[o++] = runs[r].start + j;
			seq[runs[r].start + j] = next++;
		}
	}
	err = write_rows_ordered(db, STORE_STMT_INSERT_GOROUTINE_CONTEXT, incident_id, snap, n,
				 bind_goroutine_context, "writing a goroutine's context", order,
				 seq, NULL);
out:
	free(runs);
	free(order);
	free(seq);
	return err;
}

/* The deferred calls: a function's name once per incident (incident_text),
 * not once per call. */
static struct util_error *write_defers(struct store_db *db, int64_t incident_id,
				       const struct gr_snapshot *snap)
{
	struct row r;
	struct store_texts texts;
	struct util_error *err = store_texts_begin(db, incident_id, &texts);
	if (!err)
		err = start(db, STORE_STMT_INSERT_DEFER, incident_id, &r);
	for (size_t i = 0; !err && i < snap->ndefers; i++) {
		const struct gr_defer *d = &snap->defers[i];
		int64_t func = 0;
		if (d->func && (err = store_text_id(&texts, d->func, &func)))
			break;
		i64(&r, 2, (int64_t)d->goid);
		i64(&r, 3, d->seq);
		opt(&r, 4, d->func != NULL, func);
		if (d->frame_depth >= 0)
			i64(&r, 5, d->frame_depth);
		else if (r.rc == SQLITE_OK)
			r.rc = sqlite3_bind_null(r.s, 5);
		CODE(&r, 6, d->kind ? d->kind : "heap", defer_kinds);
		err = done(&r, "writing a deferred call");
	}
	store_texts_end(&texts);
	return err;
}

struct util_error *store_write_waits(struct store_db *db, int64_t incident_id,
				     const struct gr_snapshot *snap)
{
	struct util_error *err = write_rows(db, STORE_STMT_INSERT_CHANNEL, incident_id, snap,
					    snap->nchannels, bind_channel, "writing a channel");
	if (!err)
		err = write_rows(db, STORE_STMT_INSERT_CHAN_WAIT, incident_id, snap,
				 snap->nchan_waits, bind_chan_wait, "writing a channel wait");
	return err;
}

struct util_error *store_write_defers(struct store_db *db, int64_t incident_id,
				      const struct gr_snapshot *snap)
{
	struct row r;
	struct util_error *err = write_defers(db, incident_id, snap);
	if (!err)
		err = start(db, STORE_STMT_INSERT_PANIC, incident_id, &r);
	for (size_t i = 0; !err && i < snap->npanics; i++) {
		const struct gr_panic *p = &snap->panics[i];
		i64(&r, 2, (int64_t)p->goid);
		i64(&r, 3, p->seq);
		text(&r, 4, p->value_type);
		text(&r, 5, p->value_text);
		i64(&r, 6, p->recovered);
		i64(&r, 7, p->aborted);
		i64(&r, 8, p->goexit);
		err = done(&r, "writing a panic");
	}
	return err;
}

struct util_error *store_write_reach(struct store_db *db, int64_t incident_id,
				     const struct gr_snapshot *snap)
{
	// Heap reachability: no heap_scan row (and no wait_reach rows) when the
	// heap could not be read.
	if (!snap->has_heap_scan)
		return NULL;
	struct row r;
	const struct gr_heap_scan *h = &snap->heap_scan;
	struct util_error *err = start(db, STORE_STMT_INSERT_HEAP_SCAN, incident_id, &r);
	i64(&r, 2, (int64_t)h->spans);
	i64(&r, 3, (int64_t)h->objects);
	i64(&r, 4, (int64_t)h->marked_objects);
	i64(&r, 5, (int64_t)h->marked_bytes);
	i64(&r, 6, h->rounds);
	i64(&r, 7, h->complete);
	i64(&r, 8, (int64_t)snap->nwait_components);
	text(&r, 9, h->heap_bits);
	i64(&r, 10, (int64_t)h->objects_precise);
	i64(&r, 11, (int64_t)h->objects_conservative);
	i64(&r, 12, (int64_t)h->global_words_precise);
	i64(&r, 13, (int64_t)h->global_words_conservative);
	if (!err)
		err = done(&r, "writing the heap scan");
	if (!err)
		err = write_rows(db, STORE_STMT_INSERT_WAIT_REACH, incident_id, snap,
				 snap->nwait_reaches, bind_wait_reach, "writing a wait's reachability");
	if (!err)
		err = write_rows(db, STORE_STMT_INSERT_WAIT_REACHER, incident_id, snap,
				 snap->nwait_reachers, bind_wait_reacher,
				 "writing who reaches a wait object");
	if (!err)
		err = write_rows(db, STORE_STMT_INSERT_WAIT_COMPONENT, incident_id, snap,
				 snap->nwait_components, bind_snap_component, "writing a wait component");
	if (!err)
		err = write_rows(db, STORE_STMT_INSERT_WAIT_MEMBER, incident_id, snap,
				 snap->nwait_members, bind_snap_member,
				 "writing a wait component's member");
	if (!err)
		err = write_rows(db, STORE_STMT_INSERT_BLOCKER, incident_id, snap, snap->nblockers,
				 bind_blocker, "writing who is stuck behind whom");
	return err;
}

static void bind_ctx_canceled(struct row *r, const struct gr_snapshot *snap, size_t i)
{
	const struct gr_ctx_canceled *c = &snap->cancel_sets.canceled[i];
	i64(r, 2, (int64_t)c->addr);
	i64(r, 3, (int64_t)c->origin_addr);
	i64(r, 4, c->origin_steps);
}

static void bind_ctx_below(struct row *r, const struct gr_snapshot *snap, size_t i)
{
	const struct gr_ctx_below *b = &snap->cancel_sets.below[i];
	i64(r, 2, (int64_t)b->seed_addr);
	i64(r, 3, b->depth);
	i64(r, 4, (int64_t)b->addr);
	text(r, 5, b->kind);
	opt(r, 6, b->canceled >= 0, b->canceled);
	i64(r, 7, (int64_t)b->origin_addr);
	opt(r, 8, b->user_addr != 0, (int64_t)b->user_addr);
	text(r, 9, b->path);
}

/* context_canceled and context_below_canceled, each in its key's order. */
struct util_error *store_write_cancel_sets(struct store_db *db, int64_t incident_id,
					    const struct gr_snapshot *snap)
{
	const struct gr_cancel_sets *cs = &snap->cancel_sets;
	size_t n = cs->ncanceled > cs->nbelow ? cs->ncanceled : cs->nbelow;
	struct store_keyed *k = malloc(n * sizeof(*k) + 1);
	uint32_t *order = malloc(n * sizeof(*order) + 1);
	struct util_error *err = NULL;
	if (!k || !order || n > UINT32_MAX) {
		err = &util_enomem;
		goto out;
	}
	for (size_t i = 0; i < cs->ncanceled; i++)
		k[i] = (struct store_keyed){.a = cs->canceled[i].addr, .i = (uint32_t)i};
	store_sort_keyed(k, cs->ncanceled, order);
	err = write_rows_ordered(db, STORE_STMT_INSERT_CTX_CANCELED, incident_id, snap, cs->ncanceled,
				 bind_ctx_canceled, "writing a canceled context", order, NULL, NULL);
	// (seed, depth, addr), the table's key.
	for (size_t i = 0; i < cs->nbelow && !err; i++)
		k[i] = (struct store_keyed){.a = cs->below[i].seed_addr, .b = cs->below[i].depth,
				      .c = cs->below[i].addr, .i = (uint32_t)i};
	if (!err) {
		store_sort_keyed(k, cs->nbelow, order);
		err = write_rows_ordered(db, STORE_STMT_INSERT_CTX_BELOW, incident_id, snap, cs->nbelow,
					 bind_ctx_below, "writing a context below a canceled one", order,
					 NULL, NULL);
	}
out:
	free(k);
	free(order);
	return err;
}

struct util_error *store_write_contexts(struct store_db *db, int64_t incident_id,
					const struct gr_snapshot *snap)
{
	// In key order, as the holdings below: the snapshot finds contexts
	// in no order of address, and rows inserted at random places of a
	// B-tree of 400,000 split its pages all over.
	// The sort keys are the writer's largest buffers (6.7 MB for ctxgen's
	// 416,613 contexts), held while the snapshot marks the heap: the
	// contexts' by their one address, then the children's. They and the
	// arrays below are mappings (util_alloc_big): blocks of the heap, which
	// keeps what is freed, took room the marking then grew past.
	size_t nc = snap->ncontexts, nch = snap->ncontext_children;
	if (nc > UINT32_MAX || nch > UINT32_MAX) // the sort's indexes below
		return util_error_create(UTIL_ERROR_BAD_DATA, "%s: %zu contexts is too many",
					 db->path, nc > nch ? nc : nch);
	size_t k1_len = nc * sizeof(struct util_keyed) + 1;
	size_t order_len = (nc > nch ? nc : nch) * sizeof(uint32_t) + 1, keys_len = (nc + 1) * 8;
	struct util_keyed *k1 = util_alloc_big(k1_len);
	uint32_t *order = util_alloc_big(order_len);
	if (!k1 || !order) {
		util_free_big(k1, k1_len);
		util_free_big(order, order_len);
		return &util_enomem;
	}
	for (size_t i = 0; i < nc; i++)
		k1[i] = (struct util_keyed){.key = snap->contexts[i].addr, .val = i};
	struct util_error *err = store_sort_keyed1(k1, nc, order);
	util_free_big(k1, k1_len);
	if (err) {
		util_free_big(order, order_len);
		return err;
	}
	// Value keys once per incident (incident_text): a few keys name
	// hundreds of thousands of values.
	int64_t *keys = util_alloc_big(keys_len);
	struct store_texts texts;
	err = store_texts_begin(db, incident_id, &texts);
	if (!err && !keys)
		err = &util_enomem;
	for (size_t i = 0; !err && i < nc; i++)
		if (snap->contexts[i].value_key)
			err = store_text_id(&texts, gr_str(&snap->context_strings, snap->contexts[i].value_key),
					    &keys[i]);
	store_texts_end(&texts);
	// The children maps: a column of the children's rows, the rest extra.
	uint32_t *reg = NULL, *extra = NULL;
	size_t nextra = 0;
	if (!err)
		err = store_context_registrations(snap, order, &reg, &extra, &nextra);
	if (!err)
		err = write_rows_ordered(db, STORE_STMT_INSERT_CONTEXT, incident_id, snap, nc,
					 bind_context, "writing a context", order, reg, keys);
	util_free_big(keys, keys_len);
	util_free_big(reg, (nc + 1) * sizeof(*reg));
	struct store_keyed *k = err ? NULL : malloc(nextra * sizeof(*k) + 1);
	if (!err && !k)
		err = &util_enomem;
	for (size_t i = 0; !err && i < nextra; i++)
		k[i] = (struct store_keyed){.a = snap->context_children[extra[i]].parent_addr,
				      .b = snap->context_children[extra[i]].child_addr, .i = extra[i]};
	if (!err)
		store_sort_keyed(k, nextra, order);
	if (!err)
		err = write_rows_ordered(db, STORE_STMT_INSERT_CONTEXT_CHILD, incident_id, snap,
					 nextra, bind_context_child, "writing a context child", order,
					 NULL, NULL);
	free(k);
	util_free_big(extra, nch * sizeof(*extra) + 1);
	util_free_big(order, order_len);
	if (!err)
		err = store_write_cancel_sets(db, incident_id, snap);
	if (!err)
		err = write_holdings(db, incident_id, snap);
	// Read with the contexts: which one's lock each waits on.
	if (!err)
		err = write_rows(db, STORE_STMT_INSERT_SYNC_WAIT, incident_id, snap, snap->nsync_waits,
				 bind_sync_wait, "writing a sync wait");
	return err;
}

/* ---- Components of incidents stored before schema version 5 -------------- */

/* Read the int64 columns of SQL (?1 bound to incident ID, if it has one), NCOL a row, onto *V. */
static struct util_error *read_rows(struct store_db *db, const char *sql, int64_t id, int ncol,
				    int64_t **v, size_t *nrows)
{
	sqlite3_stmt *s = NULL;
	size_t n = 0, cap = 0;
	struct util_error *err = NULL;
	int rc = sqlite3_prepare_v2(db->h, sql, -1, &s, NULL);
	if (rc == SQLITE_OK && sqlite3_bind_parameter_count(s))
		rc = sqlite3_bind_int64(s, 1, id);
	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		if ((rc = store_step_rc(db, s)) != SQLITE_ROW)
			break;
		if ((err = util_grow((void **)v, n * ncol + ncol - 1, &cap, sizeof(**v), 256)))
			break;
		for (int c = 0; c < ncol; c++)
			(*v)[n * ncol + c] = sqlite3_column_type(s, c) == SQLITE_NULL
						     ? INT64_MIN : sqlite3_column_int64(s, c);
		n++;
	}
	if (!err && rc != SQLITE_DONE)
		err = store_error_sqlite(db, rc, "reading the wait-for graph");
	sqlite3_finalize(s);
	*nrows = n;
	return err;
}

/* Compute and write incident ID's wait components, in the open transaction. */
static struct util_error *graph_one(struct store_db *db, int64_t id)
{
	int64_t *wv = NULL, *rv = NULL;
	size_t nw = 0, nr = 0;
	struct gr_wait_reach *waits = NULL;
	struct gr_wait_reacher *reachers = NULL;
	struct gr_wait_graph g = {0};
	// reached_by as an integer: 1 when reached, NULL (INT64_MIN) when not.
	struct util_error *err = read_rows(
		db, "SELECT goid, obj_addr, reached_by IS NOT NULL FROM wait_reach WHERE incident_id = ?1",
		id, 3, &wv, &nw);
	if (!err)
		err = read_rows(db, "SELECT obj_addr, goid FROM wait_reacher WHERE incident_id = ?1",
				id, 2, &rv, &nr);
	if (!err) {
		waits = calloc(nw + 1, sizeof(*waits));
		reachers = calloc(nr + 1, sizeof(*reachers));
		if (!waits || !reachers)
			err = &util_enomem;
	}
	for (size_t i = 0; !err && i < nw; i++)
		waits[i] = (struct gr_wait_reach){.goid = (uint64_t)wv[3 * i],
						  .obj_addr = (uint64_t)wv[3 * i + 1],
						  .reached_by = wv[3 * i + 2] == 1 ? "reached" : NULL};
	for (size_t i = 0; !err && i < nr; i++)
		reachers[i] = (struct gr_wait_reacher){.obj_addr = (uint64_t)rv[2 * i],
						       .goid = (uint64_t)rv[2 * i + 1]};
	if (!err)
		err = gr_wait_graph_build(waits, nw, reachers, nr, &g);
	struct row r;
	for (size_t i = 0; !err && i < g.ncomponents; i++) {
		err = start(db, STORE_STMT_INSERT_WAIT_COMPONENT, id, &r);
		if (!err) {
			bind_wait_component(&r, &g.components[i]);
			err = done(&r, "writing a wait component");
		}
	}
	for (size_t i = 0; !err && i < g.nmembers; i++) {
		err = start(db, STORE_STMT_INSERT_WAIT_MEMBER, id, &r);
		if (!err) {
			bind_wait_member(&r, &g.members[i]);
			err = done(&r, "writing a wait component's member");
		}
	}
	if (!err) {
		sqlite3_stmt *s = NULL;
		int rc = sqlite3_prepare_v2(db->h, "UPDATE heap_scan SET components = ?2 WHERE incident_id = ?1",
					    -1, &s, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(s, 1, id);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(s, 2, (int64_t)g.ncomponents);
		if (rc == SQLITE_OK)
			rc = store_step_rc(db, s);
		if (rc != SQLITE_DONE)
			err = store_error_sqlite(db, rc, "counting the wait components");
		sqlite3_finalize(s);
	}
	gr_wait_graph_deinit(&g);
	free(wv);
	free(rv);
	free(waits);
	free(reachers);
	return err;
}

struct util_error *store_wait_graph_stale(struct store_db *db)
{
	return store_each_incident(db,
				   "SELECT incident_id FROM heap_scan WHERE components IS NULL"
				   " ORDER BY incident_id",
				   graph_one, "committing the wait components");
}
