// SPDX-License-Identifier: Apache-2.0
/* core: an ELF core file (raw or zstd-compressed) as a faulting memory image,
 * its threads and notes, overlaid with the executable's own file-backed data. */
#ifndef GOCORONER_CORE_H
#define GOCORONER_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

struct core_file;

/** x86-64 general registers of one thread, from NT_PRSTATUS. */
struct core_regs {
	uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
	uint64_t rax, rcx, rdx, rsi, rdi, orig_rax, rip, cs, eflags, rsp, ss;
	uint64_t fs_base, gs_base, ds, es, fs, gs;
};

/** aarch64 general registers of one thread, from NT_PRSTATUS (user_pt_regs). */
struct core_regs_arm64 {
	uint64_t x[31];        /**< x0-x30; x29 is the frame pointer, x30 the link register,
				    x28 holds the current g in Go code */
	uint64_t sp, pc, pstate;
};

/** One thread of the dumped process. */
struct core_thread {
	uint32_t tid;          /**< Linux thread id (pr_pid of NT_PRSTATUS) */
	int cursig;            /**< pr_cursig: signal being delivered, 0 if none */
	struct core_regs regs;             /**< x86-64 cores; zeros on others */
	struct core_regs_arm64 regs_arm64; /**< aarch64 cores; zeros on others */
	/**
	 * The same registers, whatever the machine: program counter, stack
	 * pointer, frame pointer (rbp, x29) and link register (x30; 0 on
	 * x86-64, which has none).
	 */
	uint64_t pc, sp, fp, lr;
};

/** A file-backed mapping from the NT_FILE note. */
struct core_mapping {
	uint64_t start, end;   /**< [start, end) virtual addresses */
	uint64_t file_offset;  /**< byte offset into the file */
	const char *path;      /**< interned path as the kernel or gdb recorded it */
};

/** How the core was written. */
enum core_kind {
	CORE_KIND_UNKNOWN = 0,
	CORE_KIND_KERNEL,      /**< written by the kernel (crash, systemd-coredump) */
	CORE_KIND_GCORE,       /**< written by gdb's gcore (BFD: has section headers) */
};

/** Process facts from NT_PRPSINFO / NT_PRSTATUS / NT_AUXV. */
struct core_info {
	uint16_t machine;      /**< e_machine: EM_X86_64 or EM_AARCH64 */
	int pid;
	int signal;            /**< signal that caused the dump (first thread's cursig), 0 if none */
	const char *fname;     /**< pr_fname, up to 16 chars */
	const char *psargs;    /**< pr_psargs: command line, up to 80 chars */
	uint64_t auxv_entry;   /**< AT_ENTRY, 0 if absent */
	uint64_t auxv_phdr;    /**< AT_PHDR, 0 if absent */
	uint64_t auxv_execfn;  /**< AT_EXECFN: where the path given to execve is, 0 if absent */
	enum core_kind kind;
	bool compressed;       /**< the input was zstd-compressed */
	uint64_t file_size;    /**< bytes of the (decompressed) core */
	int64_t mtime;         /**< modification time of the file given, Unix seconds */
	/**
	 * What is wrong with a core that can still be read, else NULL: a file
	 * cut after its segments and notes, inside the section headers gdb's
	 * gcore writes last ("CORE: truncated: ... expected N bytes, has M").
	 * For the caller's diagnostics and warnings.
	 */
	const char *problem;
};

/**
 * Open a core. PATH may be a raw ELF core or a single zstd frame (or several
 * concatenated, as systemd-coredump writes) of one, detected by magic, not by
 * name. Memory held: a raw core stays on disk and is read with pread, through
 * a bounded page cache (16 MiB) for core_read and straight from the file for
 * core_read_once; it is also mapped, but the mapping is read only when the
 * cache could not be had or a pread fails. A
 * compressed one is decompressed once, keeping only pages that are not all
 * zero, so memory follows the non-zero content. Errors name PATH and the
 * problem (not ELF, not a core, truncated, unsupported machine...).
 */
struct util_error *core_open(const char *path, struct core_file **ret);
/** Free everything; accepts NULL. */
void core_destroy(struct core_file *core);

/** The path given to core_open. */
const char *core_path(const struct core_file *core);
const struct core_info *core_info(const struct core_file *core);
/**
 * The core's identity: a content fingerprint in lowercase hex, the SHA-256 of
 * this stream over the (decompressed) core image: its size in bytes (8 bytes,
 * little-endian), then for every 4 KiB page (file offset a multiple of 4096;
 * the last page may be short) that is not all zeros, its offset (8 bytes LE)
 * followed by its bytes. Zero pages add nothing. So a raw core and its .zst
 * copy, written sparse or dense, have one identity (one incident, not two),
 * and the cost follows the non-zero content, not the apparent size. It is not
 * the sha256sum of any file. Computed during decompression for .zst; for a
 * raw core, by a thread core_open starts (so it overlaps the caller's work;
 * this call waits for it, core_destroy stops it), reading only the data
 * extents (SEEK_DATA/SEEK_HOLE) with pread. NULL if the raw file could not be
 * read or has changed size since core_open; a later call tries again.
 */
const char *core_sha256(struct core_file *core);

/**
 * The first read of a raw core's file that failed since core_open (the
 * system said EIO, say), by the page cache or the fingerprint, as "PATH:
 * read error at offset OFF: ERROR"; NULL if none did. The bytes a failed
 * read should have given were taken as zeros: what was read from the core
 * since then is not to be trusted, nor stored.
 */
struct util_error *core_read_error(const struct core_file *core);

/**
 * The core as one zstd stream, to keep it (core/keep.c): when the file given
 * to core_open was zstd-compressed, its bytes as they are, read again from
 * the path (UTIL_ERROR_BAD_DATA if the file has changed since: another size
 * or modification time); else the raw core compressed at zstd LEVEL, with
 * its size in the frame header, read with pread extent by extent (holes are
 * compressed as zeros without being read). *RET is malloc'ed, *LEN_RET its
 * bytes.
 */
struct util_error *core_zstd_image(struct core_file *core, int level, void **ret,
				   size_t *len_ret);

size_t core_num_threads(const struct core_file *core);
const struct core_thread *core_thread(const struct core_file *core, size_t i);

size_t core_num_mappings(const struct core_file *core);
const struct core_mapping *core_mapping(const struct core_file *core, size_t i);
/**
 * The executable's path as the core records it: the NT_FILE mapping that
 * contains AT_ENTRY (or AT_PHDR), else the first mapping at file offset 0,
 * else (no NT_FILE, as in qemu-user's cores) the path given to execve, read
 * at AT_EXECFN, else NULL.
 */
const char *core_exe_path(const struct core_file *core);

/**
 * Check that EXE_PATH is the executable the core was made from and overlay its
 * PT_LOAD file contents for addresses the core does not hold (kernel cores omit
 * file-backed read-only pages). The check compares build ids (Go's
 * .note.go.buildid and the GNU build-id, whichever both sides have) with the
 * copy of the executable's first page in the core; with no id to compare, the
 * ELF header bytes there. When the core lacks that page, each file-backed
 * PT_LOAD must appear in NT_FILE at the same page and file offset, and the
 * mapped file's name must equal EXE_PATH's; with no NT_FILE either, the
 * executable is accepted unchecked. UTIL_ERROR_MISMATCH ("CORE was not
 * produced by EXE: build id X in core, Y in executable") unless FORCE.
 * The executable is mapped, not read. A new call replaces the previous
 * attachment; after a failure there is no overlay.
 */
struct util_error *core_attach_exe(struct core_file *core, const char *exe_path, bool force);

/**
 * Build id found in the core for the executable: the Go build id, else the GNU
 * build id in hex, else "" (nothing could be checked by id). Valid after
 * core_attach_exe.
 */
const char *core_exe_build_id(const struct core_file *core);

/**
 * Where the attached executable was loaded, as load address minus link
 * address: 0 for a fixed-address executable (ET_EXEC); for a
 * position-independent one (ET_DYN, -buildmode=pie) AT_ENTRY of the core's
 * auxiliary vector minus the ELF entry point, else the start of the
 * executable's first mapping in NT_FILE minus the link address of its first
 * page. Give it to dw_binary_set_bias. 0 before core_attach_exe.
 */
uint64_t core_exe_bias(const struct core_file *core);

/**
 * Read LEN bytes at virtual address ADDR. Memory outside every segment, or
 * between p_filesz and p_memsz of a segment not covered by the executable
 * overlay, is a UTIL_ERROR_FAULT carrying the first missing address; it is
 * never read as zeros. Reads may span segments. Reads update per-core caches,
 * so one core must not be read from two threads at once.
 */
struct util_error *core_read(struct core_file *core, uint64_t addr, void *buf, size_t len);
struct util_error *core_read_u64(struct core_file *core, uint64_t addr, uint64_t *ret);
struct util_error *core_read_u32(struct core_file *core, uint64_t addr, uint32_t *ret);
struct util_error *core_read_u8(struct core_file *core, uint64_t addr, uint8_t *ret);
/**
 * Like core_read, for bytes read once and kept by the caller (a goroutine's
 * live stack): from a raw core they are read from the file straight into BUF,
 * bypassing the page cache core_read keeps (core/internal.h), so they do not
 * push out the pages other reads keep coming back to.
 */
struct util_error *core_read_once(struct core_file *core, uint64_t addr, void *buf, size_t len);
/** One range of a core_read_batch. */
struct core_batch_read {
	uint64_t addr;
	size_t len;
	void *buf;  /**< where its LEN bytes go */
	bool ok;    /**< set by core_read_batch: true if BUF holds them */
};
/**
 * Like core_read_once for each of N ranges, in one go: from a raw core,
 * the ranges lying wholly in one segment's file bytes are read in file
 * order, and those less than a page apart with one pread through SCRATCH
 * (SCRATCH_LEN bytes; bigger ranges are read straight into their BUF), so
 * a few thousand small reads (goroutine structs, live stacks) cost a few
 * hundred system calls. A range it does not read (ok false: not all in one
 * segment's file bytes, a compressed core, no memory) is left for the
 * caller to read as usual, which also gives the fault it should report.
 */
void core_read_batch(struct core_file *core, struct core_batch_read *reads, size_t n,
		     void *scratch, size_t scratch_len);
/**
 * Until core_unpin, serve the reads that fall wholly within [ADDR, ADDR+LEN)
 * from BYTES, the caller's copy of that memory (e.g. from core_read_once),
 * which must stay valid that long. One range at a time; a new pin replaces
 * the old.
 */
void core_pin(struct core_file *core, uint64_t addr, size_t len, const void *bytes);
void core_unpin(struct core_file *core);
/**
 * Drop the pages of a raw core's mapping from this process's resident memory
 * once the file-backed pages it has mapped pass a budget (64 MiB); they are
 * read again from the file when needed. Memory is read through a bounded page
 * cache, not the mapping, unless the cache could not be had (or a read of
 * the file failed), so this mostly has nothing to do and returns at once.
 * Call it freely between the stages of a long walk (e.g. every few thousand
 * goroutines): otherwise, under budget, it only reads /proc/self/statm.
 * Pointers into the core are not handed out, so nothing is invalidated. No
 * effect on compressed cores.
 */
void core_release_pages(struct core_file *core);

/**
 * Give the page cache's memory (16 MiB once a big raw core has been read;
 * 4 MiB of a compressed core's pages made whole) back to the system, for a
 * caller done with reading the core for a while; the cache fills again if
 * reads follow. Windows into it are forgotten. No effect without a cache.
 */
void core_drop_page_cache(struct core_file *core);

/** True if every byte of [addr, addr+len) is readable. */
bool core_readable(struct core_file *core, uint64_t addr, size_t len);

/* ---- Capture of a live process (core/capture.c, core/writecore.c) ---- */

/** A live process's threads and memory, copied while it was stopped. */
struct core_capture;

/** What a capture did, for the caller to report. */
struct core_capture_stats {
	size_t nthreads;        /**< threads stopped and recorded */
	size_t nmaps;           /**< mappings of /proc/PID/maps, one PT_LOAD each */
	size_t ndumped;         /**< of them, with contents in the core */
	uint64_t bytes_copied;  /**< bytes read from the process */
	uint64_t pages_untouched; /**< anonymous pages never touched: not read, zeros */
	uint64_t pages_unreadable; /**< pages the process could not give: zeros */
	uint64_t stop_ns;       /**< from the first thread stopped to the last resumed */
	uint64_t seize_ns;      /**< of it, stopping every thread */
	uint64_t copy_ns;       /**< of it, reading the memory (process_vm_readv) */
	uint64_t core_size;     /**< bytes of the ELF core (decompressed), after write */
	uint64_t file_size;     /**< bytes of the .zst file, after write */
};

/**
 * Stop process PID (PTRACE_SEIZE and PTRACE_INTERRUPT of every thread,
 * until /proc/PID/task shows no new one), record each thread's registers,
 * the process's auxv, command line and mappings, copy the memory a core
 * holds (see core_capture_write) with process_vm_readv, and resume it
 * (PTRACE_DETACH, pending signals given back) before returning: the stop
 * lasts the copy only. Errors: no such process, PID is a thread not a
 * process, ptrace not permitted (UTIL_ERROR_OS with EPERM, saying why it may
 * be), the process exited during the capture (threads detached).
 */
struct util_error *core_capture_create(int pid, struct core_capture **ret);
const struct core_capture_stats *core_capture_stats(const struct core_capture *cap);
/**
 * Write the capture to PATH as a zstd-compressed (LEVEL) ELF core, through
 * PATH.tmp renamed at the end (removed on failure): a PT_NOTE (NT_PRPSINFO;
 * per thread, the main thread first, NT_PRSTATUS, NT_FPREGSET and
 * NT_X86_XSTATE; NT_AUXV; NT_FILE) and one PT_LOAD per mapping, with its
 * permissions. Like the kernel's: writable and anonymous mappings are
 * dumped whole (pages never touched and unreadable ones as zeros), private
 * file mappings with copied-on-write pages too, the first page of a file
 * mapped at offset 0 (the ELF header, for build ids), and nothing of other
 * file-backed mappings (p_filesz 0: readers take them from the files) nor
 * of mappings without read permission. Section headers make it read as a
 * gcore ('gcore' kind): a snapshot of a live process, not a crash.
 */
struct util_error *core_capture_write(struct core_capture *cap, const char *path, int level);
/** Free everything; accepts NULL. */
void core_capture_destroy(struct core_capture *cap);

#endif
