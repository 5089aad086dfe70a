// SPDX-License-Identifier: Apache-2.0
/* capture.h: private to core/ — what core/capture.c copies out of a stopped
 * live process and core/writecore.c writes as an ELF core. */
#ifndef GOCORONER_CORE_CAPTURE_H
#define GOCORONER_CORE_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/procfs.h>
#include <sys/user.h>

#include "core/core.h"

/** One thread as it was stopped. */
struct cap_thread {
	int tid;
	bool stopped;                    /**< waited for: its registers are valid */
	int pending_sig;                 /**< signal of a signal-delivery stop, given back at detach */
	struct user_regs_struct regs;    /**< PTRACE_GETREGS: also fs_base, gs_base */
	struct user_fpregs_struct fpregs;
	bool have_fpregs;
	uint8_t *xstate;                 /**< NT_X86_XSTATE bytes (malloc'ed), or NULL */
	size_t xstate_len;
};

/** A range of a mapping read from the process: LEN bytes at ADDR, in DATA. */
struct cap_run {
	uint64_t addr;
	size_t len;
	uint8_t *data;                   /**< into the capture's copy buffer */
};

/** One line of /proc/PID/maps and what of it goes into the core. */
struct cap_map {
	uint64_t start, end;             /**< [start, end) */
	uint64_t offset;                 /**< file offset */
	bool r, w, x, shared;
	char *path;                      /**< "" for an anonymous mapping, "[heap]"... */
	/** Bytes of the PT_LOAD's file image, from start: end - start when the
	 * mapping is dumped, a page for an ELF header page, else 0. Pages not
	 * in a run are zeros (never touched, or unreadable). */
	uint64_t dump_len;
	size_t first_run, nruns;         /**< its runs in the capture's run array */
};

struct core_capture {
	int pid;
	struct cap_thread *threads;      /**< the main thread first */
	size_t nthreads, cap_threads;
	struct cap_map *maps;
	size_t nmaps, cap_maps;
	struct cap_run *runs;
	size_t nruns, cap_runs;
	uint8_t *buf;                    /**< the copied bytes (anonymous mapping) */
	size_t buf_len;
	uint8_t *auxv;                   /**< /proc/PID/auxv */
	size_t auxv_len;
	struct elf_prpsinfo psinfo;      /**< filled but for nothing per thread */
	int ppid, pgrp, sid;
	struct core_capture_stats stats;
};

#endif
