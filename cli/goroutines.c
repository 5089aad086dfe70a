// SPDX-License-Identifier: Apache-2.0
// goroutines.c: 'gocoroner goroutines' — an incident's goroutines one a line,
// filtered and grouped the way Delve's 'goroutines' command does, or as JSON.
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/goroutines.h"
#include "store/store.h"

static const char *col(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

static const char *text(sqlite3_stmt *st, int i)
{
	const char *t = col(st, i);
	return t ? t : "?";
}

/* N with a comma every three digits, for counts shown to people. */

static const char *count_text(char *buf, size_t size, long long n)
{
	char digits[32];
	int len = snprintf(digits, sizeof(digits), "%lld", n < 0 ? -n : n);
	size_t o = 0;
	if (n < 0 && o + 1 < size)
		buf[o++] = '-';
	for (int i = 0; i < len && o + 1 < size; i++) {
		if (i > 0 && (len - i) % 3 == 0 && o + 1 < size)
			buf[o++] = ',';
		if (o + 1 < size)
			buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

/* An address as the user gives it: 0x-prefixed hex, or decimal. */

/* ---- Stacks ------------------------------------------------------------ */

static void stacks_free(struct stacks *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].cur);
		free(s->v[i].user);
		free(s->v[i].funcs);
	}
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* _user_frame's rule, for stacks written without stack.user_depth. */
static bool is_user_func(const char *fn)
{
	return fn && strncmp(fn, "runtime.", 8) != 0 && strncmp(fn, "internal/", 9) != 0 &&
	       strncmp(fn, "sync.", 5) != 0;
}

static char *loc_text(const char *fn, const char *file, long long line)
{
	char *s = NULL;
	if (asprintf(&s, "%s %s:%lld", fn ? fn : "?", file ? file : "?", line) < 0)
		return NULL;
	return s;
}

/* Append FN and a newline to *FUNCS. */
static bool add_func(char **funcs, size_t *len, const char *fn)
{
	size_t n = strlen(fn);
	char *p = realloc(*funcs, *len + n + 2);
	if (!p)
		return false;
	memcpy(p + *len, fn, n);
	p[*len + n] = '\n';
	p[*len + n + 1] = '\0';
	*len += n + 1;
	*funcs = p;
	return true;
}

/*
 * Every stack of the incident with its curloc, userloc (the frame
 * stack.user_depth names: view _user_frame's) and functions, by stack_id:
 * one pass over the incident's frames, which are few since goroutines share
 * stacks, instead of one query per goroutine.
 */
static struct util_error *load_stacks(struct store_db *db, int64_t id, struct stacks *ret)
{
	sqlite3_stmt *st;
	struct util_error *err = cli_prepare(db, "incident_stack_frames", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, id);
	bool row;
	int64_t cur_id = -1, user_depth = -1;
	size_t funcs_len = 0;
	while (!(err = cli_step(db, st, "incident_stack_frames", &row)) && row) {
		int64_t sid = sqlite3_column_int64(st, 0), depth = sqlite3_column_int64(st, 1);
		const char *fn = col(st, 2);
		if (sid < 0 || sid >= (1 << 26)) {
			err = util_error_create(UTIL_ERROR_INVALID, "incident %lld: stack id %lld",
						(long long)id, (long long)sid);
			break;
		}
		if ((size_t)sid >= ret->n) {
			size_t n = (size_t)sid + 1 > 2 * ret->n ? (size_t)sid + 1 : 2 * ret->n;
			struct stack_locs *v = realloc(ret->v, n * sizeof(*v));
			if (!v) {
				err = &util_enomem;
				break;
			}
			memset(v + ret->n, 0, (n - ret->n) * sizeof(*v));
			ret->v = v;
			ret->n = n;
		}
		struct stack_locs *s = &ret->v[sid];
		if (sid != cur_id) {
			cur_id = sid;
			funcs_len = 0;
			user_depth = sqlite3_column_type(st, 5) == SQLITE_NULL ? -1
										: sqlite3_column_int64(st, 5);
		}
		bool is_cur = depth == 0;
		bool is_user = !s->user && (user_depth >= 0 ? depth == user_depth : is_user_func(fn));
		if (is_cur || is_user) {
			char *loc = loc_text(fn, col(st, 3), sqlite3_column_int64(st, 4));
			if (loc && is_cur && is_user && !(s->user = strdup(loc))) {
				free(loc);
				loc = NULL;
			} else if (loc && is_user && !is_cur)
				s->user = loc;
			if (!loc) {
				err = &util_enomem;
				break;
			}
			if (is_cur) {
				free(s->cur);
				s->cur = loc;
			}
		}
		if (fn && !add_func(&s->funcs, &funcs_len, fn)) {
			err = &util_enomem;
			break;
		}
	}
	sqlite3_finalize(st);
	// A stack of runtime frames only is at its innermost frame (user_depth 0).
	for (size_t i = 0; !err && i < ret->n; i++)
		if (ret->v[i].cur && !ret->v[i].user && !(ret->v[i].user = strdup(ret->v[i].cur)))
			err = &util_enomem;
	return err;
}

static void json_loc(struct cli_json *j, const char *key, const char *func, const char *file,
		     sqlite3_stmt *st, int line_col, int64_t line)
{
	cli_json_begin_object(j, key);
	cli_json_string(j, "func", func);
	cli_json_string(j, "file", file);
	if (st && sqlite3_column_type(st, line_col) == SQLITE_NULL)
		cli_json_null(j, "line");
	else
		cli_json_int(j, "line", line);
	cli_json_end_object(j);
}

/* "func file:line" split back into its parts, for JSON. */
static void json_loc_text(struct cli_json *j, const char *key, const char *loc)
{
	if (!loc || strcmp(loc, "?") == 0) {
		cli_json_null(j, key);
		return;
	}
	char func[512], file[1024];
	const char *sp = strchr(loc, ' '), *colon = strrchr(loc, ':');
	if (!sp || !colon || colon < sp) {
		json_loc(j, key, loc, NULL, NULL, 0, 0);
		return;
	}
	snprintf(func, sizeof(func), "%.*s", (int)(sp - loc), loc);
	snprintf(file, sizeof(file), "%.*s", (int)(colon - sp - 1), sp + 1);
	json_loc(j, key, strcmp(func, "?") ? func : NULL, strcmp(file, "?") ? file : NULL, NULL, 0,
		 strtoll(colon + 1, NULL, 10));
}

static void json_goroutine(struct cli_json *j, struct gor *g)
{
	sqlite3_stmt *st = g->st;
	cli_json_begin_object(j, NULL);
	cli_json_column(j, "goid", st, 0);
	cli_json_string(j, "state", cli_gor_state(g));
	cli_json_column(j, "status", st, 1);
	cli_json_column(j, "wait_reason", st, 2);
	cli_json_column(j, "wait_minutes", st, 3);
	cli_json_column(j, "thread_id", st, 11);
	cli_json_bool(j, "system", sqlite3_column_int(st, 10));
	cli_json_bool(j, "locked", sqlite3_column_int(st, 12));
	json_loc_text(j, "userloc", g->stack ? g->stack->user : NULL);
	json_loc_text(j, "curloc", g->stack ? g->stack->cur : NULL);
	if (col(st, 5) && sqlite3_column_int64(st, 0) != 1)
		json_loc(j, "goloc", col(st, 5), col(st, 6), st, 7, sqlite3_column_int64(st, 7));
	else
		cli_json_null(j, "goloc");
	cli_json_column(j, "creator_goid", st, 4);
	cli_json_column(j, "start_func", st, 9);
	if (col(st, 13)) {
		const char *p = col(st, 13);
		char k[1024], v[1024];
		cli_json_begin_object(j, "labels");
		while (cli_gor_next_label(&p, k, sizeof(k)) && cli_gor_next_label(&p, v, sizeof(v)))
			cli_json_string(j, k, v);
		cli_json_end_object(j);
	} else
		cli_json_null(j, "labels");
	cli_json_column(j, "stack_error", st, 15);
	cli_json_end_object(j);
}

static void print_goroutine(struct gor *g)
{
	sqlite3_stmt *st = g->st;
	char minutes[24] = "", thread[24] = "", flags[8] = "";
	if (sqlite3_column_type(st, 3) != SQLITE_NULL && sqlite3_column_int64(st, 3) >= 0)
		snprintf(minutes, sizeof(minutes), "%lld", sqlite3_column_int64(st, 3));
	if (sqlite3_column_int64(st, 11))
		snprintf(thread, sizeof(thread), "%lld", sqlite3_column_int64(st, 11));
	snprintf(flags, sizeof(flags), "%s%s%s", sqlite3_column_int(st, 10) ? "S" : "",
		 sqlite3_column_int(st, 12) ? "L" : "", col(st, 13) ? "@" : "");
	// 44 columns before WHERE: a line stays within 100 unless a name or
	// path is long; the creator and the labels are in --format json and
	// --group goloc / --group label KEY.
	printf("%7lld %-20.20s %3s %6s %-3s %s\n", sqlite3_column_int64(st, 0), cli_gor_state(g),
	       minutes, thread, flags, cli_gor_loc(g, LOC_USER));
}

/* ---- Groups -------------------------------------------------------------- */

struct group_row {
	const char *key; /* interned */
	int64_t count, example;
};

static int by_count(const void *a, const void *b)
{
	const struct group_row *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return (x->example > y->example) - (x->example < y->example);
}

static const char *group_title(const struct gor_opts *o, char *buf, size_t size)
{
	switch (o->group) {
	case G_LOC: return cli_gor_loc_names[o->group_loc];
	case G_RUNNING: return "running";
	case G_USER: return "user";
	case G_STATE: return "state";
	case G_LABEL: snprintf(buf, size, "label %s", o->group_label); return buf;
	default: return "";
	}
}

static void print_groups(struct group_row *rows, size_t n, int64_t total, int64_t shown,
			 const struct gor_opts *o, int64_t id)
{
	char a[32], b[32], t[1100];
	if (n > 1) // no rows (a database without goroutines): no array to sort
		qsort(rows, n, sizeof(*rows), by_count);
	if (o->format == CLI_FORMAT_JSON) {
		struct cli_json j;
		cli_json_init(&j, stdout);
		cli_json_begin_object(&j, NULL);
		cli_json_int(&j, "incident", id);
		cli_json_string(&j, "group_by", group_title(o, t, sizeof(t)));
		cli_json_int(&j, "goroutines", shown);
		cli_json_begin_array(&j, "groups");
		for (size_t i = 0; i < n; i++) {
			cli_json_begin_object(&j, NULL);
			cli_json_string(&j, "key", rows[i].key);
			cli_json_int(&j, "count", rows[i].count);
			cli_json_int(&j, "example_goid", rows[i].example);
			cli_json_end_object(&j);
		}
		cli_json_end_array(&j);
		cli_json_end_object(&j);
		putchar('\n');
		return;
	}
	printf("%s goroutines in %s groups by %s%s:\n", count_text(a, sizeof(a), shown),
	       count_text(b, sizeof(b), (long long)n), group_title(o, t, sizeof(t)),
	       shown < total ? " (those that match --with/--without)" : "");
	printf("%10s  %8s  %s\n", "GOROUTINES", "EXAMPLE", "GROUP");
	size_t limit = o->all ? n : n < DEFAULT_GROUPS ? n : DEFAULT_GROUPS;
	int64_t rest = 0;
	for (size_t i = 0; i < n; i++) {
		if (i < limit)
			printf("%10s  %8lld  %s\n", count_text(a, sizeof(a), rows[i].count),
			       (long long)rows[i].example, rows[i].key);
		else
			rest += rows[i].count;
	}
	if (limit < n)
		printf("and %s more groups (%s goroutines); --all to show them\n",
		       count_text(a, sizeof(a), (long long)(n - limit)),
		       count_text(b, sizeof(b), rest));
}

/* ---- The command ------------------------------------------------------- */

/* goroutines --chan ADDR: the channel, then its queues. */
static struct util_error *list_chan(struct store_db *db, const struct stacks *stacks,
				     int64_t id, uint64_t chan)
{
	sqlite3_stmt *cs = NULL, *ws = NULL;
	bool row;
	struct util_error *err = cli_prepare(db, "channel_info", &cs);
	if (!err)
		err = cli_prepare(db, "chan_waiters", &ws);
	if (err)
		goto out;
	sqlite3_bind_int64(cs, 1, id);
	sqlite3_bind_int64(cs, 2, (int64_t)chan);
	err = cli_step(db, cs, "channel_info", &row);
	if (err)
		goto out;
	if (!row) {
		err = util_error_create(UTIL_ERROR_NOT_FOUND,
					"incident %lld: no goroutine is queued on a channel at 0x%llx",
					(long long)id, (unsigned long long)chan);
		goto out;
	}
	printf("chan 0x%llx: chan %s, cap %lld, len %lld%s%s; %lld sending, %lld receiving\n",
	       (unsigned long long)chan, col(cs, 0) ? col(cs, 0) : "?", sqlite3_column_int64(cs, 1),
	       sqlite3_column_int64(cs, 2), sqlite3_column_int(cs, 3) ? ", closed" : "",
	       sqlite3_column_int(cs, 4) ? ", timer" : "", sqlite3_column_int64(cs, 5),
	       sqlite3_column_int64(cs, 6));
	printf("%8s  %-5s %4s  %-6s  %-20s %4s  %s\n", "GOID", "QUEUE", "POS", "SELECT", "STATE",
	       "MIN", "WHERE");
	sqlite3_bind_int64(ws, 1, id);
	sqlite3_bind_int64(ws, 2, (int64_t)chan);
	while (!err && !(err = cli_step(db, ws, "chan_waiters", &row)) && row) {
		char pos[24] = "?", minutes[24] = "";
		if (sqlite3_column_int64(ws, 3) >= 0)
			snprintf(pos, sizeof(pos), "%lld", sqlite3_column_int64(ws, 3));
		if (sqlite3_column_type(ws, 5) != SQLITE_NULL && sqlite3_column_int64(ws, 5) >= 0)
			snprintf(minutes, sizeof(minutes), "%lld", sqlite3_column_int64(ws, 5));
		int64_t sid = sqlite3_column_int64(ws, 6);
		const char *where = sid >= 0 && (size_t)sid < stacks->n && stacks->v[sid].user
					    ? stacks->v[sid].user : "?";
		printf("%8lld  %-5s %4s  %-6s  %-20.20s %4s  %s\n", sqlite3_column_int64(ws, 0),
		       text(ws, 1), pos, sqlite3_column_int(ws, 2) ? "yes" : "", text(ws, 4), minutes,
		       where);
	}
out:
	sqlite3_finalize(cs);
	sqlite3_finalize(ws);
	return err;
}

int cli_goroutines(int argc, char **argv)
{
	struct gor_opts o;
	int rc = cli_gor_parse(argc, argv, &o);
	if (rc)
		return rc < 0 ? CLI_OK : rc;
	struct store_db *db = NULL;
	int64_t id = 0;
	sqlite3_stmt *gs = NULL;
	struct stacks stacks = {0};
	struct util_strtab keys;
	struct util_u64map index; // interned group key -> its row
	struct group_row *groups = NULL;
	size_t ngroups = 0, groups_cap = 0;
	util_strtab_init(&keys);
	util_u64map_init(&index);
	struct util_error *err = cli_open_readonly(o.db_path, o.budget, &db);
	if (!err)
		err = cli_pick_incident(db, o.incident, &id);
	if (!err)
		err = load_stacks(db, id, &stacks);
	if (!err && o.has_chan)
		err = list_chan(db, &stacks, id, o.chan);
	if (err || o.has_chan)
		goto out;
	if ((err = cli_prepare(db, "goroutines", &gs)))
		goto out;
	sqlite3_bind_int64(gs, 1, id);
	struct cli_json j;
	bool json = o.format == CLI_FORMAT_JSON;
	if (json && !o.group) {
		cli_json_init(&j, stdout);
		cli_json_begin_object(&j, NULL);
		cli_json_int(&j, "incident", id);
		cli_json_begin_array(&j, "goroutines");
	} else if (!o.group)
		printf("%7s %-20s %3s %6s %-3s %s\n", "GOID", "STATE", "MIN", "THREAD", "FLG",
		       "WHERE (userloc: innermost frame of the user's code)");
	int64_t total = 0, shown = 0;
	bool row;
	while (!(err = cli_step(db, gs, "goroutines", &row)) && row) {
		total++;
		int64_t sid = sqlite3_column_int64(gs, 14);
		struct gor g = {.st = gs};
		if (sid >= 0 && (size_t)sid < stacks.n && stacks.v[sid].cur)
			g.stack = &stacks.v[sid];
		bool keep = true;
		for (int i = 0; keep && i < o.nfilters; i++)
			keep = cli_gor_matches(&g, &o.filters[i]);
		if (!keep)
			continue;
		shown++;
		if (!o.group) {
			if (json)
				json_goroutine(&j, &g);
			else
				print_goroutine(&g);
			continue;
		}
		char buf[1024];
		const char *key = util_strtab_intern_cstr(&keys, cli_gor_group_key(&g, &o, buf, sizeof(buf)));
		uint64_t at;
		if (!key) {
			err = &util_enomem;
			break;
		}
		if (util_u64map_get(&index, (uint64_t)(uintptr_t)key, &at)) {
			groups[at].count++;
			continue;
		}
		if ((err = util_grow((void **)&groups, ngroups + 1, &groups_cap, sizeof(*groups), 64)) ||
		    (err = util_u64map_put(&index, (uint64_t)(uintptr_t)key, ngroups)))
			break;
		groups[ngroups++] = (struct group_row){key, 1, sqlite3_column_int64(gs, 0)};
	}
	if (err)
		goto out;
	char a[32], b[32];
	if (o.group)
		print_groups(groups, ngroups, total, shown, &o, id);
	else if (json) {
		cli_json_end_array(&j);
		cli_json_end_object(&j);
		putchar('\n');
	} else {
		if (shown < total)
			printf("\n%s of %s goroutines match the --with/--without conditions\n",
			       count_text(a, sizeof(a), shown), count_text(b, sizeof(b), total));
		printf("\nFLG: S system goroutine, L locked to its thread, @ has pprof labels\n"
		       "Creators: --group goloc; labels: --group label KEY; all fields: --format json\n");
	}
out:
	free(groups);
	util_u64map_deinit(&index);
	util_strtab_deinit(&keys);
	stacks_free(&stacks);
	sqlite3_finalize(gs);
	store_close(db);
	return err ? cli_fail(err) : CLI_OK;
}
