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

/* map[string]string (Go ≤ 1.23): walk the classic hash map's buckets. */
static struct util_error *read_label_map(struct gr_reader *r, uint64_t hmap, struct pair *out,
					 size_t *n)
{
	uint64_t count_off, b_off, buckets_off, oldbuckets_off;
	struct util_error *err = dw_member_offset(r->bin, "runtime.hmap", "count", &count_off);
	if (!err)
		err = dw_member_offset(r->bin, "runtime.hmap", "B", &b_off);
	if (!err)
		err = dw_member_offset(r->bin, "runtime.hmap", "buckets", &buckets_off);
	if (!err)
		err = dw_member_offset(r->bin, "runtime.hmap", "oldbuckets", &oldbuckets_off);
	if (err)
		return err;
	uint64_t buckets, oldbuckets;
	uint8_t B;
	if ((err = core_read_u8(r->core, hmap + b_off, &B)) ||
	    (err = core_read_u64(r->core, hmap + buckets_off, &buckets)) ||
	    (err = core_read_u64(r->core, hmap + oldbuckets_off, &oldbuckets)))
		return err;
	if (B > 8)
		return util_error_create(UTIL_ERROR_BAD_DATA, "label map with 2^%u buckets", B);
	// A bucket of map[string]string: tophash [8]uint8, keys [8]string,
	// elems [8]string, overflow pointer (runtime/map.go bmap).
	const uint64_t keys = 8, elems = 8 + 8 * 16, overflow = 8 + 16 * 16, bsize = overflow + 8;
	uint64_t lists[2] = {buckets, oldbuckets};
	uint64_t nb[2] = {1ULL << B, B ? 1ULL << (B - 1) : 1};
	size_t steps = 0;
	for (int li = 0; li < 2; li++) {
		for (uint64_t i = 0; lists[li] && i < nb[li]; i++) {
			uint64_t bucket = lists[li] + i * bsize;
			while (bucket && steps++ < 1024) {
				unsigned char bk[8 + 16 * 16 + 8];
				err = core_read(r->core, bucket, bk, sizeof(bk));
				if (err)
					return err;
				for (int slot = 0; slot < 8; slot++) {
					if (bk[slot] < 5) // empty or evacuated (minTopHash)
						continue;
					if (*n >= MAX_LABELS)
						return NULL;
					const char *k, *v;
					if ((err = gr_read_gostring(r, bucket + keys + 16 * slot,
								    MAX_LABEL_TEXT, &k)) ||
					    (err = gr_read_gostring(r, bucket + elems + 16 * slot,
								    MAX_LABEL_TEXT, &v)))
						return err;
					out[(*n)++] = (struct pair){k, v};
				}
				memcpy(&bucket, bk + overflow, 8);
			}
		}
	}
	return NULL;
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
