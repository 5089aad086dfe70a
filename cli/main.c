// main.c: the gocoroner command — dispatches to its subcommands.
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "cli/cli.h"
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
	"Run 'gocoroner COMMAND --help' for a command's options.\n"
	"  --version   print the version\n";

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
		printf("gocoroner %s\n", PACKAGE_VERSION);
		return CLI_OK;
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
	fprintf(stderr, "gocoroner: unknown command '%s'\n\n%s", cmd, usage);
	return CLI_USAGE;
}
