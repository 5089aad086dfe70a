// SPDX-License-Identifier: Apache-2.0
// progress.c: the status line of a long 'analyze' on a terminal — which
// phase each thread is in, rewritten in place on stderr.
#include <pthread.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"

/*
 * The stages analyze, the snapshot and the store tell (util_stage_fn, the
 * names --timings prints), as a person reads them. A phrase of NULL: the
 * thread waits for the other or is done, and says nothing. A stage not
 * listed leaves the thread's phrase as it was.
 */
static const struct {
	const char *stage, *phrase;
} phrases[] = {
	{"open core", "opening the core"},
	{"open executable", "reading the executable"},
	{"keep core", "compressing the core to keep it"},
	{"goroutines", "reading goroutines"},
	{"fingerprint", "fingerprinting the core"},
	{"contexts", "reading contexts"},
	{"waits", "reading waits"},
	{"defers", "reading defers"},
	{"reach", "heap marking"},
	{"open database", "opening the database"},
	{"store goroutines", "writing goroutines"},
	{"store contexts", "writing contexts"},
	{"store waits", "writing waits"},
	{"store reach", "writing reachability"},
	{"store indexes", "writing indexes"},
	{"store summary", "writing the summary"},
	{"store commit", "committing"},
	{"wait for contexts", NULL},
	{"wait for waits", NULL},
	{"wait for writer", NULL},
	{"writer done", NULL},
	{"snapshot done", NULL},
	{"wait for checkpoint", NULL},
	{"print summary", NULL},
};

/* STAGE's phrase into *PHRASE; false if STAGE is not listed. */
static bool phrase_of(const char *stage, const char **phrase)
{
	for (size_t i = 0; i < sizeof(phrases) / sizeof(phrases[0]); i++)
		if (strcmp(phrases[i].stage, stage) == 0) {
			*phrase = phrases[i].phrase;
			return true;
		}
	return false;
}

const char *cli_thousands(char *buf, size_t len, int64_t n)
{
	char digits[32];
	int k = snprintf(digits, sizeof(digits), "%lld", (long long)n);
	size_t j = 0;
	for (int i = 0; i < k && j + 2 < len; i++) {
		if (i > 0 && digits[i - 1] != '-' && (k - i) % 3 == 0)
			buf[j++] = ',';
		buf[j++] = digits[i];
	}
	buf[j] = '\0';
	return buf;
}

static int columns(int fd)
{
	struct winsize ws;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		return ws.ws_col;
	return 80;
}

/* Rewrite the line; S->mu held. */
static void draw(struct cli_status *s)
{
	char line[256], a[32], b[32];
	if (!s->main && !s->writer)
		return; // a moment between two stages: the last line stays
	int n = snprintf(line, sizeof(line), "analyze: %s", s->main ? s->main : "");
	if (s->main && s->total && strcmp(s->main, "reading goroutines") == 0) {
		cli_thousands(a, sizeof(a), (int64_t)s->done);
		cli_thousands(b, sizeof(b), (int64_t)s->total);
		n += snprintf(line + n, sizeof(line) - (size_t)n, " %s/%s", a, b);
	}
	if (s->writer && n < (int)sizeof(line))
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%s%s", s->main ? " | " : "",
			      s->writer);
	if (n >= (int)sizeof(line))
		n = (int)sizeof(line) - 1;
	// One row, never wrapped: a wrapped line cannot be rewritten with \r.
	int width = columns(fileno(s->out)) - 1;
	if (n > width)
		n = width;
	fprintf(s->out, "\r\033[K%.*s", n, line);
	fflush(s->out);
}

void cli_status_init(struct cli_status *s, FILE *out, bool on)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	s->out = out;
	s->on = on && isatty(fileno(out));
}

void cli_status_stage(struct cli_status *s, const char *stage, bool main_thread)
{
	if (!s || !s->on)
		return;
	pthread_mutex_lock(&s->mu);
	const char *phrase;
	if (s->on && phrase_of(stage, &phrase)) {
		if (main_thread)
			s->main = phrase;
		else
			s->writer = phrase;
		draw(s);
	}
	pthread_mutex_unlock(&s->mu);
}

void cli_status_count(struct cli_status *s, size_t done, size_t total)
{
	if (!s || !s->on)
		return;
	pthread_mutex_lock(&s->mu);
	// At most ten lines a second: a terminal over ssh is slow.
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	double dt = (double)(now.tv_sec - s->last.tv_sec) +
		    (double)(now.tv_nsec - s->last.tv_nsec) / 1e9;
	s->done = done;
	s->total = total;
	if (s->on && (dt >= 0.1 || done == total)) {
		s->last = now;
		draw(s);
	}
	pthread_mutex_unlock(&s->mu);
}

void cli_status_clear(struct cli_status *s)
{
	if (!s || !s->on)
		return;
	pthread_mutex_lock(&s->mu);
	if (s->on) {
		fputs("\r\033[K", s->out);
		fflush(s->out);
	}
	pthread_mutex_unlock(&s->mu);
}

void cli_status_end(struct cli_status *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	if (s->on) {
		fputs("\r\033[K", s->out);
		fflush(s->out);
	}
	s->on = false;
	pthread_mutex_unlock(&s->mu);
}
