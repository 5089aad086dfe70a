// SPDX-License-Identifier: Apache-2.0
// labels.c: decode a goroutine's pprof labels (g.labels) into JSON text.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "goruntime/internal.h"

enum { MAX_LABELS = 256, MAX_LABEL_TEXT = 4096 };

struct json_buf {
	char *s;
	size_t n, cap;
	bool oom;
};

static void jb_putc(struct json_buf *b, char c)
{
	if (b->oom)
		return;
	if (b->n + 2 > b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 128;
		char *ns = realloc(b->s, ncap);
		if (!ns) {
			b->oom = true;
			return;
		}
		b->s = ns;
		b->cap = ncap;
	}
	b->s[b->n++] = c;
	b->s[b->n] = '\0';
}

static void jb_str(struct json_buf *b, const char *s)
{
	jb_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			jb_putc(b, '\\');
			jb_putc(b, (char)*p);
		} else if (*p < 0x20) {
			char esc[8];
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			for (char *e = esc; *e; e++)
				jb_putc(b, *e);
		} else
			jb_putc(b, (char)*p);
	}
	jb_putc(b, '"');
}

struct pair {
	const char *k, *v;
};

static int pair_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pair *)a)->k, ((const struct pair *)b)->k);
}

struct pairs {
	struct gr_reader *r;
	struct pair *v;
	size_t n;
};

static struct util_error *add_pair(void *arg, uint64_t key_addr, const unsigned char *key,
				   uint64_t elem_addr)
{
	struct pairs *p = arg;
	const char *k, *v;
	struct util_error *err;
	(void)key;
	if ((err = gr_read_gostring(p->r, key_addr, MAX_LABEL_TEXT, &k)) ||
	    (err = gr_read_gostring(p->r, elem_addr, MAX_LABEL_TEXT, &v)))
		return err;
	p->v[p->n++] = (struct pair){k, v};
	return NULL;
}

/* map[string]string (Go ≤ 1.23). */
static struct util_error *read_label_map(struct gr_reader *r, uint64_t hmap, struct pair *out,
					 size_t *n)
{
	if (!r->labels_map_probed) {
		gr_map_type_probe(r, "bucket<string,string>", "noalg.map.group[string]string", 16, 16,
				  &r->labels_map);
		r->labels_map_probed = true;
	}
	if (!r->labels_map.ok)
		return util_error_create(UTIL_ERROR_BAD_DATA, "the map layout is not understood");
	struct pairs p = {r, out, *n};
	size_t budget = MAX_LABELS - *n;
	struct util_error *err = gr_map_each(r, &r->labels_map, hmap, &budget, add_pair, &p);
	*n = p.n;
	return err;
}

/* labelMap{LabelSet{list []label}} (Go 1.24+): a sorted slice of key/value pairs. */
static struct util_error *read_label_slice(struct gr_reader *r, uint64_t lm, struct pair *out,
					   size_t *n)
{
	const struct gr_layout *l = &r->layout;
	uint64_t hdr[3];
	struct util_error *err = core_read(r->core, lm + l->labels_list, hdr, sizeof(hdr));
	if (err)
		return err;
	if (hdr[1] > hdr[2] || hdr[1] > MAX_LABELS)
		return util_error_create(UTIL_ERROR_BAD_DATA, "label list of length %llu",
					 (unsigned long long)hdr[1]);
	for (uint64_t i = 0; i < hdr[1]; i++) {
		uint64_t e = hdr[0] + i * l->label_size;
		const char *k, *v;
		if ((err = gr_read_gostring(r, e + l->label_key, MAX_LABEL_TEXT, &k)) ||
		    (err = gr_read_gostring(r, e + l->label_value, MAX_LABEL_TEXT, &v)))
			return err;
		out[(*n)++] = (struct pair){k, v};
	}
	return NULL;
}

struct util_error *gr_labels_read(struct gr_reader *r, uint64_t labels_ptr, const char **ret)
{
	struct pair *pairs = malloc(MAX_LABELS * sizeof(*pairs));
	if (!pairs)
		return &util_enomem;
	size_t n = 0;
	struct util_error *err;
	if (r->layout.labels_are_slice) {
		err = read_label_slice(r, labels_ptr, pairs, &n);
	} else {
		// g.labels points at a labelMap variable, itself a *hmap.
		uint64_t hmap;
		err = core_read_u64(r->core, labels_ptr, &hmap);
		if (!err && hmap)
			err = read_label_map(r, hmap, pairs, &n);
	}
	if (err || n == 0) {
		free(pairs);
		*ret = NULL;
		return err;
	}
	qsort(pairs, n, sizeof(*pairs), pair_cmp);
	struct json_buf b = {0};
	jb_putc(&b, '{');
	for (size_t i = 0; i < n; i++) {
		if (i)
			jb_putc(&b, ',');
		jb_str(&b, pairs[i].k);
		jb_putc(&b, ':');
		jb_str(&b, pairs[i].v);
	}
	jb_putc(&b, '}');
	free(pairs);
	if (b.oom) {
		free(b.s);
		return &util_enomem;
	}
	*ret = gr_intern(r->snap, b.s);
	free(b.s);
	return *ret ? NULL : &util_enomem;
}

bool gr_ctx_std_value(struct gr_reader *r, const uint64_t kv[4], const char **key,
		      const char **val)
{
	const char *kn = gr_type_name(r, kv[0]), *vn = gr_type_name(r, kv[2]);
	if (!kn)
		return false;
	if (strcmp(kn, "pprof.labelContextKey") == 0 && vn && strcmp(vn, "*pprof.labelMap") == 0) {
		// pprof.WithLabels: the value is what g.labels points to as well.
		const char *labels = NULL;
		struct util_error *err = kv[3] ? gr_labels_read(r, kv[3], &labels) : NULL;
		util_error_destroy(err);
		*key = "pprof labels";
		*val = labels ? labels : "{}";
		return true;
	}
	if (strcmp(kn, "*http.contextKey") == 0) {
		const char *name = NULL;
		struct util_error *err = gr_read_gostring(r, kv[1], 256, &name);
		if (err || !name) {
			util_error_destroy(err);
			return false;
		}
		// The exported variables a handler's code names (net/http's
		// server.go: ServerContextKey = &contextKey{"http-server"},
		// LocalAddrContextKey = &contextKey{"local-addr"}, since Go 1.7);
		// another key as its String() prints it.
		char b[320];
		if (strcmp(name, "http-server") == 0)
			snprintf(b, sizeof(b), "http.ServerContextKey");
		else if (strcmp(name, "local-addr") == 0)
			snprintf(b, sizeof(b), "http.LocalAddrContextKey");
		else
			snprintf(b, sizeof(b), "net/http context value %s", name);
		*key = gr_intern(r->snap, b);
		return *key != NULL;
	}
	return false;
}
