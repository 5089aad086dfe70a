// SPDX-License-Identifier: Apache-2.0
// gorfilter.c: the options of 'gocoroner goroutines' and what they select —
// Delve's --with/--without conditions and --group keys over one goroutine.
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/goroutines.h"
#include "store/store.h"

const char *const cli_gor_loc_names[LOC_COUNT] = {"userloc", "curloc", "goloc", "startloc"};

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

static bool parse_addr(const char *s, uint64_t *ret)
{
	char *end;
	bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	if (!*s || *s == '-' || *s == '+' || (hex && !s[2]))
		return false;
	unsigned long long v = strtoull(hex ? s + 2 : s, &end, hex ? 16 : 10);
	if (*end || v == 0 || v > INT64_MAX)
		return false;
	*ret = v;
	return true;
}

static bool find_loc(const char *name, enum loc *ret)
{
	for (int i = 0; i < LOC_COUNT; i++)
		if (strcmp(name, cli_gor_loc_names[i]) == 0) {
			*ret = (enum loc)i;
			return true;
		}
	return false;
}

/*
 * The next word of a two-word option ('--with label KEY'): argv[optind],
 * taken from getopt. "KIND ARG" in one word works too (*INLINE).
 */
static const char *second_word(int argc, char **argv, const char *inl)
{
	if (inl)
		return inl;
	if (optind < argc && strncmp(argv[optind], "--", 2) != 0)
		return argv[optind++];
	return NULL;
}

/* Parse one --with/--without ARG (and the word after it, if the kind needs one). */
static int parse_filter(int argc, char **argv, const char *opt, char *arg, struct filter *f)
{
	char *sp = strchr(arg, ' ');
	if (sp)
		*sp++ = '\0';
	const char *word = NULL;
	if (strcmp(arg, "running") == 0 || strcmp(arg, "user") == 0) {
		f->kind = arg[0] == 'r' ? F_RUNNING : F_USER;
		return CLI_OK;
	}
	if (find_loc(arg, &f->loc))
		f->kind = F_LOC;
	else if (strcmp(arg, "func") == 0)
		f->kind = F_FUNC;
	else if (strcmp(arg, "state") == 0)
		f->kind = F_STATE;
	else if (strcmp(arg, "label") == 0)
		f->kind = F_LABEL;
	else {
		fprintf(stderr,
			"gocoroner goroutines: %s takes userloc, curloc, goloc, startloc, func, state,"
			" label, running or user, not '%s'\n",
			opt, arg);
		return CLI_USAGE;
	}
	if (!(word = second_word(argc, argv, sp)) || !*word) {
		fprintf(stderr, "gocoroner goroutines: '%s %s' needs a %s after it\n", opt, arg,
			f->kind == F_LABEL ? "KEY or KEY=VALUE" : f->kind == F_STATE ? "state" : "text");
		return CLI_USAGE;
	}
	f->text = word;
	if (f->kind == F_LABEL) {
		char *eq = strchr(word, '=');
		if (eq) {
			*eq = '\0';
			f->value = eq + 1;
		}
	}
	return CLI_OK;
}

static int parse_group(int argc, char **argv, char *arg, struct gor_opts *o)
{
	char *sp = strchr(arg, ' ');
	if (sp)
		*sp++ = '\0';
	if (find_loc(arg, &o->group_loc))
		o->group = G_LOC;
	else if (strcmp(arg, "running") == 0)
		o->group = G_RUNNING;
	else if (strcmp(arg, "user") == 0)
		o->group = G_USER;
	else if (strcmp(arg, "state") == 0)
		o->group = G_STATE;
	else if (strcmp(arg, "label") == 0) {
		o->group = G_LABEL;
		o->group_label = second_word(argc, argv, sp);
		if (!o->group_label || !*o->group_label) {
			fputs("gocoroner goroutines: '--group label' needs the label's KEY after it\n",
			      stderr);
			return CLI_USAGE;
		}
	} else {
		fprintf(stderr,
			"gocoroner goroutines: --group takes userloc, curloc, goloc, startloc, running,"
			" user, state or label KEY, not '%s'\n",
			arg);
		return CLI_USAGE;
	}
	return CLI_OK;
}

static const char goroutines_usage[] =
	"usage: gocoroner goroutines [--db FILE] [--incident N] [--with COND]...\n"
	"                            [--without COND]... [--group BY [--all]]\n"
	"                            [--format table|json] [--chan ADDR] [--budget N]\n"
	"\n"
	"List the incident's goroutines, one a line: id, state, minutes waited,\n"
	"thread, flags and where it is in the user's code (userloc).\n"
	"\n"
	"  --db FILE        database (default " CLI_DEFAULT_DB ")\n"
	"  --incident N     incident id (default: the newest)\n"
	"  --with COND      only the goroutines that meet COND; repeat it to AND\n"
	"  --without COND   only those that do not; conditions, as in Delve:\n"
	"      userloc TEXT    its innermost frame outside the runtime, internal/*\n"
	"                      and sync.* ('func file:line') contains TEXT\n"
	"      curloc TEXT     its innermost frame contains TEXT\n"
	"      goloc TEXT      the go statement that created it contains TEXT\n"
	"      startloc TEXT   the function it started in contains TEXT\n"
	"      func TEXT       the function of any of its frames contains TEXT\n"
	"      state STATE     its state is STATE ('chan receive', 'sync.Mutex.Lock',\n"
	"                      or a status: 'waiting', 'running'...)\n"
	"      label KEY[=V]   it has pprof label KEY (with the value V)\n"
	"      running         it is on an OS thread\n"
	"      user            it is not a runtime (system) goroutine\n"
	"  --group BY       one line per group instead, largest first, with how many\n"
	"                   goroutines and one of them: BY is userloc, curloc, goloc,\n"
	"                   startloc, running, user, state or 'label KEY'\n"
	"  --all            every group (default: the " CLI_STR(DEFAULT_GROUPS) " largest)\n"
	"  --format FMT     table (default) or json: every goroutine (or group) with\n"
	"                   its fields, for scripts\n"
	"  --chan ADDR      only the goroutines queued on the channel at ADDR (0x...\n"
	"                   or decimal, as %p prints the chan): its send queue, then\n"
	"                   its receive queue, in the order they will be woken\n"
	CLI_BUDGET_HELP("       ", "                   ");

int cli_gor_parse(int argc, char **argv, struct gor_opts *o)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"incident", required_argument, NULL, 'i'},
		{"chan", required_argument, NULL, 'c'},
		{"with", required_argument, NULL, 'w'},
		{"without", required_argument, NULL, 'W'},
		{"group", required_argument, NULL, 'g'},
		{"all", no_argument, NULL, 'a'},
		{"format", required_argument, NULL, 'f'},
		{"budget", required_argument, NULL, 'B'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	*o = (struct gor_opts){.db_path = CLI_DEFAULT_DB, .budget = STORE_BUDGET_DEFAULT};
	int c, rc;
	optind = 1;
	opterr = 0; // one line of our own instead of getopt's message plus usage
	while ((c = getopt_long(argc, argv, ":d:i:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': o->db_path = optarg; break;
		case 'i':
			if (cli_parse_incident("goroutines", optarg, &o->incident))
				return CLI_USAGE;
			break;
		case 'c':
			if (!parse_addr(optarg, &o->chan)) {
				fprintf(stderr,
					"gocoroner goroutines: --chan takes a channel address (0x... or"
					" decimal), not '%s'\n",
					optarg);
				return CLI_USAGE;
			}
			o->has_chan = true;
			break;
		case 'w':
		case 'W':
			if (o->nfilters == MAX_FILTERS) {
				fprintf(stderr, "gocoroner goroutines: at most %d --with and --without\n",
					MAX_FILTERS);
				return CLI_USAGE;
			}
			o->filters[o->nfilters] = (struct filter){.without = c == 'W'};
			rc = parse_filter(argc, argv, c == 'W' ? "--without" : "--with", optarg,
					  &o->filters[o->nfilters]);
			if (rc)
				return rc;
			o->nfilters++;
			break;
		case 'g':
			if ((rc = parse_group(argc, argv, optarg, o)))
				return rc;
			break;
		case 'a': o->all = true; break;
		case 'f':
			if (cli_parse_format("goroutines", optarg, &o->format))
				return CLI_USAGE;
			if (o->format == CLI_FORMAT_CSV) {
				fputs("gocoroner goroutines: --format takes table or json, not 'csv'\n",
				      stderr);
				return CLI_USAGE;
			}
			break;
		case 'B':
			if (cli_parse_budget("goroutines", optarg, &o->budget))
				return CLI_USAGE;
			break;
		case 'h': fputs(goroutines_usage, stdout); return -1;
		case ':':
			fprintf(stderr, "gocoroner goroutines: %s needs a value; see 'gocoroner"
				" goroutines --help'\n", argv[optind - 1]);
			return CLI_USAGE;
		default: return cli_bad_option("goroutines", argv);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "gocoroner goroutines: unexpected argument '%s'; see 'gocoroner"
			" goroutines --help'\n", argv[optind]);
		return CLI_USAGE;
	}
	if (o->has_chan && (o->nfilters || o->group || o->format == CLI_FORMAT_JSON)) {
		fputs("gocoroner goroutines: --chan lists one channel's queues; it takes no --with,"
		      " --without, --group or --format json\n", stderr);
		return CLI_USAGE;
	}
	return CLI_OK;
}

const char *cli_gor_loc(struct gor *g, enum loc loc)
{
	switch (loc) {
	case LOC_USER: return g->stack && g->stack->user ? g->stack->user : "?";
	case LOC_CUR: return g->stack && g->stack->cur ? g->stack->cur : "?";
	case LOC_GO:
		if (!col(g->st, 5) || sqlite3_column_int64(g->st, 0) == 1)
			return "?";
		snprintf(g->goloc, sizeof(g->goloc), "%s %s:%lld", col(g->st, 5), text(g->st, 6),
			 sqlite3_column_int64(g->st, 7));
		return g->goloc;
	case LOC_START: return text(g->st, 9);
	default: return "?";
	}
}

const char *cli_gor_state(struct gor *g)
{
	return col(g->st, 2) ? col(g->st, 2) : text(g->st, 1);
}

bool cli_gor_next_label(const char **p, char *buf, size_t size)
{
	const char *s = *p;
	while (*s && *s != '"')
		s++;
	if (!*s)
		return false;
	size_t n = 0;
	for (s++; *s && *s != '"'; s++) {
		unsigned cp = (unsigned char)*s;
		if (*s == '\\' && s[1]) {
			s++;
			switch (*s) {
			case 'n': cp = '\n'; break;
			case 't': cp = '\t'; break;
			case 'r': cp = '\r'; break;
			case 'b': cp = '\b'; break;
			case 'f': cp = '\f'; break;
			case 'u':
				cp = 0;
				for (int i = 1; i <= 4 && s[1]; i++) {
					char h = *++s;
					cp = cp * 16 + (unsigned)(h >= 'a' ? h - 'a' + 10 : h >= 'A' ? h - 'A' + 10 : h - '0');
				}
				break;
			default: cp = (unsigned char)*s;
			}
		}
		char enc[4];
		size_t k = 0;
		if (cp < 0x80 || (unsigned char)*s >= 0x80) // raw UTF-8 bytes pass through
			enc[k++] = (char)cp;
		else if (cp < 0x800) {
			enc[k++] = (char)(0xc0 | cp >> 6);
			enc[k++] = (char)(0x80 | (cp & 0x3f));
		} else {
			enc[k++] = (char)(0xe0 | cp >> 12);
			enc[k++] = (char)(0x80 | (cp >> 6 & 0x3f));
			enc[k++] = (char)(0x80 | (cp & 0x3f));
		}
		for (size_t i = 0; i < k && n + 1 < size; i++)
			buf[n++] = enc[i];
	}
	buf[n] = '\0';
	*p = *s ? s + 1 : s;
	return true;
}

/* The value of label KEY of LABELS in BUF, or NULL if it has none. */
static const char *label_value(const char *labels, const char *key, char *buf, size_t size)
{
	if (!labels)
		return NULL;
	char k[1024];
	while (cli_gor_next_label(&labels, k, sizeof(k))) {
		if (!cli_gor_next_label(&labels, buf, size))
			return NULL;
		if (strcmp(k, key) == 0)
			return buf;
	}
	return NULL;
}

static bool has_func(const struct stack_locs *s, const char *sub)
{
	if (!s || !s->funcs)
		return false;
	for (const char *p = s->funcs; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		const char *hit = strstr(p, sub);
		if (hit && hit + strlen(sub) <= p + n)
			return true;
		p += n + (nl != NULL);
	}
	return false;
}

bool cli_gor_matches(struct gor *g, const struct filter *f)
{
	char buf[1024];
	const char *v;
	bool m = false;
	switch (f->kind) {
	case F_LOC: m = strstr(cli_gor_loc(g, f->loc), f->text) != NULL; break;
	case F_FUNC: m = has_func(g->stack, f->text); break;
	case F_STATE:
		m = strcmp(cli_gor_state(g), f->text) == 0 || strcmp(text(g->st, 1), f->text) == 0;
		break;
	case F_LABEL:
		v = label_value(col(g->st, 13), f->text, buf, sizeof(buf));
		m = v && (!f->value || strcmp(v, f->value) == 0);
		break;
	case F_RUNNING: m = sqlite3_column_type(g->st, 11) != SQLITE_NULL; break;
	case F_USER: m = !sqlite3_column_int(g->st, 10); break;
	}
	return m != f->without;
}

/* The key of G's group in BUF. */
const char *cli_gor_group_key(struct gor *g, const struct gor_opts *o, char *buf, size_t size)
{
	const char *v;
	switch (o->group) {
	case G_LOC: return cli_gor_loc(g, o->group_loc);
	case G_RUNNING: return sqlite3_column_type(g->st, 11) != SQLITE_NULL ? "running" : "not running";
	case G_USER: return sqlite3_column_int(g->st, 10) ? "system" : "user";
	case G_STATE: return cli_gor_state(g);
	case G_LABEL:
		v = label_value(col(g->st, 13), o->group_label, buf, size);
		if (!v)
			snprintf(buf, size, "(no label %s)", o->group_label);
		return buf;
	default: return "";
	}
}
