// SPDX-License-Identifier: Apache-2.0
// capture.c: stop a live process with ptrace, copy its threads' registers and
// the memory a core holds, and resume it — the stop lasts the copy only.
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include "core/capture.h"
#include "core/internal.h"

enum {
	PAGE = 4096,
	/** Largest XSAVE area read (AMX makes it 11 KiB). */
	XSTATE_MAX = 16384,
	/** Most remote ranges one process_vm_readv takes (IOV_MAX). */
	IOV_BATCH = 1024,
	/** Rounds of /proc/PID/task scans before giving up on a process that
	 * keeps making threads. */
	MAX_SCANS = 100,
};

/* pagemap entry bits (Documentation/admin-guide/mm/pagemap.rst). */
#define PM_PRESENT (1ull << 63)
#define PM_SWAPPED (1ull << 62)
#define PM_FILE (1ull << 61)
#define PM_PFN ((1ull << 55) - 1)

/*
 * The page frame of the kernel's shared zero page, which an untouched
 * anonymous page is mapped to once something has read it (a debugger, an
 * earlier capture): found by reading a fresh page of our own. 0 when
 * pagemap hides frame numbers (without CAP_SYS_ADMIN): such pages are then
 * read like any other.
 */
static uint64_t zero_pfn(void)
{
	volatile uint8_t *p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 0;
	(void)p[0];
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (pread(fd, &e, sizeof(e), (off_t)((uintptr_t)p / PAGE * 8)) != sizeof(e))
			e = 0;
		close(fd);
	}
	munmap((void *)p, PAGE);
	return (e & PM_PRESENT) ? e & PM_PFN : 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The whole of a /proc file (they have no size) into *RET (NUL-terminated). */
static struct util_error *read_proc(int pid, const char *name, char **ret, size_t *len_ret)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return util_error_os(errno, path, "open");
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	while (buf) {
		if (cap - len < 2) {
			char *b = realloc(buf, cap * 2);
			if (!b)
				break;
			buf = b;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			free(buf);
			close(fd);
			return util_error_os(e, path, "read");
		}
		if (n == 0) {
			buf[len] = '\0';
			close(fd);
			*ret = buf;
			if (len_ret)
				*len_ret = len;
			return NULL;
		}
		len += (size_t)n;
	}
	free(buf);
	close(fd);
	return &util_enomem;
}

static struct util_error *no_process(int pid)
{
	return util_error_create(UTIL_ERROR_NOT_FOUND, "no process %d", pid);
}

static struct util_error *exited(int pid)
{
	return util_error_create(UTIL_ERROR_STOP,
				 "process %d exited during the capture: no core written", pid);
}

static struct util_error *permission(int pid, int errnum)
{
	return util_error_create(
		UTIL_ERROR_OS,
		"process %d: cannot stop it with ptrace: %s (capture needs root, or the"
		" process's user with kernel.yama.ptrace_scope 0 or 1 and no debugger"
		" attached; in a container, the SYS_PTRACE capability)",
		pid, strerror(errnum));
}

static struct cap_thread *find_thread(struct core_capture *cap, int tid)
{
	for (size_t i = 0; i < cap->nthreads; i++)
		if (cap->threads[i].tid == tid)
			return &cap->threads[i];
	return NULL;
}

/* True if thread TID of PID is gone or exiting (a zombie, or dead). */
static bool dying(int pid, int tid)
{
	char path[64], *stat;
	snprintf(path, sizeof(path), "task/%d/stat", tid);
	struct util_error *err = read_proc(pid, path, &stat, NULL);
	if (err) {
		util_error_destroy(err);
		return true;
	}
	const char *p = strrchr(stat, ')');
	bool gone = p && p[1] == ' ' && strchr("ZXx", p[2]);
	free(stat);
	return gone;
}

/* Seize and interrupt TID, a thread not seen before. *GONE_RET: it exited first. */
static struct util_error *seize(struct core_capture *cap, int tid, bool *gone_ret)
{
	*gone_ret = false;
	if (ptrace(PTRACE_SEIZE, tid, 0, 0) < 0) {
		// An exiting thread refuses with EPERM.
		int e = errno;
		if (e == ESRCH || dying(cap->pid, tid)) {
			*gone_ret = true;
			return NULL;
		}
		return permission(cap->pid, e);
	}
	if (cap->nthreads == cap->cap_threads) {
		size_t n = cap->cap_threads ? 2 * cap->cap_threads : 16;
		struct cap_thread *v = realloc(cap->threads, n * sizeof(*v));
		if (!v) {
			ptrace(PTRACE_DETACH, tid, 0, 0);
			return &util_enomem;
		}
		cap->threads = v;
		cap->cap_threads = n;
	}
	cap->threads[cap->nthreads++] = (struct cap_thread){.tid = tid};
	if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0 && errno != ESRCH)
		return util_error_os(errno, "ptrace", "PTRACE_INTERRUPT");
	return NULL;
}

/* Wait for seized thread T to stop; a thread that exits meanwhile is dropped
 * (T->tid set to 0). */
static struct util_error *wait_stop(struct core_capture *cap, struct cap_thread *t)
{
	for (;;) {
		int status;
		pid_t r = waitpid(t->tid, &status, __WALL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			if (errno == ECHILD) { // gone before it could stop
				t->tid = 0;
				return NULL;
			}
			return util_error_os(errno, "waitpid", "thread stop");
		}
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			if (t->tid == cap->pid)
				return exited(cap->pid);
			t->tid = 0;
			return NULL;
		}
		if (!WIFSTOPPED(status))
			continue;
		int event = status >> 16;
		if (event == PTRACE_EVENT_STOP) {
			t->stopped = true;
			return NULL;
		}
		if (event == 0) {
			// A signal-delivery stop (Go's SIGURG, say): stopped before the
			// signal was delivered; it is given back at the detach.
			t->pending_sig = WSTOPSIG(status);
		}
		t->stopped = true;
		return NULL;
	}
}

/* Seize every thread, rescanning /proc/PID/task until no new one appears. */
static struct util_error *stop_all(struct core_capture *cap)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", cap->pid);
	for (int scan = 0; scan < MAX_SCANS; scan++) {
		DIR *d = opendir(path);
		if (!d)
			return errno == ENOENT ? (cap->nthreads ? exited(cap->pid) : no_process(cap->pid))
					       : util_error_os(errno, path, "opendir");
		size_t before = cap->nthreads;
		struct util_error *err = NULL;
		struct dirent *e;
		// The main thread first, as the kernel writes it.
		if (scan == 0) {
			bool gone;
			err = seize(cap, cap->pid, &gone);
			if (!err && gone) // it was there a moment ago
				err = exited(cap->pid);
		}
		while (!err && (e = readdir(d))) {
			int tid = atoi(e->d_name);
			if (tid <= 0 || find_thread(cap, tid))
				continue;
			bool gone;
			err = seize(cap, tid, &gone);
		}
		closedir(d);
		for (size_t i = before; i < cap->nthreads && !err; i++)
			err = wait_stop(cap, &cap->threads[i]);
		if (err)
			return err;
		if (cap->nthreads == before)
			return NULL;
	}
	return util_error_create(UTIL_ERROR_BUDGET,
				 "process %d: still making new threads after %d scans of %s",
				 cap->pid, MAX_SCANS, path);
}

/* Resume every stopped thread, giving back the signals their stops held. */
static void resume_all(struct core_capture *cap)
{
	for (size_t i = 0; i < cap->nthreads; i++) {
		struct cap_thread *t = &cap->threads[i];
		if (t->tid)
			ptrace(PTRACE_DETACH, t->tid, 0, (void *)(uintptr_t)t->pending_sig);
	}
}

static struct util_error *read_regs(struct core_capture *cap)
{
	size_t n = 0;
	for (size_t i = 0; i < cap->nthreads; i++) {
		struct cap_thread *t = &cap->threads[i];
		if (!t->tid)
			continue;
		if (ptrace(PTRACE_GETREGS, t->tid, 0, &t->regs) < 0) {
			if (errno == ESRCH) {
				if (t->tid == cap->pid)
					return exited(cap->pid);
				t->tid = 0;
				continue;
			}
			return util_error_os(errno, "ptrace", "PTRACE_GETREGS");
		}
		t->have_fpregs = ptrace(PTRACE_GETFPREGS, t->tid, 0, &t->fpregs) == 0;
		uint8_t *x = malloc(XSTATE_MAX);
		if (x) {
			struct iovec iov = {x, XSTATE_MAX};
			if (ptrace(PTRACE_GETREGSET, t->tid, (void *)NT_X86_XSTATE, &iov) == 0 &&
			    iov.iov_len) {
				t->xstate = x;
				t->xstate_len = iov.iov_len;
			} else {
				free(x);
			}
		}
		cap->threads[n++] = *t;
	}
	cap->nthreads = n; // the exited ones dropped, the order kept
	return NULL;
}

/* One line of /proc/PID/maps into M; false if it is not one. */
static bool parse_map(char *line, struct cap_map *m)
{
	unsigned long long start, end, off;
	char perms[8];
	int pathpos = 0;
	if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &start, &end, perms, &off, &pathpos) < 4 ||
	    strlen(perms) < 4 || start >= end)
		return false;
	*m = (struct cap_map){.start = start, .end = end, .offset = off};
	m->r = perms[0] == 'r';
	m->w = perms[1] == 'w';
	m->x = perms[2] == 'x';
	m->shared = perms[3] == 's';
	const char *p = pathpos ? line + pathpos : "";
	m->path = strdup(p);
	return m->path != NULL;
}

static bool is_file(const struct cap_map *m)
{
	return m->path[0] == '/';
}

static struct util_error *read_maps(struct core_capture *cap)
{
	char *text;
	struct util_error *err = read_proc(cap->pid, "maps", &text, NULL);
	if (err)
		return util_error_is(err, UTIL_ERROR_OS) && err->errnum == ENOENT
			       ? (util_error_destroy(err), exited(cap->pid))
			       : err;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		struct cap_map m;
		if (!parse_map(line, &m))
			continue;
		if (strcmp(m.path, "[vsyscall]") == 0) { // not a mapping of the process's own
			free(m.path);
			continue;
		}
		if (util_grow((void **)&cap->maps, cap->nmaps, &cap->cap_maps, sizeof(*cap->maps), 64)) {
			free(m.path);
			free(text);
			return &util_enomem;
		}
		cap->maps[cap->nmaps++] = m;
	}
	free(text);
	return NULL;
}

/* Add [ADDR, ADDR+LEN) to the ranges of mapping M, joined to its last one if they touch. */
static struct util_error *add_run(struct core_capture *cap, const struct cap_map *m,
				  uint64_t addr, size_t len)
{
	if (cap->nruns > m->first_run && cap->runs[cap->nruns - 1].addr + cap->runs[cap->nruns - 1].len == addr) {
		cap->runs[cap->nruns - 1].len += len;
		return NULL;
	}
	if (util_grow((void **)&cap->runs, cap->nruns, &cap->cap_runs, sizeof(*cap->runs), 256))
		return &util_enomem;
	cap->runs[cap->nruns++] = (struct cap_run){addr, len, NULL};
	return NULL;
}

/*
 * Decide what of each mapping goes into the core (the kernel's rules, see
 * core_capture_write) and list the ranges to read: of an anonymous
 * mapping, only the pages pagemap says were touched (present or swapped,
 * and not the shared zero page).
 */
static struct util_error *plan(struct core_capture *cap)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/pagemap", cap->pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? exited(cap->pid) : util_error_os(errno, path, "open");
	struct util_error *err = NULL;
	uint64_t *pm = NULL;
	size_t pm_cap = 0;
	uint64_t zpfn = zero_pfn();
	for (size_t i = 0; i < cap->nmaps && !err; i++) {
		struct cap_map *m = &cap->maps[i];
		m->first_run = cap->nruns;
		bool special = m->path[0] == '[' && strcmp(m->path, "[heap]") != 0 &&
			       strcmp(m->path, "[vdso]") != 0 && strncmp(m->path, "[stack", 6) != 0 &&
			       strncmp(m->path, "[anon", 5) != 0;
		if (!m->r || special) // [vvar]: not readable memory; no read permission
			continue;
		size_t npages = (m->end - m->start) / PAGE;
		bool anon = !is_file(m);
		bool need_pm = anon || !m->w;
		if (need_pm) {
			if (npages > pm_cap) {
				uint64_t *v = realloc(pm, npages * sizeof(*v));
				if (!v) {
					err = &util_enomem;
					break;
				}
				pm = v;
				pm_cap = npages;
			}
			ssize_t want = (ssize_t)(npages * sizeof(*pm));
			ssize_t got = pread(fd, pm, (size_t)want, (off_t)(m->start / PAGE * 8));
			if (got != want) {
				err = got < 0 && errno != ESRCH ? util_error_os(errno, path, "read")
								: exited(cap->pid);
				break;
			}
		}
		if (is_file(m) && !m->w && !m->shared) {
			// Read-only file mapping: whole if written to (copy-on-write
			// pages, such as relocations), else its ELF header page.
			bool cow = false;
			for (size_t p = 0; p < npages && !cow; p++)
				cow = (pm[p] & PM_PRESENT) && !(pm[p] & PM_FILE);
			if (!cow) {
				if (m->offset == 0) {
					m->dump_len = PAGE;
					err = add_run(cap, m, m->start, PAGE);
				}
				m->nruns = cap->nruns - m->first_run;
				continue;
			}
		} else if (is_file(m) && m->shared) {
			continue; // the file holds it
		}
		m->dump_len = m->end - m->start;
		if (!anon) { // every page: untouched ones hold the file's bytes
			err = add_run(cap, m, m->start, m->end - m->start);
		} else {
			for (size_t p = 0; p < npages && !err; p++) {
				bool zero = zpfn && (pm[p] & PM_PRESENT) && (pm[p] & PM_PFN) == zpfn;
				if ((pm[p] & (PM_PRESENT | PM_SWAPPED)) && !zero)
					err = add_run(cap, m, m->start + p * PAGE, PAGE);
				else
					cap->stats.pages_untouched++;
			}
		}
		m->nruns = cap->nruns - m->first_run;
	}
	free(pm);
	close(fd);
	return err;
}

/* Read what is left of run R from OFF page by page: what cannot be read stays zero. */
static struct util_error *read_pages(struct core_capture *cap, struct cap_run *r, size_t off)
{
	for (; off < r->len; off += PAGE) {
		struct iovec local = {r->data + off, PAGE}, remote = {(void *)(uintptr_t)(r->addr + off), PAGE};
		ssize_t n = process_vm_readv(cap->pid, &local, 1, &remote, 1, 0);
		if (n < 0 && errno == ESRCH)
			return exited(cap->pid);
		if (n == PAGE)
			cap->stats.bytes_copied += PAGE;
		else
			cap->stats.pages_unreadable++;
	}
	return NULL;
}

/* Forget the mappings and ranges planned (before the stop, plan again). */
static void forget_plan(struct core_capture *cap)
{
	for (size_t i = 0; i < cap->nmaps; i++)
		free(cap->maps[i].path);
	cap->nmaps = 0;
	cap->nruns = 0;
	cap->stats.pages_untouched = 0;
}

/*
 * Before the stop, the buffer the copy goes to: as big as what a plan of
 * the running process would copy, plus a margin for its growth, and
 * written to once a page. A fresh page's first write is a fault, and
 * faults are slow on virtual machines: 400 MiB copied into an untouched
 * buffer took 1.2-2.4 s there, into a touched one 0.25-0.3 s. The process
 * runs on while this is done.
 */
static struct util_error *prepare(struct core_capture *cap)
{
	struct util_error *err = read_maps(cap);
	if (!err)
		err = plan(cap);
	if (err) {
		forget_plan(cap);
		return err;
	}
	uint64_t total = 0;
	for (size_t i = 0; i < cap->nruns; i++)
		total += cap->runs[i].len;
	forget_plan(cap);
	uint64_t want = total + total / 4 + ((uint64_t)32 << 20);
	cap->buf = util_map_anon((size_t)want, true);
	if (!cap->buf)
		return NULL; // the copy will ask again
	cap->buf_len = (size_t)want;
	for (size_t off = 0; off < cap->buf_len; off += PAGE)
		((volatile uint8_t *)cap->buf)[off] = 0;
	return NULL;
}

/* Copy every run into one buffer, IOV_BATCH ranges a system call. */
static struct util_error *copy(struct core_capture *cap)
{
	size_t total = 0;
	for (size_t i = 0; i < cap->nruns; i++)
		total += cap->runs[i].len;
	if (!total)
		return NULL;
	if (total > cap->buf_len) { // grew past the estimate: pay the faults now
		if (cap->buf)
			munmap(cap->buf, cap->buf_len);
		cap->buf_len = 0;
		cap->buf = util_map_anon(total, true);
		if (!cap->buf)
			return &util_enomem;
		cap->buf_len = total;
	}
	uint8_t *p = cap->buf;
	for (size_t i = 0; i < cap->nruns; i++) {
		cap->runs[i].data = p;
		p += cap->runs[i].len;
	}
	struct iovec remote[IOV_BATCH];
	size_t i = 0;
	while (i < cap->nruns) {
		size_t n = 0, bytes = 0;
		while (n < IOV_BATCH && i + n < cap->nruns) {
			struct cap_run *r = &cap->runs[i + n];
			remote[n] = (struct iovec){(void *)(uintptr_t)r->addr, r->len};
			bytes += r->len;
			n++;
		}
		struct iovec local = {cap->runs[i].data, bytes};
		ssize_t got = process_vm_readv(cap->pid, &local, 1, remote, n, 0);
		if (got < 0 && errno == ESRCH)
			return exited(cap->pid);
		if (got < 0 && errno == EPERM)
			return permission(cap->pid, errno);
		size_t done = got > 0 ? (size_t)got : 0;
		cap->stats.bytes_copied += done;
		if (done == bytes) {
			i += n;
			continue;
		}
		// A short read stops at the range that failed: that one page by page.
		while (done >= cap->runs[i].len) {
			done -= cap->runs[i].len;
			i++;
		}
		struct util_error *err = read_pages(cap, &cap->runs[i], done / PAGE * PAGE);
		if (err)
			return err;
		cap->stats.bytes_copied -= done % PAGE; // counted again whole
		i++;
	}
	return NULL;
}

/* NT_PRPSINFO and the ids every NT_PRSTATUS repeats, from /proc/PID/{stat,status,cmdline,comm}. */
static struct util_error *read_process(struct core_capture *cap)
{
	struct elf_prpsinfo *ps = &cap->psinfo;
	char *stat = NULL, *status = NULL, *cmdline = NULL;
	size_t cmdlen = 0;
	struct util_error *err = read_proc(cap->pid, "stat", &stat, NULL);
	if (!err)
		err = read_proc(cap->pid, "status", &status, NULL);
	if (!err)
		err = read_proc(cap->pid, "cmdline", &cmdline, &cmdlen);
	if (!err)
		err = read_proc(cap->pid, "auxv", (char **)&cap->auxv, &cap->auxv_len);
	if (err) {
		bool gone = util_error_is(err, UTIL_ERROR_OS) && err->errnum == ENOENT;
		free(stat);
		free(status);
		free(cmdline);
		if (gone) {
			util_error_destroy(err);
			return exited(cap->pid);
		}
		return err;
	}
	// "pid (comm) S ppid pgrp sid ...": comm may hold spaces and parens.
	char *close_paren = strrchr(stat, ')'), *open_paren = strchr(stat, '(');
	char state = 'R';
	if (close_paren && open_paren && close_paren > open_paren) {
		size_t n = (size_t)(close_paren - open_paren - 1);
		memcpy(ps->pr_fname, open_paren + 1, n < sizeof(ps->pr_fname) ? n : sizeof(ps->pr_fname) - 1);
		sscanf(close_paren + 1, " %c %d %d %d", &state, &cap->ppid, &cap->pgrp, &cap->sid);
	}
	ps->pr_state = (char)(strchr("RSDTZW", state) ? strchr("RSDTZW", state) - "RSDTZW" : 0);
	ps->pr_sname = state;
	ps->pr_pid = cap->pid;
	ps->pr_ppid = cap->ppid;
	ps->pr_pgrp = cap->pgrp;
	ps->pr_sid = cap->sid;
	const char *u = strstr(status, "\nUid:"), *g = strstr(status, "\nGid:");
	unsigned uid = 0, gid = 0;
	if (u)
		sscanf(u + 5, "%u", &uid);
	if (g)
		sscanf(g + 5, "%u", &gid);
	ps->pr_uid = uid;
	ps->pr_gid = gid;
	size_t n = cmdlen < sizeof(ps->pr_psargs) ? cmdlen : sizeof(ps->pr_psargs) - 1;
	for (size_t i = 0; i < n; i++)
		ps->pr_psargs[i] = cmdline[i] ? cmdline[i] : ' ';
	while (n && ps->pr_psargs[n - 1] == ' ')
		ps->pr_psargs[--n] = '\0';
	free(stat);
	free(status);
	free(cmdline);
	return NULL;
}

/* PID must be a process (a thread group's leader), not one of its threads. */
static struct util_error *check_process(int pid)
{
	char *status;
	struct util_error *err = read_proc(pid, "status", &status, NULL);
	if (err) {
		if (util_error_is(err, UTIL_ERROR_OS) && (err->errnum == ENOENT || err->errnum == ESRCH)) {
			util_error_destroy(err);
			return no_process(pid);
		}
		return err;
	}
	const char *t = strstr(status, "\nTgid:");
	int tgid = t ? atoi(t + 6) : pid;
	free(status);
	if (tgid != pid)
		return util_error_create(UTIL_ERROR_INVALID,
					 "%d is a thread of process %d, not a process: capture %d",
					 pid, tgid, tgid);
	if (pid == getpid())
		return util_error_create(UTIL_ERROR_INVALID, "%d is gocoroner itself", pid);
	return NULL;
}

struct util_error *core_capture_create(int pid, struct core_capture **ret)
{
	if (pid <= 0)
		return util_error_create(UTIL_ERROR_INVALID, "bad process id %d", pid);
	struct util_error *err = check_process(pid);
	if (err)
		return err;
	struct core_capture *cap = calloc(1, sizeof(*cap));
	if (!cap)
		return &util_enomem;
	cap->pid = pid;
	err = prepare(cap);
	if (err) {
		core_capture_destroy(cap);
		return err;
	}
	uint64_t t0 = now_ns();
	err = stop_all(cap);
	cap->stats.seize_ns = now_ns() - t0;
	if (!err)
		err = read_regs(cap);
	if (!err)
		err = read_process(cap);
	if (!err)
		err = read_maps(cap);
	if (!err)
		err = plan(cap);
	uint64_t t1 = now_ns();
	if (!err)
		err = copy(cap);
	cap->stats.copy_ns = now_ns() - t1;
	resume_all(cap);
	cap->stats.stop_ns = now_ns() - t0;
	if (err) {
		core_capture_destroy(cap);
		return err;
	}
	cap->stats.nthreads = cap->nthreads;
	cap->stats.nmaps = cap->nmaps;
	for (size_t i = 0; i < cap->nmaps; i++)
		cap->stats.ndumped += cap->maps[i].dump_len != 0;
	*ret = cap;
	return NULL;
}

const struct core_capture_stats *core_capture_stats(const struct core_capture *cap)
{
	return &cap->stats;
}

void core_capture_destroy(struct core_capture *cap)
{
	if (!cap)
		return;
	for (size_t i = 0; i < cap->nthreads; i++)
		free(cap->threads[i].xstate);
	free(cap->threads);
	for (size_t i = 0; i < cap->nmaps; i++)
		free(cap->maps[i].path);
	free(cap->maps);
	free(cap->runs);
	if (cap->buf)
		munmap(cap->buf, cap->buf_len);
	free(cap->auxv);
	free(cap);
}
