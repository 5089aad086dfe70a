// SPDX-License-Identifier: Apache-2.0
// report-blocks.c: the finding blocks of 'gocoroner report', as text a
// person reads at 3 a.m. or as the objects of --format json.
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/report.h"
#include "store/store.h"

/* Lines of the text report stay within this many characters, unless a
 * path or a name alone is longer. */
#define WIDTH 100

const char *report_text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return t ? (const char *)t : "";
}

static bool null(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL;
}

static unsigned long long addr(sqlite3_stmt *st, int col)
{
	return (unsigned long long)sqlite3_column_int64(st, col);
}

static int64_t num(sqlite3_stmt *st, int col)
{
	return sqlite3_column_int64(st, col);
}

static const char *plural(int64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* "[chan receive, 5 minutes]" */
static void print_wait(FILE *out, sqlite3_stmt *st, int reason_col, int minutes_col)
{
	char n[32];
	fprintf(out, "[%s", report_text(st, reason_col));
	if (minutes_col >= 0 && !null(st, minutes_col) && num(st, minutes_col) > 0)
		fprintf(out, ", %s minutes", cli_thousands(n, sizeof(n), num(st, minutes_col)));
	fputc(']', out);
}

/* "main.epoll (/src/main.go:197)", or what is known. */
static void print_frame(FILE *out, sqlite3_stmt *st, int func_col)
{
	if (null(st, func_col)) {
		fputs("(frame unknown)", out);
		return;
	}
	fprintf(out, "%s (%s:%s)", report_text(st, func_col), report_text(st, func_col + 1),
		report_text(st, func_col + 2));
}

/* "    goroutines 21, 22, 23 and 1,842 more": as many of a comma-separated
 * list as fit on one line, then how many were left out. */
static void print_goids(FILE *out, const char *indent, const char *list)
{
	int64_t total = 1;
	for (const char *p = list; (p = strchr(p, ',')); p++)
		total++;
	int used = fprintf(out, "%s%s ", indent, plural(total, "goroutine", "goroutines"));
	int64_t shown = 0;
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");
		// Room kept for " and 1,234,567 more".
		if (shown && used + 2 + (int)len > WIDTH - 20)
			break;
		used += fprintf(out, "%s%.*s", shown ? ", " : "", (int)len, p);
		shown++;
		p += len;
		if (*p)
			p++;
	}
	char n[32];
	if (total > shown)
		fprintf(out, " and %s more", cli_thousands(n, sizeof(n), total - shown));
	fputc('\n', out);
}

static void json_addr(struct cli_json *j, const char *key, sqlite3_stmt *st, int col)
{
	char b[24];
	if (null(st, col)) {
		cli_json_null(j, key);
		return;
	}
	snprintf(b, sizeof(b), "%#llx", addr(st, col));
	cli_json_string(j, key, b);
}

static void json_frame(struct cli_json *j, const char *key, sqlite3_stmt *st, int func_col)
{
	if (null(st, func_col)) {
		cli_json_null(j, key);
		return;
	}
	cli_json_begin_object(j, key);
	cli_json_column(j, "func", st, func_col);
	cli_json_column(j, "file", st, func_col + 1);
	cli_json_column(j, "line", st, func_col + 2);
	cli_json_end_object(j);
}

static void json_goids(struct cli_json *j, const char *key, const char *list)
{
	cli_json_begin_array(j, key);
	for (const char *p = list; *p;) {
		cli_json_int(j, NULL, strtoll(p, NULL, 10));
		p += strcspn(p, ",");
		if (*p)
			p++;
	}
	cli_json_end_array(j);
}

/* A block's first members: its kind, the label the text report gives it. */
static void json_block(struct cli_json *j, const char *kind, const char *label)
{
	cli_json_begin_object(j, NULL);
	cli_json_string(j, "kind", kind);
	cli_json_string(j, "label", label);
}

static struct util_error *report_cycles(struct report_out *o, struct store_db *db, int64_t id)
{
	sqlite3_stmt *st;
	bool row;
	FILE *out = o->out;
	struct cli_json *j = o->json;
	struct util_error *err = cli_prepare(db, "report_cycles", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, id);
	int64_t cycle = -1, edges = 0, len = 0;
	char c[32];
	while (!(err = cli_step(db, st, "report_cycles", &row)) && row) {
		if (num(st, 0) != cycle) {
			if (j && cycle >= 0) {
				cli_json_end_array(j);
				cli_json_end_object(j);
			}
			if (!j && edges > 20)
				fprintf(out, "  and %s more goroutines in this cycle (gocoroner query wait_cycle)\n",
					cli_thousands(c, sizeof(c), len - 20));
			cycle = num(st, 0);
			edges = 0;
			len = num(st, 4);
			if (j) {
				json_block(j, "deadlock", "DEADLOCK");
				cli_json_int(j, "cycle", cycle);
				cli_json_int(j, "count", num(st, 4));
				cli_json_begin_array(j, "goroutines");
			} else {
				fprintf(out, "\n== DEADLOCK wait cycle %lld: %lld goroutines wait on each other; "
					"nothing else can wake them\n", (long long)cycle, (long long)num(st, 4));
			}
		}
		if (j) {
			cli_json_begin_object(j, NULL);
			cli_json_int(j, "goid", num(st, 1));
			cli_json_column(j, "wait_reason", st, 5);
			json_frame(j, "frame", st, 6);
			json_addr(j, "waits_on", st, 2);
			cli_json_int(j, "reached_by", num(st, 3));
			cli_json_end_object(j);
			continue;
		}
		if (++edges > 20) // a cycle of thousands: the first 20 say it
			continue;
		fprintf(out, "  goroutine %lld ", (long long)num(st, 1));
		print_wait(out, st, 5, -1);
		fputs(" at ", out);
		print_frame(out, st, 6);
		fprintf(out, "\n    waits on %#llx, which goroutine %lld reaches (and no goroutine able to run)\n",
			addr(st, 2), (long long)num(st, 3));
	}
	if (j && cycle >= 0) {
		cli_json_end_array(j);
		cli_json_end_object(j);
	}
	if (!err && !j && edges > 20)
		fprintf(out, "  and %s more goroutines in this cycle (gocoroner query wait_cycle)\n",
			cli_thousands(c, sizeof(c), len - 20));
	sqlite3_finalize(st);
	return err;
}

/* The chain from the held context up to where cancellation happened. */
static struct util_error *report_chain(struct report_out *o, struct store_db *db, int64_t id,
				       int64_t ctx, int64_t canceled)
{
	sqlite3_stmt *st;
	bool row;
	FILE *out = o->out;
	struct cli_json *j = o->json;
	struct util_error *err = cli_prepare(db, "report_ctx_chain", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, ctx);
	sqlite3_bind_int64(st, 3, canceled);
	bool first = true;
	if (j)
		cli_json_begin_array(j, "context_chain");
	while (!(err = cli_step(db, st, "report_ctx_chain", &row)) && row) {
		bool user = !null(st, 2) && strcmp(report_text(st, 1), "user") == 0;
		bool here = num(st, 0) == canceled;
		if (j) {
			cli_json_begin_object(j, NULL);
			json_addr(j, "addr", st, 0);
			cli_json_column(j, "kind", st, 1);
			cli_json_column(j, "type", st, 2);
			cli_json_column(j, "key", st, 6);
			cli_json_column(j, "value", st, 7);
			if (null(st, 3))
				cli_json_null(j, "canceled");
			else
				cli_json_bool(j, "canceled", sqlite3_column_int(st, 3) == 1);
			cli_json_column(j, "err", st, 4);
			cli_json_column(j, "cause", st, 5);
			cli_json_bool(j, "canceled_here", here);
			cli_json_end_object(j);
			continue;
		}
		fprintf(out, "  %s %#llx %s", first ? "context" : "   <- ", addr(st, 0),
			null(st, 1) ? "?" : report_text(st, 1));
		if (user)
			fprintf(out, " %s", report_text(st, 2));
		if (!null(st, 6))
			fprintf(out, " %s=%s", report_text(st, 6), null(st, 7) ? "?" : report_text(st, 7));
		bool is_canceled = !null(st, 3) && sqlite3_column_int(st, 3) == 1;
		if (is_canceled)
			fprintf(out, " CANCELED (%s)", null(st, 4) ? "?" : report_text(st, 4));
		if (here)
			fputs("   <- canceled here", out);
		fputc('\n', out);
		// context.Cause's text, the program's own words: on a line of
		// its own, however long.
		if (is_canceled && !null(st, 5))
			fprintf(out, "           cause: %s\n", report_text(st, 5));
		first = false;
	}
	if (j)
		cli_json_end_array(j);
	sqlite3_finalize(st);
	return err;
}

/*
 * The goroutines stuck behind those of one finding (GOIDS, comma-separated;
 * N of them), by wait reason and where they block, biggest first:
 * "  101 goroutines stuck behind it:" then "    100 × sync.Mutex.Lock in
 * main.worker" lines.
 */
static struct util_error *report_victims(struct report_out *o, struct store_db *db, int64_t id,
					 const char *goids, int64_t n)
{
	sqlite3_stmt *st;
	bool row;
	FILE *out = o->out;
	struct cli_json *j = o->json;
	char c[32];
	struct util_error *err = cli_prepare(db, "report_victims", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, goids, -1, SQLITE_TRANSIENT);
	int shown = 0;
	int64_t total = 0, listed = 0;
	while (!(err = cli_step(db, st, "report_victims", &row)) && row) {
		if (!shown) {
			total = num(st, 3);
			if (j) {
				cli_json_begin_object(j, "victims");
				cli_json_int(j, "count", total);
				cli_json_begin_array(j, "groups");
			} else {
				fprintf(out, "  %s %s stuck behind %s (gocoroner query stuck_behind):\n",
					cli_thousands(c, sizeof(c), total), plural(total, "goroutine", "goroutines"),
					n > 1 ? "them" : "it");
			}
		}
		shown++;
		if (j) {
			cli_json_begin_object(j, NULL);
			cli_json_int(j, "count", num(st, 0));
			cli_json_column(j, "wait_reason", st, 1);
			cli_json_column(j, "func", st, 2);
			cli_json_end_object(j);
			continue;
		}
		if (shown > 8)
			break;
		listed += num(st, 0);
		fprintf(out, "    %7s \u00d7 %s in %s\n", cli_thousands(c, sizeof(c), num(st, 0)),
			null(st, 1) ? "?" : report_text(st, 1), null(st, 2) ? "?" : report_text(st, 2));
	}
	if (j && !shown) { // none: said, not left out
		cli_json_begin_object(j, "victims");
		cli_json_int(j, "count", 0);
		cli_json_begin_array(j, "groups");
	}
	if (j) {
		cli_json_end_array(j);
		cli_json_end_object(j);
	} else if (shown && listed < total) {
		fprintf(out, "    and %s more in other places\n", cli_thousands(c, sizeof(c), total - listed));
	}
	sqlite3_finalize(st);
	return err;
}

/*
 * The blocks of report_unobserved: BEHIND false, the culprits (goroutines
 * blocked holding a canceled context, stuck behind nobody); true, those
 * stuck behind a goroutine no finding reports.
 */
static struct util_error *report_unobserved(struct report_out *o, struct store_db *db, int64_t id,
					    bool behind)
{
	sqlite3_stmt *st;
	bool row;
	FILE *out = o->out;
	struct cli_json *j = o->json;
	char c[32];
	struct util_error *err = cli_prepare(db, "report_unobserved", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, behind);
	while (!err && !(err = cli_step(db, st, "report_unobserved", &row)) && row) {
		int64_t n = num(st, 6), victims = num(st, 16), origins = num(st, 14);
		int64_t contexts = num(st, 18);
		bool stack_scan = strcmp(report_text(st, 13), "stack-scan") == 0;
		if (j) {
			json_block(j, behind ? "stuck_behind" : "culprit", behind ? "STUCK BEHIND" : "CULPRIT");
			cli_json_int(j, "goid", num(st, 7));
			cli_json_int(j, "count", n);
			json_goids(j, "goroutines", report_text(st, 9));
			cli_json_column(j, "wait_reason", st, 4);
			cli_json_column(j, "max_wait_minutes", st, 8);
			json_frame(j, "frame", st, 0);
			cli_json_column(j, "variable", st, 3);
			cli_json_column(j, "found_by", st, 13);
			cli_json_bool(j, "probable", num(st, 15) != 0);
			cli_json_column(j, "err", st, 11);
			cli_json_column(j, "cause", st, 12);
			cli_json_int(j, "contexts", contexts);
			cli_json_int(j, "origins", origins);
			if (behind) {
				cli_json_begin_object(j, "behind");
				cli_json_int(j, "goid", num(st, 19));
				cli_json_column(j, "state", st, 20);
				json_frame(j, "frame", st, 21);
				cli_json_end_object(j);
			}
		} else {
			fprintf(out, "\n== %s", behind ? "STUCK BEHIND" : "CULPRIT");
			if (behind)
				fprintf(out, " goroutine %lld:", (long long)num(st, 19));
			fprintf(out, " goroutine %lld ", (long long)num(st, 7));
			print_wait(out, st, 4, 8);
			if (n > 1)
				fprintf(out, " and %s more", cli_thousands(c, sizeof(c), n - 1));
			if (victims)
				fprintf(out, ": %s %s stuck behind %s", cli_thousands(c, sizeof(c), victims),
					plural(victims, "goroutine", "goroutines"), n > 1 ? "them" : "it");
			fputc('\n', out);
			if (behind) {
				fprintf(out, "  %s until goroutine %lld [%s] moves, at ",
					n > 1 ? "they cannot move" : "it cannot move", (long long)num(st, 19),
					report_text(st, 20));
				print_frame(out, st, 21);
				fputc('\n', out);
			}
			fprintf(out, "  %s a canceled context but not waiting on its Done channel\n",
				n > 1 ? "each blocked holding" : "blocked holding");
			fputs("  at ", out);
			print_frame(out, st, 0);
			if (!null(st, 3))
				fprintf(out, ", variable %s", report_text(st, 3));
			else if (stack_scan)
				fputs(", found on its stack", out);
			fputc('\n', out);
			// Every holding behind it in a frame without usable stack
			// maps: reported, but not vouched for (goroutine_context.evidence).
			if (num(st, 15))
				fputs("  probable: no stack maps vouch that the context is live there\n", out);
		}
		err = report_chain(o, db, id, num(st, 10), num(st, 5));
		if (!err && !j && n > 1) {
			// What the goroutines of the block share: always the frame
			// and the wait; the context itself, or only the place where
			// their contexts were canceled.
			char c2[32];
			const char *what = cli_thousands(c2, sizeof(c2), n);
			long long example = (long long)num(st, 7);
			if (contexts == 1)
				fprintf(out, "  %s goroutines block at this frame holding this same context:\n", what);
			else if (origins == 1)
				fprintf(out, "  %s goroutines block at this frame, each holding a context of its own\n"
					"  (above: goroutine %lld's), all canceled at %#llx:\n", what, example,
					addr(st, 5));
			else
				fprintf(out, "  %s goroutines block at this frame, each holding a context of its own\n"
					"  (above: goroutine %lld's), canceled at %s places:\n", what, example,
					cli_thousands(c, sizeof(c), origins));
			print_goids(out, "    ", report_text(st, 9));
		}
		if (!err)
			err = report_victims(o, db, id, report_text(st, 9), n);
		if (j)
			cli_json_end_object(j);
	}
	sqlite3_finalize(st);
	return err;
}

static struct util_error *report_broken(struct report_out *o, struct store_db *db, int64_t id)
{
	sqlite3_stmt *st, *who;
	bool row;
	FILE *out = o->out;
	struct cli_json *j = o->json;
	char c[32];
	struct util_error *err = cli_prepare(db, "report_broken_link", &st);
	if (err)
		return err;
	err = cli_prepare(db, "report_ctx_goroutines", &who);
	if (err) {
		sqlite3_finalize(st);
		return err;
	}
	sqlite3_bind_int64(st, 1, id);
	while (!(err = cli_step(db, st, "report_broken_link", &row)) && row) {
		bool user = strcmp(report_text(st, 5), "user-type") == 0;
		bool own = strcmp(report_text(st, 5), "own-done") == 0;
		int64_t n = num(st, 7);
		if (j) {
			json_block(j, "broken_link", "BROKEN LINK");
			json_addr(j, "context", st, 0);
			cli_json_column(j, "type", st, 1);
			json_addr(j, "canceled", st, 2);
			cli_json_column(j, "reason", st, 5);
			json_addr(j, "break", st, 3);
			cli_json_column(j, "break_type", st, 4);
			cli_json_column(j, "path", st, 6);
			cli_json_int(j, "count", n);
		} else {
			fprintf(out, "\n== BROKEN LINK context %#llx %s is live under canceled %#llx\n",
				addr(st, 0), report_text(st, 1), addr(st, 2));
			if (n > 1)
				fprintf(out, "  and %s more like it (gocoroner query cancel_broken_link)\n",
					cli_thousands(c, sizeof(c), n - 1));
			if (user)
				fprintf(out, "  break: %#llx %s, a user-defined Context, does not forward "
					"cancellation\n", addr(st, 3), report_text(st, 4));
			else if (own)
				fprintf(out, "  break: %s returns its own Done channel, still open although\n"
					"  an ancestor it wraps is canceled: whoever waits on it waits for good\n",
					report_text(st, 4));
			else
				fprintf(out, "  break: it is missing from the children of %#llx %s,\n"
					"  so its cancel never reached it\n", addr(st, 3), report_text(st, 4));
			fprintf(out, "  path: %s\n", report_text(st, 6));
			fprintf(out, "  canceled here: %#llx\n", addr(st, 2));
		}
		sqlite3_reset(who);
		sqlite3_bind_int64(who, 1, id);
		sqlite3_bind_int64(who, 2, num(st, 0));
		bool held;
		err = cli_step(db, who, "report_ctx_goroutines", &held);
		if (err)
			break;
		if (j) {
			json_goids(j, "waiting", held ? report_text(who, 0) : "");
			json_goids(j, "held_by", held ? report_text(who, 1) : "");
			cli_json_end_object(j);
		} else if (held) {
			if (!null(who, 0)) {
				fputs("  waiting on its Done channel:\n", out);
				print_goids(out, "    ", report_text(who, 0));
			}
			if (!null(who, 1)) {
				fputs("  held by:\n", out);
				print_goids(out, "    ", report_text(who, 1));
			}
		}
	}
	sqlite3_finalize(who);
	sqlite3_finalize(st);
	return err;
}

/* The leak blocks: with goroutines stuck behind them (VICTIMS) or not. */
static struct util_error *report_leaks(struct report_out *o, struct store_db *db, int64_t id,
				       bool victims_only)
{
	sqlite3_stmt *st;
	bool row;
	FILE *out = o->out;
	struct cli_json *j = o->json;
	char c[32];
	struct util_error *err = cli_prepare(db, "report_leaks", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, victims_only);
	while (!(err = cli_step(db, st, "report_leaks", &row)) && row) {
		int64_t n = num(st, 5), victims = num(st, 11);
		if (j) {
			json_block(j, "leak", "LEAK");
			cli_json_int(j, "goid", num(st, 6));
			cli_json_int(j, "count", n);
			json_goids(j, "goroutines", report_text(st, 8));
			cli_json_column(j, "wait_reason", st, 3);
			cli_json_column(j, "max_wait_minutes", st, 7);
			json_frame(j, "frame", st, 0);
			cli_json_column(j, "object", st, 4);
			cli_json_bool(j, "probable", sqlite3_column_int(st, 9) == 0);
			cli_json_column(j, "behind", st, 10);
		} else {
			fprintf(out, "\n== LEAK goroutine %lld ", (long long)num(st, 6));
			print_wait(out, st, 3, 7);
			if (n > 1)
				fprintf(out, " and %s more", cli_thousands(c, sizeof(c), n - 1));
			if (victims)
				fprintf(out, ": %s %s stuck behind %s", cli_thousands(c, sizeof(c), victims),
					plural(victims, "goroutine", "goroutines"), n > 1 ? "them" : "it");
			fputs("\n  at ", out);
			print_frame(out, st, 0);
			if (null(st, 4))
				fputs("\n  waits on a nil channel or an empty select, which nothing can wake\n", out);
			else
				fprintf(out, "\n  waits on a %s that no goroutine able to run and no package "
					"variable reaches\n", report_text(st, 4));
			if (sqlite3_column_int(st, 9) == 0)
				fputs("  probable: the heap scan was incomplete; it may be reachable through\n"
				      "  memory missing from the core\n", out);
			if (n > 1) {
				fprintf(out, "  %s goroutines wait at this frame on a %s each:\n",
					cli_thousands(c, sizeof(c), n), null(st, 4) ? "nil channel" : report_text(st, 4));
				print_goids(out, "    ", report_text(st, 8));
			}
			if (!null(st, 10))
				fprintf(out, "  waiting behind goroutine %lld, which could wake them but is "
					"stuck itself\n", (long long)num(st, 10));
		}
		err = report_victims(o, db, id, report_text(st, 8), n);
		if (j)
			cli_json_end_object(j);
		if (err)
			break;
	}
	sqlite3_finalize(st);
	return err;
}

static struct util_error *report_lock_waits(struct report_out *o, struct store_db *db, int64_t id)
{
	sqlite3_stmt *st;
	bool row;
	FILE *out = o->out;
	struct cli_json *j = o->json;
	char c[32];
	struct util_error *err = cli_prepare(db, "report_lock_waits", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, id);
	while (!(err = cli_step(db, st, "report_lock_waits", &row)) && row) {
		if (j) {
			json_block(j, "context_lock", "info");
			json_addr(j, "context", st, 0);
			cli_json_column(j, "context_kind", st, 1);
			cli_json_int(j, "count", num(st, 2));
			json_goids(j, "goroutines", report_text(st, 3));
			cli_json_column(j, "max_wait_minutes", st, 4);
			cli_json_end_object(j);
			continue;
		}
		fprintf(out, "\n== info: %s goroutines wait on the mutex of context %#llx %s\n",
			cli_thousands(c, sizeof(c), num(st, 2)), addr(st, 0), null(st, 1) ? "?" : report_text(st, 1));
		print_goids(out, "  ", report_text(st, 3));
	}
	sqlite3_finalize(st);
	return err;
}

static struct util_error *report_detached(struct report_out *o, struct store_db *db, int64_t id)
{
	sqlite3_stmt *st;
	bool row;
	FILE *out = o->out;
	struct cli_json *j = o->json;
	char c[32];
	struct util_error *err = cli_prepare(db, "report_detached", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, id);
	int64_t shown = 0;
	while (!(err = cli_step(db, st, "report_detached", &row)) && row) {
		shown++;
		if (j) {
			json_block(j, "detached", "info");
			json_addr(j, "context", st, 0);
			json_addr(j, "canceled", st, 1);
			cli_json_column(j, "path", st, 2);
			json_goids(j, "held_by", report_text(st, 3));
			cli_json_end_object(j);
			continue;
		}
		fprintf(out, "\n== info: context %#llx is detached on purpose (WithoutCancel)\n"
			"  from canceled %#llx\n", addr(st, 0), addr(st, 1));
		fprintf(out, "  path: %s\n", report_text(st, 2));
		if (!null(st, 3)) {
			fputs("  held by:\n", out);
			print_goids(out, "    ", report_text(st, 3));
		}
	}
	if (!err && !j && o->counts->detached > shown)
		fprintf(out, "\nand %s more contexts detached on purpose (gocoroner query cancel_detached)\n",
			cli_thousands(c, sizeof(c), o->counts->detached - shown));
	sqlite3_finalize(st);
	return err;
}

struct util_error *report_blocks(struct report_out *o, struct store_db *db, int64_t id)
{
	// The culprits: goroutines others are stuck behind come first,
	// whatever holds them.
	struct util_error *err = report_unobserved(o, db, id, false);
	if (!err)
		err = report_leaks(o, db, id, true);
	if (!err)
		err = report_cycles(o, db, id);
	if (!err)
		err = report_leaks(o, db, id, false);
	if (!err)
		err = report_broken(o, db, id);
	if (!err)
		err = report_unobserved(o, db, id, true);
	if (!err)
		err = report_lock_waits(o, db, id);
	if (!err)
		err = report_detached(o, db, id);
	return err;
}
