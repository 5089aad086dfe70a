// SPDX-License-Identifier: Apache-2.0
// gotrace.c: parse Go's traceback text and the corpus manifest for the tests.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gelf.h>
#include <zstd.h>

#include "tests/gotrace.h"

static char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);
	if (!p)
		abort();
	return p;
}

/* "k: v, k2: \"v 2\"" → "k=v;k2=v 2", keys in the order printed (Go sorts them). */
static char *canonical_labels(const char *s, size_t n)
{
	char *out = malloc(2 * n + 1);
	if (!out)
		abort();
	size_t o = 0, i = 0;
	bool first = true;
	while (i < n) {
		if (!first)
			out[o++] = ';';
		first = false;
		for (int part = 0; part < 2 && i < n; part++) {
			if (s[i] == '"') { // a quoted string with backslash escapes
				for (i++; i < n && s[i] != '"'; i++) {
					if (s[i] == '\\' && i + 1 < n)
						i++;
					out[o++] = s[i];
				}
				i++;
			} else {
				const char *stop = part == 0 ? ":" : ",";
				while (i < n && s[i] != stop[0])
					out[o++] = s[i++];
			}
			if (part == 0) {
				out[o++] = '=';
				if (i < n && s[i] == ':')
					i++;
				while (i < n && s[i] == ' ')
					i++;
			}
		}
		while (i < n && (s[i] == ',' || s[i] == ' '))
			i++;
	}
	out[o] = '\0';
	return out;
}

/* "goroutine 18 [chan receive, 5 minutes, locked to thread]:" — also with
 * " gp=0x... m=N mp=0x..." between the id and the bracket (GOTRACEBACK=crash). */
static bool parse_header(const char *line, struct gt_goroutine *g)
{
	if (strncmp(line, "goroutine ", 10) != 0)
		return false;
	char *end;
	unsigned long long id = strtoull(line + 10, &end, 10);
	if (end == line + 10)
		return false;
	const char *lb = strchr(end, '['), *rb = strchr(end, ']');
	if (rb && strstr(end, " labels:{")) // Go 1.26: the labels sit inside the brackets
		rb = strrchr(end, ']');
	if (!lb || !rb || rb < lb)
		return false;
	const char *labels = NULL;
	if (strcmp(rb, "]:") != 0) {
		// Go 1.26+ may print pprof labels: "] {k: v, k2: \"v 2\"}:".
		size_t n = strlen(rb);
		if (strncmp(rb, "] {", 3) != 0 || n < 5 || strcmp(rb + n - 2, "}:") != 0)
			return false;
		labels = rb + 3;
	}
	memset(g, 0, sizeof(*g));
	g->goid = id;
	if (labels)
		g->labels = canonical_labels(labels, strlen(labels) - 2);
	char *inside = xstrndup(lb + 1, (size_t)(rb - lb - 1));
	// Go 1.26 prints labels inside the brackets: "[chan receive labels:{"k": "v"}]".
	char *lab = strstr(inside, " labels:{");
	if (lab) {
		char *close = strrchr(lab, '}');
		if (close) {
			g->labels = canonical_labels(lab + 9, (size_t)(close - lab - 9));
			memmove(lab, close + 1, strlen(close + 1) + 1);
		}
	}
	char *save = NULL;
	for (char *part = strtok_r(inside, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
		while (*part == ' ')
			part++;
		if (!g->state)
			g->state = xstrndup(part, strlen(part));
		else if (strcmp(part, "locked to thread") == 0)
			g->locked = true;
		else if (strstr(part, " minutes"))
			g->minutes = atoi(part);
	}
	if (!g->state)
		g->state = xstrndup("", 0);
	// "chan receive (leaked)" and "(scan)" keep the base state only.
	char *paren = strstr(g->state, " (leaked)");
	if (paren)
		*paren = '\0';
	free(inside);
	return true;
}

/* "main.(*T).M(0xc000010000, {0x1, 0x2})" → "main.(*T).M". */
static char *func_of(const char *line)
{
	size_t n = strlen(line);
	if (n == 0 || line[n - 1] != ')')
		return NULL;
	int depth = 0;
	for (size_t i = n; i-- > 0;) {
		if (line[i] == ')')
			depth++;
		else if (line[i] == '(' && --depth == 0) {
			char *f = xstrndup(line, i);
			if (strcmp(f, "panic") == 0) {
				free(f);
				f = xstrndup("runtime.gopanic", 15);
			}
			return f;
		}
	}
	return NULL;
}

/* "\t/path/file.go:123 +0x1d" (maybe " fp=... sp=... pc=...") → file, line. */
static bool file_line(const char *line, char **file, int *lineno)
{
	if (line[0] != '\t')
		return false;
	line++;
	const char *sp = strchr(line, ' ');
	size_t n = sp ? (size_t)(sp - line) : strlen(line);
	const char *colon = NULL;
	for (size_t i = 0; i < n; i++)
		if (line[i] == ':')
			colon = line + i;
	if (!colon)
		return false;
	*file = xstrndup(line, (size_t)(colon - line));
	*lineno = atoi(colon + 1);
	return true;
}

bool gt_parse_file(const char *path, struct gt_trace *t)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	memset(t, 0, sizeof(*t));
	size_t cap = 0;
	char *line = NULL, *pending = NULL;
	size_t lcap = 0;
	struct gt_goroutine *cur = NULL;
	bool created = false;
	ssize_t len;
	while ((len = getline(&line, &lcap, f)) >= 0) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		struct gt_goroutine hdr;
		if (parse_header(line, &hdr)) {
			if (t->n == cap) {
				cap = cap ? cap * 2 : 64;
				t->g = realloc(t->g, cap * sizeof(*t->g));
				if (!t->g)
					abort();
			}
			t->g[t->n] = hdr;
			cur = &t->g[t->n++];
			free(pending);
			pending = NULL;
			created = false;
			continue;
		}
		if (!cur)
			continue;
		if (len == 0) { // a blank line ends the goroutine
			cur = NULL;
			continue;
		}
		if (strstr(line, "additional frames elided") || strstr(line, "stack unavailable")) {
			cur->elided = true;
			continue;
		}
		if (strncmp(line, "created by ", 11) == 0) {
			const char *name = line + 11, *in = strstr(name, " in goroutine ");
			cur->created_by = xstrndup(name, in ? (size_t)(in - name) : strlen(name));
			if (in)
				cur->created_in = strtoull(in + 14, NULL, 10);
			created = true;
			continue;
		}
		if (line[0] == '\t') {
			char *file;
			int ln;
			if (!file_line(line, &file, &ln))
				continue;
			if (created) {
				cur->created_file = file;
				cur->created_line = ln;
				created = false;
			} else if (pending) {
				cur->frames = realloc(cur->frames, (cur->nframes + 1) * sizeof(*cur->frames));
				if (!cur->frames)
					abort();
				cur->frames[cur->nframes++] = (struct gt_frame){pending, file, ln};
				pending = NULL;
			} else
				free(file);
			continue;
		}
		free(pending);
		pending = func_of(line);
	}
	free(pending);
	free(line);
	fclose(f);
	return true;
}

void gt_free(struct gt_trace *t)
{
	for (size_t i = 0; i < t->n; i++) {
		struct gt_goroutine *g = &t->g[i];
		for (size_t j = 0; j < g->nframes; j++) {
			free(g->frames[j].func);
			free(g->frames[j].file);
		}
		free(g->frames);
		free(g->state);
		free(g->labels);
		free(g->created_by);
		free(g->created_file);
	}
	free(t->g);
	memset(t, 0, sizeof(*t));
}

const struct gt_goroutine *gt_find(const struct gt_trace *t, uint64_t goid)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->g[i].goid == goid)
			return &t->g[i];
	return NULL;
}

static size_t split_tabs(char *line, char **cols, size_t max)
{
	size_t n = 0;
	char *p = line;
	while (n < max) {
		cols[n++] = p;
		char *tab = strchr(p, '\t');
		if (!tab)
			break;
		*tab = '\0';
		p = tab + 1;
	}
	return n;
}

bool gt_manifest_with_split;

bool gt_manifest_read(const char *path, struct gt_manifest *m)
{
	memset(m, 0, sizeof(*m));
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	char *line = NULL;
	size_t lcap = 0;
	ssize_t len;
	bool first = true;
	while ((len = getline(&line, &lcap, f)) >= 0) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		char *copy = xstrndup(line, (size_t)len);
		if (first) {
			m->nheader = split_tabs(copy, m->header, 32);
			first = false;
			continue;
		}
		if (!gt_manifest_with_split && strstr(copy, "variant:split")) {
			free(copy);
			continue;
		}
		m->rows = realloc(m->rows, (m->nrows + 1) * sizeof(*m->rows));
		if (!m->rows)
			abort();
		struct gt_manifest_row *r = &m->rows[m->nrows++];
		r->ncols = split_tabs(copy, r->cols, 32);
	}
	free(line);
	fclose(f);
	return !first;
}

void gt_manifest_free(struct gt_manifest *m)
{
	if (m->nheader)
		free(m->header[0]);
	for (size_t i = 0; i < m->nrows; i++)
		free(m->rows[i].cols[0]);
	free(m->rows);
	memset(m, 0, sizeof(*m));
}

const char *gt_col(const struct gt_manifest *m, const struct gt_manifest_row *row,
		   const char *name)
{
	for (size_t i = 0; i < m->nheader && i < row->ncols; i++)
		if (strcmp(m->header[i], name) == 0)
			return row->cols[i];
	return "";
}

static bool all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

bool gt_unzstd(const char *in, const char *out)
{
	FILE *fi = fopen(in, "rb");
	if (!fi)
		return false;
	int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fo < 0) {
		fclose(fi);
		return false;
	}
	ZSTD_DStream *ds = ZSTD_createDStream();
	size_t inbuf_sz = ZSTD_DStreamInSize(), outbuf_sz = 1 << 20;
	unsigned char *ib = malloc(inbuf_sz), *ob = malloc(outbuf_sz);
	bool ok = ds && ib && ob;
	off_t pos = 0;
	size_t got;
	while (ok && (got = fread(ib, 1, inbuf_sz, fi)) > 0) {
		ZSTD_inBuffer zin = {ib, got, 0};
		while (ok && zin.pos < zin.size) {
			ZSTD_outBuffer zout = {ob, outbuf_sz, 0};
			size_t r = ZSTD_decompressStream(ds, &zout, &zin);
			if (ZSTD_isError(r)) {
				ok = false;
				break;
			}
			// Write 4 KiB blocks; skip zero blocks to leave holes.
			for (size_t off = 0; off < zout.pos; off += 4096) {
				size_t n = zout.pos - off < 4096 ? zout.pos - off : 4096;
				if (!all_zero(ob + off, n) && pwrite(fo, ob + off, n, pos) != (ssize_t)n)
					ok = false;
				pos += (off_t)n;
			}
		}
	}
	if (ok && ftruncate(fo, pos) != 0)
		ok = false;
	ZSTD_freeDStream(ds);
	free(ib);
	free(ob);
	fclose(fi);
	close(fo);
	return ok;
}

char *gt_path(const char *dir, const char *rel)
{
	char *p;
	if (asprintf(&p, "%s/%s", dir, rel) < 0)
		abort();
	return p;
}

const struct gt_manifest_row *gt_row(const struct gt_manifest *m, const char *name)
{
	for (size_t i = 0; i < m->nrows; i++)
		if (strcmp(gt_col(m, &m->rows[i], "name"), name) == 0)
			return &m->rows[i];
	return NULL;
}

char *gt_unpack(const struct gt_manifest *m, const struct gt_manifest_row *row, const char *col,
		const char *corpus_dir, const char *tmpdir, const char *suffix)
{
	char *src = gt_path(corpus_dir, gt_col(m, row, col)), *dst;
	if (asprintf(&dst, "%s/%s%s", tmpdir, gt_col(m, row, "name"), suffix) < 0)
		abort();
	if (!gt_unzstd(src, dst)) {
		fprintf(stderr, "cannot decompress %s to %s\n", src, dst);
		abort();
	}
	free(src);
	return dst;
}

bool gt_row_stripped(const struct gt_manifest *m, const struct gt_manifest_row *row)
{
	return strstr(gt_col(m, row, "notes"), "variant:stripped") != NULL;
}

int gt_each_core(const struct gt_manifest *m, const char *corpus_dir, const char *tmpdir,
		 const char *program,
		 int (*check)(const char *name, const char *exe, const char *core, const char *out))
{
	int bad = 0;
	for (size_t i = 0; i < m->nrows; i++) {
		const struct gt_manifest_row *row = &m->rows[i];
		if ((program && strcmp(gt_col(m, row, "program"), program) != 0) ||
		    gt_row_stripped(m, row))
			continue;
		char *exe = gt_unpack(m, row, "exe", corpus_dir, tmpdir, ".exe");
		char *core = gt_path(corpus_dir, gt_col(m, row, "core"));
		char *out = gt_path(corpus_dir, gt_col(m, row, "stdout"));
		bad += check(gt_col(m, row, "name"), exe, core, out);
		unlink(exe);
		free(exe);
		free(core);
		free(out);
	}
	return bad;
}

bool gt_patch_core(const char *core_path, uint64_t addr, const void *bytes, size_t len)
{
	if (elf_version(EV_CURRENT) == EV_NONE)
		return false;
	int fd = open(core_path, O_RDWR);
	if (fd < 0)
		return false;
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	size_t n;
	bool done = false;
	if (e && elf_getphdrnum(e, &n) == 0) {
		for (size_t i = 0; i < n && !done; i++) {
			GElf_Phdr ph;
			if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD)
				continue;
			if (addr >= ph.p_vaddr && addr + len <= ph.p_vaddr + ph.p_filesz)
				done = pwrite(fd, bytes, len, (off_t)(ph.p_offset + addr - ph.p_vaddr)) ==
				       (ssize_t)len;
		}
	}
	if (e)
		elf_end(e);
	close(fd);
	return done;
}

uint64_t gt_line_value(const char *path, const char *prefix, const char *key)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	char line[4096];
	uint64_t v = 0;
	while (!v && fgets(line, sizeof(line), f))
		if (strncmp(line, prefix, strlen(prefix)) == 0) {
			const char *p = strstr(line, key);
			if (p)
				v = strtoull(p + strlen(key), NULL, 0);
		}
	fclose(f);
	return v;
}
