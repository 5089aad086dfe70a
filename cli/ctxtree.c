// SPDX-License-Identifier: Apache-2.0
// ctxtree.c: an incident's context trees in memory, selected and folded for 'contexts' and 'graph'.
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "cli/ctxtree.h"
#include "store/store.h"

void ctx_tree_init(struct ctx_tree *t)
{
	memset(t, 0, sizeof(*t));
	t->first_root = CTX_NONE;
	util_strtab_init(&t->strings);
}

void ctx_tree_deinit(struct ctx_tree *t)
{
	if (t->v)
		munmap(t->v, t->cap * sizeof(*t->v));
	free(t->addrs);
	free(t->holders);
	util_strtab_deinit(&t->strings);
	memset(t, 0, sizeof(*t));
}

static int cmp_addr(const void *a, const void *b)
{
	int64_t x = ((const struct ctx_node *)a)->addr, y = ((const struct ctx_node *)b)->addr;
	return x < y ? -1 : x > y;
}

struct ctx_node *ctx_tree_find(struct ctx_tree *t, int64_t addr)
{
	// A search of the addresses alone: 430,000 nodes would be 19 cache
	// misses a lookup, the addresses fit in a few MiB.
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->addrs[mid] < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < t->n && t->addrs[lo] == addr ? &t->v[lo] : NULL;
}

/* Column COL interned; NULL stays NULL (and out of memory gives NULL too:
 * the line then lacks a word, which beats failing the whole command). */
static const char *col(struct ctx_tree *t, sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	return s ? util_strtab_intern_cstr(&t->strings, (const char *)s) : NULL;
}

static struct util_error *load_nodes(struct ctx_tree *t, struct store_db *db, int64_t id)
{
	sqlite3_stmt *st;
	bool row = false;
	// Counted first, for one mapping in huge pages: 430,000 nodes are 60 MiB,
	// which filled a 4 KiB page at a time took half of the command's time.
	struct util_error *err = cli_prepare(db, "contexts_count", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, id);
	err = cli_step(db, st, "contexts_count", &row);
	int64_t count = row ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if (err || count <= 0)
		return err;
	// Indexes are 32 bits; no core has 4e9 contexts.
	t->cap = count < CTX_NONE - 1 ? (size_t)count : CTX_NONE - 1;
	if (!(t->v = util_map_anon(t->cap * sizeof(*t->v), true)))
		return &util_enomem;
	if ((err = cli_prepare(db, "contexts", &st)))
		return err;
	sqlite3_bind_int64(st, 1, id);
	while (!(err = cli_step(db, st, "contexts", &row)) && row) {
		if (t->n == t->cap) // the rows grew since they were counted: left for next time
			break;
		struct ctx_node *x = &t->v[t->n++];
		x->addr = sqlite3_column_int64(st, 0);
		x->kind = col(t, st, 1);
		x->type = col(t, st, 2);
		x->parent = sqlite3_column_type(st, 3) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 3);
		x->canceled = sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 4);
		x->err = col(t, st, 5);
		x->cause = col(t, st, 6);
		x->has_deadline = sqlite3_column_type(st, 7) != SQLITE_NULL;
		x->deadline = sqlite3_column_int64(st, 7);
		x->key = col(t, st, 8);
		// Values are mostly unique: copied, not interned (hashing them
		// all was a tenth of the command's time on 430,000 contexts).
		const unsigned char *v = sqlite3_column_text(st, 9);
		x->value = v ? util_arena_strndup(&t->strings.arena, (const char *)v,
						  (size_t)sqlite3_column_bytes(st, 9)) : NULL;
		x->timer_pending = sqlite3_column_type(st, 10) == SQLITE_NULL ? -1
										: sqlite3_column_int(st, 10);
		x->found = col(t, st, 12);
		x->first_child = x->next_sibling = x->first_holder = CTX_NONE;
		if (!x->kind)
			x->kind = "?";
	}
	sqlite3_finalize(st);
	return err;
}

/* The holders, one entry per goroutine and context: rows come by context,
 * goroutine, innermost frame first. */
static struct util_error *load_holders(struct ctx_tree *t, struct store_db *db, int64_t id,
				       int64_t only_goid)
{
	sqlite3_stmt *st;
	bool row;
	struct util_error *err = cli_prepare(db, "context_holders", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, id);
	struct ctx_node *last = NULL; /* the context of the newest holder entry */
	while (!(err = cli_step(db, st, "context_holders", &row)) && row) {
		int64_t g = sqlite3_column_int64(st, 1);
		if (only_goid >= 0 && g != only_goid)
			continue;
		struct ctx_node *x = ctx_tree_find(t, sqlite3_column_int64(st, 0));
		if (!x)
			continue;
		struct ctx_holder *h = x == last && t->nholders ? &t->holders[t->nholders - 1] : NULL;
		if (!h || h->goid != g) {
			if (t->nholders >= CTX_NONE - 1)
				break;
			if ((err = util_grow((void **)&t->holders, t->nholders, &t->holders_cap,
					     sizeof(*t->holders), 256)))
				break;
			// Linked by index: the array moves as it grows.
			if (x == last)
				t->holders[t->nholders - 1].next = (uint32_t)t->nholders;
			else
				x->first_holder = (uint32_t)t->nholders;
			h = &t->holders[t->nholders++];
			*h = (struct ctx_holder){.goid = g, .next = CTX_NONE};
			x->nholders++;
			last = x;
		}
		const char *fn = col(t, st, 2);
		if (!fn)
			continue;
		if (h->frames < 2) {
			const char *ev = (const char *)sqlite3_column_text(st, 5);
			h->func[h->frames] = fn;
			h->var[h->frames] = col(t, st, 3);
			h->unverified[h->frames] = ev && strstr(ev, "-unverified");
			h->frames++;
		} else {
			h->more_frames++;
		}
	}
	sqlite3_finalize(st);
	return err;
}

struct util_error *ctx_tree_load(struct ctx_tree *t, struct store_db *db, int64_t incident,
				 int64_t only_goid, bool holders)
{
	struct util_error *err = load_nodes(t, db, incident);
	if (err)
		return err;
	// The statement orders by address; sort only if it did not.
	for (size_t i = 1; i < t->n; i++)
		if (t->v[i - 1].addr > t->v[i].addr) {
			qsort(t->v, t->n, sizeof(*t->v), cmp_addr);
			break;
		}
	if (t->n && !(t->addrs = malloc(t->n * sizeof(*t->addrs))))
		return &util_enomem;
	for (size_t i = 0; i < t->n; i++)
		t->addrs[i] = t->v[i].addr;
	if (holders && (err = load_holders(t, db, incident, only_goid)))
		return err;
	// Link children under parents and roots together, keeping address
	// order among siblings.
	for (size_t i = t->n; i-- > 0;) {
		struct ctx_node *p = t->v[i].parent ? ctx_tree_find(t, t->v[i].parent) : NULL;
		uint32_t *head = &t->first_root;
		t->v[i].up = CTX_NONE;
		if (p && p != &t->v[i]) {
			t->v[i].has_parent = true;
			t->v[i].up = (uint32_t)(p - t->v);
			head = &p->first_child;
		}
		t->v[i].next_sibling = *head;
		*head = (uint32_t)i;
	}
	return NULL;
}

/* Mark I and its ancestors with VISIBLE, stopping at one already marked. */
static void mark_path(struct ctx_tree *t, size_t i, bool *mark)
{
	for (int steps = 0; steps < CTX_MAX_DEPTH && !mark[i]; steps++) {
		mark[i] = true;
		if (t->v[i].up == CTX_NONE)
			break;
		i = t->v[i].up;
	}
}

/* Everything under a canceled context is shown: what is still live there is
 * what the cancellation did not reach. */
static void mark_under(struct ctx_tree *t, uint32_t i, bool *mark, bool inside, int depth)
{
	for (; i != CTX_NONE; i = t->v[i].next_sibling) {
		bool in = inside || t->v[i].canceled == 1;
		if (in)
			mark[i] = true;
		if (depth < CTX_MAX_DEPTH)
			mark_under(t, t->v[i].first_child, mark, in, depth + 1);
	}
}

static uint64_t mix(uint64_t x)
{
	// splitmix64's finalizer: a sum of mixed child shapes stays a good hash.
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t hash_str(uint64_t h, const char *s)
{
	// FNV-1a; a NULL string differs from an empty one.
	if (!s)
		return mix(h + 0x9e3779b97f4a7c15ULL);
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return mix(h ^ 0xff);
}

/* Shape, size and holdings of the visible subtrees under I's sibling list;
 * returns the sum of the mixed shapes, which does not depend on order. */
static uint64_t measure(struct ctx_tree *t, uint32_t i, int depth, uint64_t *size, uint64_t *held,
		       uint64_t *blocked)
{
	uint64_t sum = 0;
	for (; i != CTX_NONE; i = t->v[i].next_sibling) {
		struct ctx_node *x = &t->v[i];
		if (!x->visible)
			continue;
		uint64_t h = 0xcbf29ce484222325ULL;
		h = hash_str(h, x->kind);
		h = hash_str(h, x->type);
		h = hash_str(h, x->key);
		h = hash_str(h, x->err);
		h = mix(h ^ (uint64_t)(x->canceled + 2) ^ (uint64_t)(x->timer_pending + 2) << 4 ^
			(uint64_t)x->has_deadline << 8 ^ (uint64_t)(x->cause != NULL) << 9 ^
			(uint64_t)(x->found != NULL) << 10 ^
			(uint64_t)x->broken << 12 ^ (uint64_t)x->detached << 13 ^
			(uint64_t)x->blocked << 14);
		x->size = 1;
		x->held = x->nholders > 0;
		x->blocked_below = x->blocked;
		if (depth < CTX_MAX_DEPTH)
			h = mix(h + measure(t, x->first_child, depth + 1, &x->size, &x->held,
					    &x->blocked_below));
		x->shape = h;
		sum += mix(h);
		*size += x->size;
		*held += x->held;
		*blocked += x->blocked_below;
	}
	return sum;
}

void ctx_tree_select(struct ctx_tree *t, int64_t goid, bool canceled)
{
	bool *g = NULL, *c = NULL;
	if (goid >= 0 && (g = calloc(t->n + 1, 1)))
		for (size_t i = 0; i < t->n; i++)
			if (t->v[i].nholders)
				mark_path(t, i, g);
	if (canceled && (c = calloc(t->n + 1, 1))) {
		// The paths first: mark_path stops at a node already marked.
		for (size_t i = 0; i < t->n; i++)
			if (t->v[i].canceled == 1)
				mark_path(t, i, c);
		mark_under(t, t->first_root, c, false, 0);
	}
	for (size_t i = 0; i < t->n; i++)
		t->v[i].visible = (goid < 0 || (g && g[i])) && (!canceled || (c && c[i]));
	free(g);
	free(c);
	uint64_t size = 0, held = 0, blocked = 0;
	measure(t, t->first_root, 0, &size, &held, &blocked);
}

struct util_error *ctx_tree_siblings(const struct ctx_tree *t, uint32_t parent, size_t keep,
				     bool keep_blocked, struct ctx_item **ret, size_t *n)
{
	*ret = NULL;
	*n = 0;
	uint32_t first = parent == CTX_NONE ? t->first_root : t->v[parent].first_child;
	size_t count = 0;
	for (uint32_t i = first; i != CTX_NONE; i = t->v[i].next_sibling)
		count += t->v[i].visible;
	if (!count)
		return NULL;
	struct ctx_item *items = malloc(count * sizeof(*items));
	// Shapes seen among these siblings: an open-addressed table of
	// (shape, examples shown, index of the last example in items).
	size_t cap = 16;
	while (cap < 2 * count)
		cap *= 2;
	struct slot { uint64_t shape; size_t seen, item; bool used; } *tab = NULL;
	if (keep && items)
		tab = calloc(cap, sizeof(*tab));
	if (!items || (keep && !tab)) {
		free(items);
		free(tab);
		return &util_enomem;
	}
	size_t k = 0;
	for (uint32_t i = first; i != CTX_NONE; i = t->v[i].next_sibling) {
		const struct ctx_node *x = &t->v[i];
		if (!x->visible)
			continue;
		if (keep && !(keep_blocked && x->blocked_below)) {
			size_t s = (size_t)mix(x->shape) & (cap - 1);
			while (tab[s].used && tab[s].shape != x->shape)
				s = (s + 1) & (cap - 1);
			if (!tab[s].used)
				tab[s] = (struct slot){.shape = x->shape, .used = true};
			if (tab[s].seen++ >= keep) {
				struct ctx_item *last = &items[tab[s].item];
				last->folded++;
				last->folded_size += x->size;
				last->folded_held += x->held;
				continue;
			}
			tab[s].item = k;
		}
		items[k++] = (struct ctx_item){.node = i};
	}
	free(tab);
	*ret = items;
	*n = k;
	return NULL;
}

void ctx_describe(const struct ctx_node *x, char *buf, size_t size)
{
	if (x->key)
		snprintf(buf, size, "%s %s", x->kind, x->key);
	else if (strcmp(x->kind, "user") == 0 && x->type)
		snprintf(buf, size, "user %s", x->type);
	else
		snprintf(buf, size, "%s", x->kind);
}

const char *ctx_count(uint64_t n, char buf[32])
{
	char digits[24];
	int len = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)n);
	char *p = buf;
	for (int i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			*p++ = ',';
		*p++ = digits[i];
	}
	*p = '\0';
	return buf;
}

const char *ctx_time(int64_t ns, char buf[32])
{
	time_t secs = (time_t)(ns / 1000000000);
	struct tm tm;
	// A deadline read from a core can be any number: past year 9999 it
	// stays a number.
	if (!gmtime_r(&secs, &tm) || tm.tm_year > 9999 - 1900 ||
	    !strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, 32, "%lld ns", (long long)ns);
	return buf;
}
