// SPDX-License-Identifier: Apache-2.0
/* gotrace.h: test helpers — parse Go's own traceback text (runtime.Stack dumps,
 * GOTRACEBACK=crash output) and read the corpus manifest. Used only by tests, so
 * the expectations never pass through gocoroner's own code. */
#ifndef GOCORONER_TESTS_GOTRACE_H
#define GOCORONER_TESTS_GOTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gt_frame {
	char *func;  /* as printed, with "panic" turned back into runtime.gopanic */
	char *file;
	int line;
};

struct gt_goroutine {
	uint64_t goid;
	char *state;          /* first word(s) inside the brackets: "chan receive", "running" */
	bool locked;          /* ", locked to thread" */
	int minutes;          /* ", N minutes", 0 if absent */
	char *labels;         /* " {k: v, k2: \"v 2\"}" after the brackets (Go 1.26+), canonical "k=v;k2=v 2", NULL if none */
	struct gt_frame *frames;
	size_t nframes;
	bool elided;          /* "...additional frames elided..." or "stack unavailable" */
	char *created_by;     /* creator function, NULL if none */
	char *created_file;
	int created_line;
	uint64_t created_in;  /* "in goroutine N", 0 if absent */
};

struct gt_trace {
	struct gt_goroutine *g;
	size_t n;
};

/** Parse a traceback text; returns false on I/O error. */
bool gt_parse_file(const char *path, struct gt_trace *t);
void gt_free(struct gt_trace *t);
const struct gt_goroutine *gt_find(const struct gt_trace *t, uint64_t goid);

/** One row of corpus/manifest.tsv, columns by name. */
struct gt_manifest_row {
	char *cols[32];
	size_t ncols;
};

struct gt_manifest {
	char *header[32];
	size_t nheader;
	struct gt_manifest_row *rows;
	size_t nrows;
};

/**
 * Read the manifest. The rows of corpus/generate.sh --variant split
 * (notes variant:split: a stripped executable whose DWARF is in
 * bin/NAME.debug.zst) are left out unless gt_manifest_with_split is set
 * first: test-corpus reads them with their debug file, test-debuginfo.sh
 * every way it can be found.
 */
extern bool gt_manifest_with_split;
bool gt_manifest_read(const char *path, struct gt_manifest *m);
void gt_manifest_free(struct gt_manifest *m);
/** The value of column NAME in ROW, or "" if absent. */
const char *gt_col(const struct gt_manifest *m, const struct gt_manifest_row *row,
		   const char *name);

/** Decompress a .zst file to OUT (sparse: runs of zero blocks become holes). */
bool gt_unzstd(const char *in, const char *out);

/** "DIR/REL", malloc'd (aborts on no memory). */
char *gt_path(const char *dir, const char *rel);
/** The manifest row named NAME, or NULL. */
const struct gt_manifest_row *gt_row(const struct gt_manifest *m, const char *name);
/**
 * Decompress the corpus file in column COL of ROW (relative to CORPUS_DIR)
 * to TMPDIR/NAME+SUFFIX and return that path (malloc'd); aborts with a
 * message if it cannot, which fails the test.
 */
char *gt_unpack(const struct gt_manifest *m, const struct gt_manifest_row *row, const char *col,
		const char *corpus_dir, const char *tmpdir, const char *suffix);
/** True if ROW's executable is the stripped variant ("variant:stripped" in
 * its notes): no DWARF, so no defers, panics or heap to check; contexts from
 * the stack scan only (test-contexts checks them). */
bool gt_row_stripped(const struct gt_manifest *m, const struct gt_manifest_row *row);
/**
 * Run CHECK on every manifest row of PROGRAM ("hang", "diag"; NULL: every
 * row) but the stripped variant's (gt_row_stripped) with its executable
 * decompressed into TMPDIR (removed afterwards) and the paths of its core and
 * stdout under CORPUS_DIR. Returns the sum of what CHECK returned (its
 * failures).
 */
int gt_each_core(const struct gt_manifest *m, const char *corpus_dir, const char *tmpdir,
		 const char *program,
		 int (*check)(const char *name, const char *exe, const char *core, const char *out));
/** Overwrite LEN bytes at virtual address ADDR of a raw core file; false if no PT_LOAD holds them. */
bool gt_patch_core(const char *core_path, uint64_t addr, const void *bytes, size_t len);

/**
 * The number after KEY on the first line of the program's output file PATH
 * that starts with PREFIX ("scenario culprit ", "goid="), 0 if none.
 */
uint64_t gt_line_value(const char *path, const char *prefix, const char *key);

#endif
