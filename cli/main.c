// SPDX-License-Identifier: Apache-2.0
// main.c: the gocoroner command — dispatches to its subcommands.
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "cli/cli.h"
#include "dwarf/dwarf.h"
#include "store/store.h"
#ifdef GOCORONER_TESTING
#include "core/testing.h"
#include "store/testing.h"

/* core_read_fault_hook: reads of the core counted and failed with the database's. */
static int core_read_fault(void)
{
	return store_test_io_fault(STORE_IO_CORE_READ);
}
#endif

static const char usage[] =
	"usage: gocoroner COMMAND [OPTIONS] [ARGS]\n"
	"\n"
	"Postmortem analysis of Go programs from their core files.\n"
	"\n"
	"commands:\n"
	"  analyze     read a core and its executable into the database, print a summary\n"
	"  goroutines  list the goroutines of an incident\n"
	"  traceback   print an incident's goroutines in Go's own traceback format\n"
	"  frame       a goroutine's frames with the contexts, waits and defers of each\n"
	"  locals      what gocoroner decoded for one frame of a goroutine\n"
	"  contexts    print an incident's context.Context trees and who holds them\n"
	"  query       run a query of the library (canceled contexts, leaks...) or any SQL\n"
	"  report      the findings of an incident, most severe first\n"
	"  graph       the context trees or the wait-for graph as Graphviz DOT\n"
	"  capture     take a live process's core with a short stop, zstd-compressed\n"
	"\n"
	"the archive:\n"
	"  incidents   list the incidents: when, what, findings, tags\n"
	"  tag         name an incident or set its tags\n"
	"  similar     incidents whose signature resembles one's: the same hang again\n"
	"  diff        what changed between two incidents\n"
	"  core        write a core kept with 'analyze --keep-core' back to a file\n"
	"  forget      remove an incident from the database\n"
	"  export      copy an incident into a database file of its own\n"
	"  import      merge the incidents of another database\n"
	"\n"
	"Run 'gocoroner help COMMAND' (or 'gocoroner COMMAND --help') for a command's\n"
	"options, 'gocoroner --version' for the version and licence.\n";

/*
 * The commands, read from the usage text above (a line of two spaces, the
 * name, then spaces): one list for 'help' and for suggestions, which a new
 * command joins by its usage line.
 */
static bool next_command(const char **p, char *name, size_t len)
{
	while (**p) {
		const char *line = *p;
		const char *end = strchr(line, '\n');
		*p = end ? end + 1 : line + strlen(line);
		if (line[0] != ' ' || line[1] != ' ' || line[2] < 'a' || line[2] > 'z')
			continue;
		size_t n = strspn(line + 2, "abcdefghijklmnopqrstuvwxyz-");
		if (n == 0 || n >= len || line[2 + n] != ' ')
			continue;
		memcpy(name, line + 2, n);
		name[n] = '\0';
		return true;
	}
	return false;
}

static bool is_command(const char *cmd)
{
	const char *p = usage;
	char name[32];
	while (next_command(&p, name, sizeof(name)))
		if (strcmp(name, cmd) == 0)
			return true;
	return false;
}

/* Levenshtein distance of A and B, both under 32 bytes; else a large number. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la >= 32 || lb >= 32)
		return 99;
	size_t row[33];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* "gocoroner: unknown command 'anlyze'; did you mean 'analyze'?" */
static int unknown_command(const char *cmd)
{
	const char *p = usage;
	char name[32], best[32] = "";
	size_t best_d = 99;
	while (next_command(&p, name, sizeof(name))) {
		// A prefix ('inc', 'graphs'), else a typo of at most 2 edits.
		size_t d = strncmp(name, cmd, strlen(cmd)) == 0 || strncmp(name, cmd, strlen(name)) == 0
				   ? 1
				   : distance(cmd, name);
		if (d < best_d) {
			best_d = d;
			snprintf(best, sizeof(best), "%s", name);
		}
	}
	if (*cmd && best_d <= 2)
		fprintf(stderr, "gocoroner: unknown command '%s'; did you mean '%s'? See 'gocoroner help'.\n",
			cmd, best);
	else
		fprintf(stderr, "gocoroner: unknown command '%s'; see 'gocoroner help' for the commands\n",
			cmd);
	return CLI_USAGE;
}

static void version(void)
{
	printf("gocoroner %s\n"
	       "Copyright 2026 The gocoroner Authors\n"
	       "License: Apache-2.0 <https://www.apache.org/licenses/LICENSE-2.0>\n"
	       "database schema version %d\n"
	       "debuginfod client: %s\n",
	       PACKAGE_VERSION, STORE_SCHEMA_VERSION,
	       dw_debuginfod_available() ? "on (DEBUGINFOD_URLS)" : "off (built without libdebuginfod)");
}

int main(int argc, char **argv)
{
#ifdef GOCORONER_TESTING
	// Before any database is opened: the fault injector is SQLite's default VFS.
	store_test_iofault_init();
	core_read_fault_hook = core_read_fault;
#endif
	if (argc < 2) {
		fputs(usage, stderr);
		return CLI_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		version();
		return CLI_OK;
	}
	// 'help COMMAND' is 'COMMAND --help'; 'help' alone lists the commands.
	char *help_argv[4];
	if (strcmp(cmd, "help") == 0 && argc == 3 && is_command(argv[2])) {
		help_argv[0] = argv[0];
		help_argv[1] = argv[2];
		help_argv[2] = (char *)"--help";
		help_argv[3] = NULL;
		argc = 3;
		argv = help_argv;
		cmd = argv[1];
	} else if (strcmp(cmd, "help") == 0 && argc == 3) {
		return unknown_command(argv[2]);
	} else if (strcmp(cmd, "help") == 0 && argc > 3) {
		fprintf(stderr, "gocoroner help: give at most one command; see 'gocoroner help'\n");
		return CLI_USAGE;
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		fputs(usage, stdout);
		return CLI_OK;
	}
	cli_command = cmd;
	if (strcmp(cmd, "analyze") == 0)
		return cli_analyze(argc - 1, argv + 1);
	if (strcmp(cmd, "goroutines") == 0)
		return cli_goroutines(argc - 1, argv + 1);
	if (strcmp(cmd, "traceback") == 0)
		return cli_traceback(argc - 1, argv + 1);
	if (strcmp(cmd, "frame") == 0)
		return cli_frame(argc - 1, argv + 1);
	if (strcmp(cmd, "locals") == 0)
		return cli_locals(argc - 1, argv + 1);
	if (strcmp(cmd, "contexts") == 0)
		return cli_contexts(argc - 1, argv + 1);
	if (strcmp(cmd, "query") == 0)
		return cli_query(argc - 1, argv + 1);
	if (strcmp(cmd, "report") == 0)
		return cli_report(argc - 1, argv + 1);
	if (strcmp(cmd, "graph") == 0)
		return cli_graph(argc - 1, argv + 1);
	if (strcmp(cmd, "capture") == 0)
		return cli_capture(argc - 1, argv + 1);
	if (strcmp(cmd, "incidents") == 0)
		return cli_incidents(argc - 1, argv + 1);
	if (strcmp(cmd, "tag") == 0)
		return cli_tag(argc - 1, argv + 1);
	if (strcmp(cmd, "similar") == 0)
		return cli_similar(argc - 1, argv + 1);
	if (strcmp(cmd, "diff") == 0)
		return cli_diff(argc - 1, argv + 1);
	if (strcmp(cmd, "core") == 0)
		return cli_core(argc - 1, argv + 1);
	if (strcmp(cmd, "forget") == 0)
		return cli_forget(argc - 1, argv + 1);
	if (strcmp(cmd, "export") == 0)
		return cli_export(argc - 1, argv + 1);
	if (strcmp(cmd, "import") == 0)
		return cli_import(argc - 1, argv + 1);
	return unknown_command(cmd);
}
