// SPDX-License-Identifier: Apache-2.0
// json.c: a streaming JSON writer for the commands' --format json.
//
// Every command that prints for scripts goes through it, so that strings are
// escaped one way, commas fall where they belong and nesting is checked.
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

void cli_json_init(struct cli_json *j, FILE *out)
{
	j->out = out;
	j->depth = 0;
	j->count = j->inline_count;
	j->cap = (int)(sizeof(j->inline_count) / sizeof(*j->inline_count));
	j->count[0] = 0;
}

/* Escape S as a JSON string: quotes, backslashes and control characters;
 * bytes >= 0x80 pass through (the database's text is UTF-8). */
void cli_json_quote(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", out);
		else if (ch == '\t')
			fputs("\\t", out);
		else if (ch < 0x20)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

/* Before a value: the comma, the indentation and, inside an object, KEY. */
static void json_value_start(struct cli_json *j, const char *key)
{
	if (j->depth > 0) {
		fputs(j->count[j->depth] ? ",\n" : "\n", j->out);
		for (int i = 0; i < j->depth; i++)
			fputs("  ", j->out);
	}
	j->count[j->depth]++;
	if (key) {
		cli_json_quote(j->out, key);
		fputs(": ", j->out);
	}
}

static void json_open(struct cli_json *j, const char *key, char ch)
{
	json_value_start(j, key);
	fputc(ch, j->out);
	if (j->depth + 1 >= j->cap) {
		int cap = 2 * j->cap;
		int *grown = malloc((size_t)cap * sizeof(*grown));
		if (!grown) {
			// Half a document is worse than none: the command stops.
			fflush(j->out);
			fputs("gocoroner: out of memory writing JSON\n", stderr);
			exit(CLI_ERROR);
		}
		memcpy(grown, j->count, (size_t)j->cap * sizeof(*grown));
		if (j->count != j->inline_count)
			free(j->count);
		j->count = grown;
		j->cap = cap;
	}
	j->depth++;
	j->count[j->depth] = 0;
}

static void json_close(struct cli_json *j, char ch)
{
	bool empty = j->count[j->depth] == 0;
	if (j->depth > 0)
		j->depth--;
	if (!empty) {
		fputc('\n', j->out);
		for (int i = 0; i < j->depth; i++)
			fputs("  ", j->out);
	}
	fputc(ch, j->out);
	if (j->depth == 0) {
		fputc('\n', j->out);
		if (j->count != j->inline_count) {
			free(j->count);
			j->count = j->inline_count;
			j->cap = (int)(sizeof(j->inline_count) / sizeof(*j->inline_count));
		}
	}
}

void cli_json_begin_object(struct cli_json *j, const char *key)
{
	json_open(j, key, '{');
}

void cli_json_end_object(struct cli_json *j)
{
	json_close(j, '}');
}

void cli_json_begin_array(struct cli_json *j, const char *key)
{
	json_open(j, key, '[');
}

void cli_json_end_array(struct cli_json *j)
{
	json_close(j, ']');
}

void cli_json_string(struct cli_json *j, const char *key, const char *s)
{
	json_value_start(j, key);
	if (s)
		cli_json_quote(j->out, s);
	else
		fputs("null", j->out);
}

void cli_json_int(struct cli_json *j, const char *key, int64_t v)
{
	json_value_start(j, key);
	fprintf(j->out, "%" PRId64, v);
}

void cli_json_real(struct cli_json *j, const char *key, double v)
{
	json_value_start(j, key);
	// JSON has no NaN nor infinity.
	if (isfinite(v))
		fprintf(j->out, "%.17g", v);
	else
		fputs("null", j->out);
}

void cli_json_bool(struct cli_json *j, const char *key, bool v)
{
	json_value_start(j, key);
	fputs(v ? "true" : "false", j->out);
}

void cli_json_null(struct cli_json *j, const char *key)
{
	json_value_start(j, key);
	fputs("null", j->out);
}

void cli_json_column(struct cli_json *j, const char *key, sqlite3_stmt *st, int col)
{
	switch (sqlite3_column_type(st, col)) {
	case SQLITE_NULL: cli_json_null(j, key); break;
	case SQLITE_INTEGER: cli_json_int(j, key, sqlite3_column_int64(st, col)); break;
	case SQLITE_FLOAT: cli_json_real(j, key, sqlite3_column_double(st, col)); break;
	default: cli_json_string(j, key, (const char *)sqlite3_column_text(st, col)); break;
	}
}

void cli_json_row(struct cli_json *j, const char *key, sqlite3_stmt *st)
{
	cli_json_begin_object(j, key);
	int ncol = sqlite3_column_count(st);
	for (int i = 0; i < ncol; i++)
		cli_json_column(j, sqlite3_column_name(st, i), st, i);
	cli_json_end_object(j);
}
