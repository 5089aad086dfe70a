// SPDX-License-Identifier: Apache-2.0
/* goroutines.h: what the two files of 'gocoroner goroutines' share (private
 * to cli/): its options, the stacks' locations and one goroutine's row. */
#ifndef GOCORONER_CLI_GOROUTINES_H
#define GOCORONER_CLI_GOROUTINES_H

#include "cli/cli.h"

/* The four locations of a goroutine Delve names (its 'goroutines' help). */
enum loc { LOC_USER, LOC_CUR, LOC_GO, LOC_START, LOC_COUNT };
/** Their names, as options take them. */
extern const char *const cli_gor_loc_names[LOC_COUNT];

/* One --with or --without condition. */
struct filter {
	enum { F_LOC, F_FUNC, F_STATE, F_LABEL, F_RUNNING, F_USER } kind;
	enum loc loc;      /* F_LOC */
	const char *text;  /* F_LOC, F_FUNC: a substring; F_STATE: the state; F_LABEL: the key */
	const char *value; /* F_LABEL: the value after '=', or NULL for any */
	bool without;
};

enum group { G_NONE, G_LOC, G_RUNNING, G_USER, G_STATE, G_LABEL };
enum { MAX_FILTERS = 32 };
/** Groups --group prints without --all (a macro: the usage text names it). */
#define DEFAULT_GROUPS 30

struct gor_opts {
	const char *db_path;
	uint64_t budget;
	int64_t incident;
	bool has_chan;
	uint64_t chan;
	struct filter filters[MAX_FILTERS];
	int nfilters;
	enum group group;
	enum loc group_loc;
	const char *group_label;
	bool all;
	enum cli_format format;
};

/* What the listing needs of one stored stack: its locations as text. */
struct stack_locs {
	char *cur, *user; /* "func file:line", NULL for a stack without frames */
	char *funcs;      /* every frame's function, each followed by '\n' */
};

struct stacks {
	struct stack_locs *v;
	size_t n;
};

/* A row of statement 'goroutines' with its stack's locations. */
struct gor {
	sqlite3_stmt *st;
	const struct stack_locs *stack; /* NULL when the stack has no frames */
	char goloc[512];
};

/** Parse the command line into O; -1 after --help, else an exit status. */
int cli_gor_parse(int argc, char **argv, struct gor_opts *o);
/** G's location LOC as "func file:line" ("?" when unknown). */
const char *cli_gor_loc(struct gor *g, enum loc loc);
/** G's state: its wait reason, else its status. */
const char *cli_gor_state(struct gor *g);
/** True if G meets F (or, for --without, does not). */
bool cli_gor_matches(struct gor *g, const struct filter *f);
/** The key of G's group under O's --group, in BUF if it needs one. */
const char *cli_gor_group_key(struct gor *g, const struct gor_opts *o, char *buf, size_t size);
/**
 * The next "key" or "value" of LABELS, our JSON object text {"k":"v",...},
 * decoded into BUF (JSON escapes undone, \u as UTF-8); *P moves past it.
 * False at the end.
 */
bool cli_gor_next_label(const char **p, char *buf, size_t size);

#endif
