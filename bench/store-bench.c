// SPDX-License-Identifier: Apache-2.0
// store-bench.c: time store_ingest on a synthetic snapshot shaped like a big
// server's core — many goroutines, few distinct stacks. Not a test: build it
// with `make bench/store-bench`, run `bench/store-bench [GOROUTINES [DB [RUNS]]]`.
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"

enum {
	FRAMES = 15,       /* per goroutine */
	SHAPES = 1000,     /* distinct stacks shared by most goroutines */
	UNIQUE_EVERY = 50, /* every 50th goroutine has a stack of its own (2%) */
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *intern_func(struct gr_snapshot *s, unsigned n)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "example.com/app/pkg%u.(*Server).handle", n);
	return util_strtab_intern_cstr(&s->strings, buf);
}

static const char *intern_file(struct gr_snapshot *s, unsigned n)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "/home/build/app/pkg%u/server.go", n);
	return util_strtab_intern_cstr(&s->strings, buf);
}

/* N goroutines in S's arena, names interned as goruntime does. */
static int make_snapshot(struct gr_snapshot *s, size_t n)
{
	util_arena_init(&s->arena);
	util_strtab_init(&s->strings);
	s->go_version = "go1.22.3";
	s->build_settings = "";
	s->now_ns = 3600000000000;
	s->now_source = "bench";
	s->goroutines = util_arena_alloc(&s->arena, n * sizeof(*s->goroutines));
	struct gr_frame *shapes = util_arena_alloc(&s->arena, (size_t)SHAPES * FRAMES * sizeof(*shapes));
	if (!s->goroutines || !shapes)
		return -1;
	for (unsigned k = 0; k < SHAPES; k++) {
		for (unsigned d = 0; d < FRAMES; d++) {
			struct gr_frame *f = &shapes[k * FRAMES + d];
			unsigned fn = d == 0 ? 0 : (k * 7 + d * 131) % 4000; // shared leaves
			f->pc = 0x400000 + fn * 0x40 + d;
			f->func = intern_func(s, fn);
			f->file = intern_file(s, fn % 300);
			f->line = 10 + fn % 500;
			f->inlined = d % 5 == 3;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct gr_goroutine *g = &s->goroutines[i];
		g->goid = i + 1;
		g->g_addr = 0xc000000000 + i * 0x1a0;
		g->status = 4;
		g->status_name = "waiting";
		g->wait_reason = i % 3 ? "chan receive" : "select";
		g->wait_since_ns = 1000 + i;
		g->wait_minutes = 59;
		g->has_creator = true;
		g->creator_goid = 1;
		g->created_by_func = "example.com/app.(*Server).Serve";
		g->created_by_file = "/home/build/app/serve.go";
		g->created_by_line = 88;
		g->start_func = "example.com/app.(*Server).handle";
		g->labels = i % 10 == 0 ? "{\"request\":\"r\"}" : NULL;
		g->nframes = FRAMES;
		g->frames = &shapes[(i % SHAPES) * FRAMES];
		g->stack_index = (uint32_t)(i % SHAPES); // as goruntime numbers distinct stacks
		if (i % UNIQUE_EVERY == 0) { // a copy with its own innermost pc
			struct gr_frame *own = util_arena_alloc(&s->arena, FRAMES * sizeof(*own));
			if (!own)
				return -1;
			for (unsigned d = 0; d < FRAMES; d++)
				own[d] = g->frames[d];
			own[0].pc = 0x900000 + i;
			g->frames = own;
			g->stack_index = (uint32_t)(SHAPES + i / UNIQUE_EVERY);
		}
	}
	s->ngoroutines = n;
	s->nstacks = SHAPES + (n + UNIQUE_EVERY - 1) / UNIQUE_EVERY;
	return 0;
}

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void remove_db(const char *path)
{
	char side[4200];
	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
	const char *path = argc > 2 ? argv[2] : "store-bench.db";
	int runs = argc > 3 ? atoi(argv[3]) : 5;

	static struct gr_snapshot snap;
	if (make_snapshot(&snap, n) < 0) {
		fprintf(stderr, "store-bench: out of memory\n");
		return 1;
	}
	struct store_incident inc = {
		.core_path = "bench.core",
		.core_sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		.exe_build_id = "bench",
		.arch = "amd64",
		.tool_version = "bench",
	};
	printf("%zu goroutines, %d frames each, 1 of %d with a stack of its own; %d runs"
	       " into a new %s\n", n, FRAMES, UNIQUE_EVERY, runs, path);
	printf("run  ingest wall  (cpu)    re-ingest  close\n");
	double best = 1e9;
	long long stacks = 0, frames = 0, size = 0;
	for (int r = 0; r < runs; r++) {
		remove_db(path);
		struct store_db *db;
		int64_t id;
		bool existed;
		struct util_error *err = store_open(path, &db);
		double t0 = now_s(), c0 = cpu_s();
		if (!err)
			err = store_ingest(db, &inc, &snap, &id, &existed);
		double t1 = now_s(), c1 = cpu_s();
		if (!err)
			err = store_ingest(db, &inc, &snap, &id, &existed);
		double t2 = now_s();
		if (err) {
			fprintf(stderr, "store-bench: %s\n", err->message);
			return 1;
		}
		sqlite3_stmt *s;
		if (sqlite3_prepare_v2(store_handle(db), "SELECT (SELECT count(*) FROM stack),"
				       " (SELECT count(*) FROM frame)", -1, &s, NULL) == SQLITE_OK &&
		    sqlite3_step(s) == SQLITE_ROW) {
			stacks = sqlite3_column_int64(s, 0);
			frames = sqlite3_column_int64(s, 1);
		}
		sqlite3_finalize(s);
		double t3 = now_s();
		store_close(db);
		double t4 = now_s();
		struct stat st;
		size = stat(path, &st) == 0 ? (long long)st.st_size : -1;
		printf("%3d  %8.1f ms (%5.1f)  %6.2f ms  %5.1f ms\n", r + 1, (t1 - t0) * 1e3,
		       (c1 - c0) * 1e3, (t2 - t1) * 1e3, (t4 - t3) * 1e3);
		if (t1 - t0 < best)
			best = t1 - t0;
	}
	printf("best ingest %.1f ms (%.2f us/goroutine); %lld distinct stacks, %lld frame rows,"
	       " %.1f MiB\n", best * 1e3, best * 1e6 / (n ? n : 1), stacks, frames,
	       size / 1048576.0);
	remove_db(path);
	util_strtab_deinit(&snap.strings);
	util_arena_deinit(&snap.arena);
	return 0;
}
