// SPDX-License-Identifier: Apache-2.0
// capturecmd.c: 'gocoroner capture PID' — a live process's core, taken with a
// short stop, written zstd-compressed, analyzed at once if asked.
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/core.h"

static const char capture_usage[] =
	"usage: gocoroner capture [-o FILE] [--level N] [--analyze [--db FILE]] PID\n"
	"\n"
	"Stop process PID (every thread, with ptrace), copy its registers and the\n"
	"memory a core holds, resume it, then write an ELF core compressed with\n"
	"zstd, which gdb, Delve and 'gocoroner analyze' read. Only the copy stops\n"
	"the process: pages it never touched are not read, and the compression\n"
	"happens after it runs again. Prints how long it was stopped, and the sizes.\n"
	"Needs root, or the process's user where ptrace is allowed.\n"
	"\n"
	"options:\n"
	"  --output FILE  where to write the core (-o FILE; default: core.PID.zst here)\n"
	"  --level N      zstd compression level, 1-19 (default 3)\n"
	"  --analyze      then analyze the core (as 'gocoroner analyze FILE')\n"
	"  --db FILE      with --analyze: the database (default " CLI_DEFAULT_DB ")\n"
	"  --quiet        print nothing but errors and, with --analyze, the incident id (-q)\n";

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* "1.5 MiB" into OUT. */
static const char *size_text(uint64_t n, char out[32])
{
	if (n >= (uint64_t)1 << 30)
		snprintf(out, 32, "%.2f GiB", (double)n / (1u << 30));
	else if (n >= (uint64_t)1 << 20)
		snprintf(out, 32, "%.1f MiB", (double)n / (1u << 20));
	else
		snprintf(out, 32, "%.1f KiB", (double)n / (1u << 10));
	return out;
}

int cli_capture(int argc, char **argv)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'}, {"level", required_argument, NULL, 'l'},
		{"analyze", no_argument, NULL, 'a'},      {"db", required_argument, NULL, 'd'},
		{"quiet", no_argument, NULL, 'q'},        {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *out = NULL, *db = NULL;
	bool analyze = false, quiet = false;
	int level = 3, c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'l': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || end == optarg || v < 1 || v > 19) {
				fprintf(stderr, "gocoroner capture: --level takes 1 to 19, not '%s'\n", optarg);
				return CLI_USAGE;
			}
			level = (int)v;
			break;
		}
		case 'a':
			analyze = true;
			break;
		case 'd':
			db = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			fputs(capture_usage, stdout);
			return CLI_OK;
		default:
			return cli_bad_option_in("capture", argv, "o:qh");
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "gocoroner capture: give one process id; see 'gocoroner capture --help'\n");
		return CLI_USAGE;
	}
	char *end;
	errno = 0;
	long pid = strtol(argv[optind], &end, 10);
	if (*end || end == argv[optind] || errno || pid <= 0 || pid > INT_MAX) {
		fprintf(stderr, "gocoroner capture: '%s' is not a process id\n", argv[optind]);
		return CLI_USAGE;
	}
	if (db && !analyze) {
		fprintf(stderr, "gocoroner capture: --db goes with --analyze\n");
		return CLI_USAGE;
	}
	char def[64];
	if (!out) {
		snprintf(def, sizeof(def), "core.%ld.zst", pid);
		out = def;
	}

	uint64_t t0 = now_ns();
	struct core_capture *cap = NULL;
	struct util_error *err = core_capture_create((int)pid, &cap);
	if (err)
		return cli_fail(err);
	err = core_capture_write(cap, out, level);
	uint64_t wall = now_ns() - t0;
	const struct core_capture_stats *s = core_capture_stats(cap);
	if (!err && !quiet) {
		char a[32], b[32], d[32];
		fprintf(stderr,
			"gocoroner capture: process %ld: %zu threads stopped for %.1f ms (%.1f ms to"
			" stop them, %.1f ms to copy); copied %s from %zu of %zu mappings (%llu"
			" untouched pages not read)\n",
			pid, s->nthreads, ms(s->stop_ns), ms(s->seize_ns), ms(s->copy_ns),
			size_text(s->bytes_copied, a), s->ndumped, s->nmaps,
			(unsigned long long)s->pages_untouched);
		if (s->pages_unreadable)
			fprintf(stderr, "gocoroner capture: %llu pages could not be read: zeros in the core\n",
				(unsigned long long)s->pages_unreadable);
		fprintf(stderr, "gocoroner capture: wrote %s: %s core in %s, %.1f ms in all\n", out,
			size_text(s->core_size, b), size_text(s->file_size, d), ms(wall));
	}
	core_capture_destroy(cap);
	if (err)
		return cli_fail(err);
	if (!analyze)
		return CLI_OK;
	char *av[8];
	int ac = 0;
	av[ac++] = (char *)"analyze";
	if (db) {
		av[ac++] = (char *)"--db";
		av[ac++] = (char *)db;
	}
	if (quiet)
		av[ac++] = (char *)"--quiet";
	av[ac++] = (char *)out;
	av[ac] = NULL;
	cli_command = "analyze";
	return cli_analyze(ac, av);
}
