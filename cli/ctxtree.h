// SPDX-License-Identifier: Apache-2.0
/* ctxtree.h: an incident's context trees in memory, for 'contexts' and
 * 'graph --contexts' (private to cli/): selection by goroutine or
 * cancellation, and like siblings folded so that a tree of 430,000
 * contexts prints in a screenful. */
#ifndef GOCORONER_CLI_CTXTREE_H
#define GOCORONER_CLI_CTXTREE_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "cli/cli.h"

/** Trees deeper than this are cut: parent links come from a core. */
enum { CTX_MAX_DEPTH = 256 };
/** No node: the end of a child list. */
#define CTX_NONE ((uint32_t)-1)

/** One goroutine holding one context: its innermost two holding frames. */
struct ctx_holder {
	int64_t goid;
	const char *func[2], *var[2]; /* interned; NULL: not found through a frame */
	bool unverified[2];
	uint8_t frames;               /* entries of func[] used */
	int more_frames;              /* holding frames beyond those two */
	uint32_t next;                /* the node's next holder, or CTX_NONE */
};

struct ctx_node {
	int64_t addr, parent;
	/* Interned in the tree's string table; kind never NULL. */
	const char *kind, *type, *err, *cause, *key, *value;
	const char *found;            /* where it was found when no frame holds it */
	int canceled;                 /* 1, 0, -1 unknown (user type) */
	int timer_pending;            /* 1, 0, -1 n/a */
	bool has_deadline;
	bool has_parent;              /* parent is among the nodes */
	bool visible;                 /* selected (--goid, --canceled) */
	bool broken, detached;        /* graph: a broken link's child; WithoutCancel under a canceled one */
	bool blocked;                 /* graph: a goroutine blocked holding it while canceled */
	int64_t deadline;             /* Unix ns */
	int64_t break_addr;           /* broken: where the chain breaks */
	uint32_t up;                  /* the parent's index, CTX_NONE for a root */
	uint32_t first_child, next_sibling; /* CTX_NONE = none; address order */
	uint32_t first_holder, nholders;    /* holder list (ctx_tree.holders) */
	uint64_t shape;               /* the visible subtree without addresses, values, holders */
	uint64_t size;                /* visible contexts in the subtree, this one too */
	uint64_t held;                /* contexts a goroutine holds in the visible subtree */
	uint64_t blocked_below;       /* blocked contexts in the visible subtree */
};

struct ctx_tree {
	struct ctx_node *v;           /* sorted by address */
	size_t n, cap;
	int64_t *addrs;               /* v[i].addr, for lookups */
	struct ctx_holder *holders;
	size_t nholders, holders_cap;
	uint32_t first_root;          /* roots linked through next_sibling */
	struct util_strtab strings;
};

/** One entry of a sibling list as shown: a node, and when it is the last
 * example of its shape, how many like it follow folded. */
struct ctx_item {
	uint32_t node;
	uint64_t folded;              /* like siblings not shown after this one */
	uint64_t folded_size;         /* contexts in their subtrees */
	uint64_t folded_held;         /* contexts held in their subtrees */
};

void ctx_tree_init(struct ctx_tree *t);
void ctx_tree_deinit(struct ctx_tree *t);
/** Read the incident's contexts and, with HOLDERS, their holders (only
 * goroutine ONLY_GOID's holdings when it is >= 0), and link the trees.
 * Without HOLDERS no node is held: for a caller that shows no holder. */
struct util_error *ctx_tree_load(struct ctx_tree *t, struct store_db *db, int64_t incident,
				 int64_t only_goid, bool holders);
struct ctx_node *ctx_tree_find(struct ctx_tree *t, int64_t addr);
/** Mark the nodes to show: with GOID >= 0 the contexts it holds and their
 * ancestors; with CANCELED the canceled contexts, their ancestors and
 * everything under them; both: what passes both. Then compute every node's
 * shape, size and held over what is visible. */
void ctx_tree_select(struct ctx_tree *t, int64_t goid, bool canceled);
/** The visible children of node PARENT (CTX_NONE: the roots) in address
 * order, at most KEEP of each shape (0: all), the rest counted in the last
 * example shown; with KEEP_BLOCKED a subtree with a blocked context is never
 * folded. *RET is malloc'd (free it); NULL with *N 0 when none. */
struct util_error *ctx_tree_siblings(const struct ctx_tree *t, uint32_t parent, size_t keep,
				     bool keep_blocked, struct ctx_item **ret, size_t *n);
/** 'graph --contexts' (cli/graphctx.c): the trees as DOT on OUT, selected
 * and folded as for 'contexts' (one example a shape, KEEP 1, or all with
 * ALL), at most LIMIT contexts (0: all); what was left out said on stderr. */
struct ctx_graph_options {
	int64_t goid;                 /* -1: every goroutine */
	bool canceled, all;
	size_t limit;
};
struct util_error *ctx_graph(FILE *out, struct store_db *db, int64_t incident,
			     const struct ctx_graph_options *o);
/** S as a DOT string: quoted, quotes and backslashes escaped, newlines \n. */
void ctx_dot_string(FILE *out, const char *s);
/** A short description of a node's kind for a folded line: 'value "request_id"', 'timer'. */
void ctx_describe(const struct ctx_node *x, char *buf, size_t size);
/** N with thousands separators ("1,842"), in BUF of 32 bytes. */
const char *ctx_count(uint64_t n, char buf[32]);
/** A deadline (Unix ns) as an RFC 3339 UTC time, in BUF of 32 bytes. */
const char *ctx_time(int64_t ns, char buf[32]);

#endif
