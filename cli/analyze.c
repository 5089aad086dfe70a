// SPDX-License-Identifier: Apache-2.0
// analyze.c: 'gocoroner analyze' — read a core and its executable, write the
// incident into the database, print what was found.
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "cli/cli.h"
#include "core/core.h"
#include "dwarf/dwarf.h"
#include "goruntime/goruntime.h"
#include "store/store.h"
#ifdef GOCORONER_TESTING
#include "goruntime/testing.h"
#endif

static const char analyze_usage[] =
	"usage: gocoroner analyze [--db FILE] [--exe EXE] [--debug-file FILE] [--debug-dir DIR]...\n"
	"                         [--force] [--quiet] [--keep-core]\n"
	"                         [--captured-at TIME] [--fail-on-findings] [--timings]\n"
	"                         [--format text|json] [--budget N] CORE\n"
	"\n"
	"Read CORE (an ELF core: gcore, kernel or systemd-coredump; raw or .zst) and\n"
	"the Go executable it was made from, rebuild every goroutine with its stack,\n"
	"and add the incident to the database. Ingesting the same core again does not\n"
	"duplicate it.\n"
	"\n"
	"  --db FILE   database to write (default " CLI_DEFAULT_DB ")\n"
	"  --exe EXE   the executable, raw or zstd-compressed (prog.zst); default:\n"
	"              the path the core records\n"
	"  --debug-file FILE  the executable's DWARF kept apart (objcopy --only-keep-debug;\n"
	"              raw or .zst); used even if the executable has its own, and checked\n"
	"              against it (build id or CRC)\n"
	"  --debug-dir DIR  where to look for the debug file of a stripped executable,\n"
	"              as gdb's debug-file-directory (repeatable, searched in order;\n"
	"              default $GOCORONER_DEBUG_DIRS, colon-separated, else\n"
	"              /usr/lib/debug): DIR/.build-id/xx/yyyy.debug by GNU build id,\n"
	"              then the .gnu_debuglink name beside the executable, in its\n"
	"              .debug/ and under DIR; then debuginfod if DEBUGINFOD_URLS is set\n"
	"  --force     accept an executable whose build id does not match the core\n"
	"  --captured-at TIME  when the core was captured: ISO-8601 UTC\n"
	"              (2026-03-02T14:05:09Z) or @EPOCH (seconds). Default: the\n"
	"              time in a systemd-coredump file name\n"
	"              (core.COMM.UID.BOOTID.PID.USEC[.zst]), else the file's\n"
	"              modification time, which a copy (cp, scp, git) resets\n"
	"  --quiet     print only the incident id; without it, a status line on a\n"
	"              terminal (stderr) names each phase of a long ingest\n"
	"  --keep-core keep the core itself in the database, zstd-compressed (a .zst\n"
	"              core as it is), stored once however many incidents share\n"
	"              it; 'gocoroner core INCIDENT --to FILE' writes it back\n"
	"  --fail-on-findings  exit with status 3 when the incident has bug findings\n"
	"              (see 'gocoroner report'), 0 when it has none\n"
	"  --timings   print on stderr how long each stage took, and the peak memory\n"
	"  --format F  text (default) or json: the incident id, its header, goroutines\n"
	"              by state and the counts of findings as one object, for scripts\n"
	CLI_BUDGET_HELP("  ", "              ");

/* gr_options.progress: goroutines read so far, on the status line. */
static void progress(size_t done, size_t total, void *arg)
{
	cli_status_count(arg, done, total);
}

/*
 * --timings: when each stage began, on which thread. The snapshot and the
 * store tell their stages (util_stage_fn); the analyze steps around them
 * are told here. A stage lasts until the next one of its thread. The same
 * marks draw the status line on a terminal (cli_status).
 */
enum { TIMINGS_MAX = 64 };
struct timings {
	bool on;                      /**< --timings: record and print them */
	struct cli_status *status;    /**< the status line, or NULL */
	pthread_mutex_t mu;
	pthread_t main_thread;
	struct timespec start;
	size_t n;
	struct {
		const char *name;
		bool on_main;
		double at;            /**< seconds from start */
		double cpu;           /**< the thread's CPU seconds then */
		double rss;           /**< the process's resident MiB then */
	} ev[TIMINGS_MAX];
};

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* The process's resident memory in MiB, from /proc/self/statm; 0 if unknown. */
static double resident_mib(void)
{
	unsigned long size, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return (double)resident * (double)sysconf(_SC_PAGESIZE) / (1024.0 * 1024.0);
}

/* util_stage_fn: record that stage NAME begins; ARG is a struct timings, or NULL. */
static void timing_mark(const char *name, void *arg)
{
	struct timings *t = arg;
	if (!t)
		return;
#ifdef GOCORONER_TESTING
	// Tests of an interrupted analyze: SIGTERM as stage NAME begins.
	const char *at = getenv("GOCORONER_TEST_SIGNAL_AT");
	if (at && !strcmp(at, name))
		raise(SIGTERM);
#endif
	bool on_main = pthread_equal(pthread_self(), t->main_thread);
	cli_status_stage(t->status, name, on_main);
	if (!t->on)
		return;
	pthread_mutex_lock(&t->mu);
	if (t->n < TIMINGS_MAX) {
		t->ev[t->n].name = name;
		t->ev[t->n].on_main = on_main;
		t->ev[t->n].at = seconds_since(&t->start);
		struct timespec c;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c);
		t->ev[t->n].cpu = (double)c.tv_sec + (double)c.tv_nsec / 1e9;
		t->ev[t->n].rss = resident_mib();
		t->n++;
	}
	pthread_mutex_unlock(&t->mu);
}

static void timings_print(struct timings *t)
{
	if (!t || !t->on)
		return;
	timing_mark("end", t);
	fprintf(stderr, "%-7s %-22s %9s %9s %9s %9s\n", "thread", "stage", "start s", "took s", "cpu s",
		"rss MiB");
	for (size_t i = 0; i < t->n; i++) {
		if (!strcmp(t->ev[i].name, "end"))
			continue;
		double end = t->ev[i].at, cpu_end = t->ev[i].cpu;
		for (size_t j = i + 1; j < t->n; j++)
			if (t->ev[j].on_main == t->ev[i].on_main) {
				end = t->ev[j].at;
				cpu_end = t->ev[j].cpu;
				break;
			}
		fprintf(stderr, "%-7s %-22s %9.3f %9.3f %9.3f %9.0f\n", t->ev[i].on_main ? "main" : "writer",
			t->ev[i].name, t->ev[i].at, end - t->ev[i].at, cpu_end - t->ev[i].cpu, t->ev[i].rss);
	}
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		fprintf(stderr, "total %.3f s, peak memory %.1f MiB\n", t->ev[t->n - 1].at,
			(double)ru.ru_maxrss / 1024.0);
}

/*
 * An ingest frees big blocks (a stack buffer, the holdings, decoders'
 * tables) and then needs as much again (SQLite's cache and index sorts).
 * By default glibc gives blocks over 128 KiB back to the system, so the
 * next ones are fresh pages, faulted in one by one. Blocks kept in the heap
 * for reuse save those page faults at the same peak memory (bench/README.md).
 */
static void keep_freed_memory(void)
{
#if defined(M_MMAP_THRESHOLD) && defined(M_TRIM_THRESHOLD)
	mallopt(M_MMAP_THRESHOLD, 256 << 20);
	mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
#ifdef M_ARENA_MAX
	// The writer thread (struct writer) allocates from the same heap, in
	// the same huge pages, instead of an arena of fresh 4 KiB pages.
	mallopt(M_ARENA_MAX, 1);
#endif
}

/*
 * Blocks of 64 MiB and more in mappings of their own, once the heap is
 * grown (heap_in_huge_pages). An array that doubles past that size (the
 * contexts of a big core: 109 -> 218 MB at 300,000 goroutines) is then
 * moved by mremap, its pages kept, instead of copied to the top of the
 * heap whenever another thread's blocks lie after it: that copy was both
 * arrays in memory at once, 540-585 MiB at the peak on that core in about
 * half the runs against 460-505 (bench/README.md). Smaller blocks stay in
 * the heap, for the reasons above.
 */
static void map_big_blocks(void)
{
#ifdef M_MMAP_THRESHOLD
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
#endif
}

/* The heap an ingest grows into, asked for in huge pages (below the mmap threshold). */
#define HEAP_IN_HUGE_PAGES ((size_t)255 << 20)
#define HUGE_PAGE ((uintptr_t)2 << 20)

/*
 * An ingest of a big core fills much fresh heap (the snapshot's arena, the
 * holdings, SQLite's cache and sorts), and every first touch of a 4 KiB
 * page is a page fault: most of an ingest's faults (bench/README.md), and
 * on a virtual machine each costs microseconds. So the heap is grown once
 * by a block that is at once given back (the trim threshold above keeps
 * it), after asking the kernel to back it with 2 MiB pages where it can
 * (transparent huge pages, "madvise" mode): one fault then fills 512 pages.
 * Only address space is taken: a page counts in memory once touched, a huge
 * one as a whole, which leaves the peak as it was. Without THP, or when the
 * block is not served from the heap, nothing changes.
 */
static void heap_in_huge_pages(void)
{
#ifdef MADV_HUGEPAGE
	unsigned char *p = malloc(HEAP_IN_HUGE_PAGES);
	if (!p)
		return;
	uintptr_t lo = ((uintptr_t)p + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	uintptr_t hi = ((uintptr_t)p + HEAP_IN_HUGE_PAGES) & ~(HUGE_PAGE - 1);
	if (hi > lo)
		madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
	free(p);
#endif
}

/*
 * A new database's temporary file (store_open_fresh) is removed if a signal
 * ends analyze before it is published: an interrupted analyze leaves
 * neither it nor the database. (SIGKILL leaves the temporary file.)
 */
static char fresh_files[3][PATH_MAX + 8];
static volatile sig_atomic_t fresh_armed;
static const int fresh_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

static void fresh_on_signal(int sig)
{
	if (fresh_armed)
		for (int i = 0; i < 3; i++)
			unlink(fresh_files[i]);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void fresh_remove_on_signals(const char *tmp)
{
	if (!tmp || strlen(tmp) >= PATH_MAX)
		return;
	snprintf(fresh_files[0], sizeof(fresh_files[0]), "%s", tmp);
	snprintf(fresh_files[1], sizeof(fresh_files[1]), "%s-wal", tmp);
	snprintf(fresh_files[2], sizeof(fresh_files[2]), "%s-shm", tmp);
	fresh_armed = 1;
	for (size_t i = 0; i < sizeof(fresh_signals) / sizeof(fresh_signals[0]); i++) {
		struct sigaction sa = {0}, old;
		sa.sa_handler = fresh_on_signal;
		// A signal ignored (nohup) stays ignored.
		if (sigaction(fresh_signals[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
			sigaction(fresh_signals[i], &sa, NULL);
	}
}

/*
 * The ingest's first steps, on a thread of its own. Once the goroutines are
 * read, this thread opens the database and writes the incident with its
 * goroutines (store_ingest_begin) while the snapshot reads the defers and
 * the waits; once those are read, it writes them (store_ingest_waits) while
 * the snapshot reads the contexts, and then the contexts
 * (store_ingest_contexts) while the snapshot marks the heap, and their
 * indexes once it is over. The main thread then joins it and finishes the
 * ingest. Most of SQLite's part of an ingest so runs beside the snapshot
 * (bench/README.md).
 */
struct writer {
	const char *db_path;
	uint64_t budget;              /**< --budget, for the summary and the report */
	struct core_file *core;
	struct store_incident inc;
	const struct gr_snapshot *snap;
	struct store_db *db;
	struct store_ingest *ingest;  /**< begun; NULL before, or once a step failed */
	struct util_error *err;       /**< of the step that failed */
	pthread_t thread;
	bool started;                 /**< the thread runs or ran, and is not joined */
	pthread_mutex_t mu;           /**< guards the flags below */
	pthread_cond_t cond;
	bool contexts_ready;          /**< gr_options.contexts_done was called */
	bool waits_ready;             /**< gr_options.waits_done was called */
	bool defers_ready;            /**< gr_options.defers_done was called */
	bool snapshot_over;           /**< gr_snapshot_create returned */
	struct timings *timings;      /**< --timings, else NULL */
};

static void writer_begin(struct writer *w, const struct gr_snapshot *snap)
{
	timing_mark("open database", w->timings);
	if (!w->inc.core_sha256) {
		// Its file failed a read, or changed since it was opened.
		w->err = core_read_error(w->core);
		if (!w->err)
			w->err = util_error_create(UTIL_ERROR_BAD_DATA,
						   "%s: changed while it was read; not stored",
						   core_path(w->core));
		return;
	}
	// A new file is written under a temporary name (store_open_fresh).
	w->err = store_open_fresh(w->db_path, w->budget, &w->db);
	if (!w->err && !w->db)
		w->err = cli_open_writable("analyze", w->db_path, w->budget, &w->db);
	else if (!w->err)
		fresh_remove_on_signals(store_fresh_path(w->db));
	if (!w->err) {
		store_set_stage_hook(w->db, timing_mark, w->timings);
		store_checkpoint_defer(w->db); // store_checkpoint_start once committed
		cli_test_hooks(w->db);
		w->err = store_ingest_begin(w->db, &w->inc, snap, &w->ingest);
	}
}

/*
 * Mark stage NAME and wait until *FLAG is set or the snapshot is over;
 * whether *FLAG was set.
 */
static bool writer_wait(struct writer *w, const char *name, const bool *flag)
{
	timing_mark(name, w->timings);
	pthread_mutex_lock(&w->mu);
	while (!*flag && !w->snapshot_over)
		pthread_cond_wait(&w->cond, &w->mu);
	bool set = *flag;
	pthread_mutex_unlock(&w->mu);
	return set;
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	// The fingerprint names the incident. Waiting for it is the writer's
	// part: on ctxgen's core the goroutines are read before the core's
	// 1.87 GB are hashed, and the snapshot goes on with the contexts
	// meanwhile. core_sha256 touches only the fingerprint's own state.
	timing_mark("fingerprint", w->timings);
	w->inc.core_sha256 = core_sha256(w->core);
	// The incident begins with the defers' rows, as soon as they are read,
	// so that they go (the snapshot's own, 21 MB at 300,000 goroutines):
	// a writer late with them held them over the contexts pass's peak
	// (396-405 against 369-377 MiB there, bench/README.md). Then the
	// waits' rows (channels) while the snapshot reads the contexts, then
	// the contexts' while it marks the heap: the main thread then writes
	// only the reachability before the summary.
	if (!writer_wait(w, "wait for defers", &w->defers_ready))
		return NULL; // the snapshot failed: stop_writer, or the main thread, says so
	writer_begin(w, w->snap);
	if (w->ingest)
		gr_snapshot_drop_defers((struct gr_snapshot *)w->snap);
	bool waits = writer_wait(w, "wait for waits", &w->waits_ready);
	if (waits && w->ingest) {
		w->err = store_ingest_waits(w->ingest, w->snap);
		if (w->err)
			w->ingest = NULL; // rolled back and freed
	}
	if (waits && w->ingest) {
		bool contexts = writer_wait(w, "wait for contexts", &w->contexts_ready);
		if (contexts) {
			w->err = store_ingest_contexts(w->ingest, w->snap);
			if (w->err)
				w->ingest = NULL;
		}
		// Their indexes once the snapshot is over: a new database's index
		// builds sort in memory (50 MB at 300,000 goroutines), which beside
		// the marking's end was the peak of an analyze (bench/README.md).
		// The main thread waits for them as it did for the rows.
		pthread_mutex_lock(&w->mu);
		while (contexts && w->ingest && !w->snapshot_over)
			pthread_cond_wait(&w->cond, &w->mu);
		pthread_mutex_unlock(&w->mu);
		if (contexts && w->ingest) {
			w->err = store_ingest_context_indexes(w->ingest);
			if (w->err)
				w->ingest = NULL;
		}
	}
	timing_mark("writer done", w->timings);
	return NULL;
}

/* gr_options.goroutines_done: start the writer. */
static void start_writer(const struct gr_snapshot *snap, void *arg)
{
	struct writer *w = arg;
	timing_mark("start writer", w->timings);
	w->snap = snap;
	// Without a thread, the main thread does it all after the snapshot.
	w->started = pthread_create(&w->thread, NULL, writer_main, w) == 0;
}

static void tell_writer(struct writer *w, bool *flag)
{
	pthread_mutex_lock(&w->mu);
	*flag = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->mu);
}

/* gr_options.contexts_done: the writer may write the contexts. */
static void contexts_to_writer(const struct gr_snapshot *snap, void *arg)
{
	(void)snap;
	struct writer *w = arg;
	tell_writer(w, &w->contexts_ready);
}

/* gr_options.defers_done: the writer may write the defers. */
static void defers_to_writer(const struct gr_snapshot *snap, void *arg)
{
	(void)snap;
	struct writer *w = arg;
	tell_writer(w, &w->defers_ready);
}

/* gr_options.waits_done: the writer may write the waits. */
static void waits_to_writer(const struct gr_snapshot *snap, void *arg)
{
	(void)snap;
	struct writer *w = arg;
	tell_writer(w, &w->waits_ready);
}

/* Wait for the writer, if it runs; its error, if it had one. */
static struct util_error *writer_join(struct writer *w)
{
	if (w->started) {
		tell_writer(w, &w->snapshot_over);
		pthread_join(w->thread, NULL);
		w->started = false;
	}
	struct util_error *err = w->err;
	w->err = NULL;
	return err;
}

/*
 * gr_options.snapshot_failed: the snapshot is about to free the goroutines
 * the writer reads. The writer is joined first, and what it wrote is rolled
 * back: a failed analyze leaves the database without a half-written
 * incident. The snapshot's error is the one told; the writer's goes.
 */
static void stop_writer(const struct gr_snapshot *snap, void *arg)
{
	(void)snap;
	struct writer *w = arg;
	util_error_destroy(writer_join(w));
	store_ingest_abort(w->ingest);
	w->ingest = NULL;
}

int cli_analyze(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"exe", required_argument, NULL, 'e'},
		{"force", no_argument, NULL, 'f'},
		{"debug-file", required_argument, NULL, 'D'},
		{"debug-dir", required_argument, NULL, 'G'},
		{"quiet", no_argument, NULL, 'q'},
		{"fail-on-findings", no_argument, NULL, 'F'},
		{"keep-core", no_argument, NULL, 'k'},
		{"budget", required_argument, NULL, 'B'},
		{"timings", no_argument, NULL, 'T'},
		{"captured-at", required_argument, NULL, 'C'},
		{"format", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *db_path = CLI_DEFAULT_DB, *exe_path = NULL, *captured_opt = NULL;
	struct cli_debug_dirs dbg = {0};
	uint64_t budget = STORE_BUDGET_DEFAULT;
	bool force = false, quiet = false, fail_on_findings = false, keep_core = false;
	bool json = false;
	struct timings timings = {.mu = PTHREAD_MUTEX_INITIALIZER}, *tmg = &timings;
	struct cli_status progress_line;
	static const char shortopts[] = "d:e:fqkTh";
	int c;
	optind = 1;
	opterr = 0; // one line of our own instead of getopt's message plus usage
	while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		switch (c) {
		case 'd': db_path = optarg; break;
		case 'e': exe_path = optarg; break;
		case 'f': force = true; break;
		case 'D': dbg.opts.debug_file = optarg; break;
		case 'G':
			if (cli_debug_dirs_add(&dbg, optarg)) {
				fputs("gocoroner: out of memory\n", stderr);
				return CLI_ERROR;
			}
			break;
		case 'q': quiet = true; break;
		case 'F': fail_on_findings = true; break;
		case 'k': keep_core = true; break;
		case 'T': timings.on = true; break;
		case 'o':
			if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0) {
				fprintf(stderr, "gocoroner analyze: --format takes text or json, not '%s'\n",
					optarg);
				return CLI_USAGE;
			}
			json = strcmp(optarg, "json") == 0;
			break;
		case 'C':
		{
			int64_t t;
			if (!cli_parse_time(optarg, &t)) {
				fprintf(stderr, "gocoroner analyze: --captured-at takes an ISO-8601 UTC"
					" time (2026-03-02T14:05:09Z) or @EPOCH, not '%s'\n", optarg);
				return CLI_USAGE;
			}
			captured_opt = optarg;
			break;
		}
		case 'B':
			if (cli_parse_budget("analyze", optarg, &budget))
				return CLI_USAGE;
			break;
		case 'h': fputs(analyze_usage, stdout); return CLI_OK;
		default: return cli_bad_option_in("analyze", argv, shortopts);
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "gocoroner analyze: give one core file; see 'gocoroner analyze --help' (usage)\n");
		return CLI_USAGE;
	}
	const char *core_path = argv[optind];
	// The status line on a terminal: the phases after the goroutines
	// took seconds of blank screen on a big core.
	cli_status_init(&progress_line, stderr, !quiet);
	tmg->status = &progress_line;
	tmg->main_thread = pthread_self();
	clock_gettime(CLOCK_MONOTONIC, &tmg->start);
	timing_mark("open core", tmg);
	keep_freed_memory();
	heap_in_huge_pages();
	map_big_blocks();
	struct core_file *core = NULL;
	struct dw_binary *bin = NULL;
	struct gr_snapshot *snap = NULL;
	void *kept = NULL;
	size_t kept_len = 0;
	char *abs_core = NULL, *abs_exe = NULL;
	struct writer w = {.mu = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	int status = CLI_ERROR;

	struct util_error *err = core_open(core_path, &core);
	if (err)
		goto out;
	if (!exe_path) {
		exe_path = core_exe_path(core);
		if (!exe_path) {
			err = util_error_create(UTIL_ERROR_NOT_FOUND,
						"%s: the core does not name its executable; give it with --exe",
						core_path);
			goto out;
		}
		if (access(exe_path, R_OK) != 0) {
			err = util_error_create(UTIL_ERROR_NOT_FOUND,
						"%s: the core was made from %s, which is not readable here; "
						"give the executable with --exe",
						core_path, exe_path);
			goto out;
		}
	}
	timing_mark("open executable", tmg);
	err = cli_debug_dirs_finish(&dbg);
	if (!err)
		err = dw_binary_open_with(exe_path, &dbg.opts, &bin);
	if (err)
		goto out;
	err = core_attach_exe(core, exe_path, force);
	if (err)
		goto out;
	// What the incident row says, but for what the snapshot fills in.
	// When the core was captured: an ELF core records no wall clock, so
	// the user's word, else a systemd-coredump name's, else the file's
	// modification time (the kernel or gcore wrote it then; a copy did not).
	const struct core_info *ci = core_info(core);
	if (ci->problem) { // read all the same; a diagnostic of the incident too
		cli_status_clear(&progress_line);
		fprintf(stderr, "gocoroner: warning: %s\n", ci->problem);
	}
	struct cli_capture captured;
	cli_capture_time(core_path, captured_opt, ci->mtime, &captured);
	char exe_name[256];
	cli_exe_name(core, exe_name, sizeof(exe_name));
	const char *build_id = dw_binary_go_build_id(bin);
	if (!*build_id)
		build_id = dw_binary_gnu_build_id(bin);
	abs_core = realpath(core_path, NULL);
	abs_exe = realpath(exe_path, NULL);
	w.inc = (struct store_incident){
		.core_path = abs_core ? abs_core : core_path,
		.exe_path = abs_exe ? abs_exe : exe_path,
		.exe_name = *exe_name ? exe_name : NULL,
		.exe_build_id = build_id,
		.arch = "amd64",
		.pid = ci->pid,
		.cmdline = ci->psargs,
		.signal = ci->signal,
		.core_kind = ci->kind == CORE_KIND_KERNEL  ? "kernel"
			     : ci->kind == CORE_KIND_GCORE ? "gcore"
							   : "unknown",
		.tool_version = PACKAGE_VERSION,
		.captured_at = *captured.at ? captured.at : NULL,
		.captured_at_source = captured.source,
		.core_size = ci->file_size,
	};
	w.db_path = db_path;
	w.budget = budget;
	w.core = core;
	w.timings = tmg;
	struct gr_options gopts = {0};
	gopts.stage = timing_mark;
	gopts.stage_arg = tmg;
	if (progress_line.on) {
		gopts.progress = progress;
		gopts.progress_arg = &progress_line;
	}
	gopts.goroutines_done = start_writer;
	gopts.goroutines_done_arg = &w;
	gopts.contexts_done = contexts_to_writer;
	gopts.contexts_done_arg = &w;
	gopts.defers_done = defers_to_writer;
	gopts.defers_done_arg = &w;
	gopts.waits_done = waits_to_writer;
	gopts.waits_done_arg = &w;
	gopts.snapshot_failed = stop_writer;
	gopts.snapshot_failed_arg = &w;
#ifdef GOCORONER_TESTING
	gr_test_fail_stage = getenv("GOCORONER_TEST_SNAPSHOT_FAIL");
#endif
	// Level 3, zstd's default: quick even on a big core (bench/README.md),
	// to the size 'zstd' itself gives. Before the snapshot, whose
	// goroutines_done starts the write transaction: compressing a big core
	// under the database's write lock made other ingests time out.
	if (keep_core) {
		timing_mark("keep core", tmg);
		err = core_zstd_image(core, 3, &kept, &kept_len);
		if (err)
			goto out;
	}
	err = gr_snapshot_create(core, bin, &gopts, &snap);
	if (err) {
		err = util_error_prefix(err, "%s: ", core_path);
		goto out;
	}
	// Nothing reads the core's memory from here on, and SQLite's cache and
	// sorts grow to the ingest's peak: the page cache need not count in it.
	core_drop_page_cache(core);
	// The goroutines' part of the ingest, started by start_writer.
	bool had_thread = w.started;
	timing_mark("wait for writer", tmg);
	err = writer_join(&w);
	if (!err && !had_thread && !w.ingest) {
		if (!w.inc.core_sha256)
			w.inc.core_sha256 = core_sha256(core);
		writer_begin(&w, snap);
		err = writer_join(&w);
	}
	// A read of the core's file that failed gave zeros to the snapshot.
	if (!err)
		err = core_read_error(core);
	if (err)
		goto out;
	w.inc.core_zstd = kept;
	w.inc.core_zstd_len = kept_len;
	int64_t id;
	bool existed;
	err = store_ingest_finish(w.ingest, snap, &id, &existed);
	w.ingest = NULL;
	if (util_error_is(err, UTIL_ERROR_BUDGET))
		err = util_error_prefix(err, "%s: not stored, nothing was written: ", core_path);
	if (err)
		goto out;
	// The incident is committed. A new database goes to its path (or, if
	// another gocoroner made that meanwhile, into it); in an existing one
	// the copy from the WAL into the file runs beside the summary's reads.
	timing_mark("publish", tmg);
	err = store_publish(&w.db, &id, &existed);
	fresh_armed = 0;
	if (err)
		goto out;
	// What fails from here on leaves the incident stored.
	struct store_db *db = w.db;
	timing_mark("print summary", tmg);
	cli_status_end(&progress_line);
	if (json) {
		// Printed below, with the findings' counts.
	} else if (quiet) {
		printf("%lld\n", (long long)id);
	} else {
		if (existed)
			printf("this core is already incident %lld of %s%s\n\n", (long long)id, db_path,
			       keep_core ? " (its core is kept)" : "");
		// Which debug file gave the DWARF of a stripped executable, and how.
		char debug_line[PATH_MAX + 64] = "";
		if (dw_binary_debug_file(bin)) {
			char *abs = realpath(dw_binary_debug_file(bin), NULL);
			snprintf(debug_line, sizeof(debug_line), "  debug info %s (found by %s)\n",
				 abs ? abs : dw_binary_debug_file(bin), dw_binary_debug_source(bin));
			free(abs);
		}
		err = cli_print_summary(stdout, db, id, debug_line);
		// Said as the command that lists them (the library's view).
		char n[32];
		if (!err && snap->ndiags)
			printf("\n%s %s (what was not read, worked around or counted): "
			       "gocoroner query --incident %lld diagnostics\n",
			       cli_thousands(n, sizeof(n), (int64_t)snap->ndiags),
			       snap->ndiags == 1 ? "diagnostic" : "diagnostics", (long long)id);
	}
	struct cli_findings findings;
	if (!err && (!quiet || fail_on_findings || json))
		err = cli_stored_findings(db, id, &findings);
	if (!err && json)
		err = cli_analyze_json(stdout, db, id, existed, snap->ndiags, &findings);
	if (util_error_is(err, UTIL_ERROR_BUDGET))
		err = util_error_prefix(err, "incident %lld is stored in %s, but its report was stopped: ",
					(long long)id, db_path);
	if (err)
		goto out;
	if (!quiet && !json) {
		printf("\n");
		cli_print_findings_short(stdout, &findings);
		if (cli_has_findings(&findings))
			printf("details: gocoroner report --incident %lld\n", (long long)id);
	}
	status = fail_on_findings && cli_has_bugs(&findings) ? CLI_FINDINGS : CLI_OK;
	timing_mark("wait for checkpoint", tmg);
	store_checkpoint_wait(db);
	timings_print(tmg);
out:;
	struct util_error *werr = writer_join(&w); // if what followed the snapshot failed
	util_error_destroy(werr);
	cli_status_end(&progress_line); // before any message
	// After a read of the core's file failed, what went wrong next (an
	// empty allgs, a core "of another executable") came from the zeros it
	// gave: say the read. Checked once the writer, which may be reading
	// the fingerprint's failure, is joined.
	struct util_error *read_err = err && core ? core_read_error(core) : NULL;
	if (read_err) {
		util_error_destroy(err);
		err = read_err;
	}
	if (err)
		status = cli_fail(err);
	store_ingest_abort(w.ingest);
	store_close(w.db);
	free(abs_core);
	free(abs_exe);
	pthread_mutex_destroy(&w.mu);
	pthread_cond_destroy(&w.cond);
	free(kept);
	gr_snapshot_destroy(snap);
	dw_binary_destroy(bin);
	core_destroy(core);
	cli_debug_dirs_free(&dbg);
	return status;
}
