// SPDX-License-Identifier: Apache-2.0
/* util: the pieces every gocoroner module shares — one error type, a per-core
 * arena, interned strings and a u64 hash map. */
#ifndef GOCORONER_UTIL_H
#define GOCORONER_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Errors ----------------------------------------------------------- */

/** What went wrong, so callers can catch an expected case without matching text. */
enum util_error_code {
	UTIL_ERROR_NOMEM = 1,   /**< out of memory (static error, never allocated) */
	UTIL_ERROR_OS,          /**< an OS call failed; errnum holds errno */
	UTIL_ERROR_FAULT,       /**< memory the core does not hold; address is set */
	UTIL_ERROR_NOT_FOUND,   /**< a name (type, member, symbol, row) does not exist */
	UTIL_ERROR_BAD_DATA,    /**< input is corrupt, truncated or not what it claims */
	UTIL_ERROR_UNSUPPORTED, /**< valid input we cannot handle (arch, format) */
	UTIL_ERROR_MISMATCH,    /**< core and executable do not belong together */
	UTIL_ERROR_INVALID,     /**< bad argument from the caller or user */
	UTIL_ERROR_LIB,         /**< libelf, libdw, zstd or SQLite failed */
	UTIL_ERROR_STOP,        /**< an iteration was stopped on purpose */
	UTIL_ERROR_BUDGET,      /**< a piece of work ran past its budget and was stopped */
};

/**
 * The one error type. Functions that can fail return a pointer to it (NULL
 * means success) and give results through out-parameters placed last; an
 * out-parameter is not touched on failure.
 */
struct util_error {
	enum util_error_code code;
	int errnum;        /**< errno for UTIL_ERROR_OS, else 0 */
	uint64_t address;  /**< faulting address for UTIL_ERROR_FAULT, else 0 */
	char *message;     /**< human-readable, one line, no trailing newline */
};

/**
 * Told, with a short name, that a stage of a long piece of work begins
 * ("goroutines", "store contexts"): how a caller times the stages
 * ('analyze --timings'). Called on the thread that does the stage.
 */
typedef void util_stage_fn(const char *stage, void *arg);

/** Returned for out-of-memory; never freed (util_error_destroy ignores it). */
extern struct util_error util_enomem;

struct util_error *util_error_create(enum util_error_code code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
struct util_error *util_error_vcreate(enum util_error_code code, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/** An OS error: "PATH: what: strerror(errnum)". */
struct util_error *util_error_os(int errnum, const char *path, const char *what);
/** A memory fault at ADDR; the message says what was being read. */
struct util_error *util_error_fault(uint64_t addr, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/** Prepend context ("file: ") to err's message; returns err (or util_enomem). */
struct util_error *util_error_prefix(struct util_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/** Free err; accepts NULL and util_enomem. */
void util_error_destroy(struct util_error *err);
/** True if err is non-NULL and has the given code. */
static inline bool util_error_is(const struct util_error *err, enum util_error_code code)
{
	return err && err->code == code;
}
/** Drop err if it has CODE (returns NULL) or pass it through. */
struct util_error *util_error_catch(struct util_error *err, enum util_error_code code);

/* ---- Files the user names -------------------------------------------- */

/**
 * Open PATH read-only, refusing (UTIL_ERROR_BAD_DATA, "PATH: WHAT is a FIFO,
 * not a regular file") anything but a regular file before open(2) can block
 * on it: a FIFO without a writer would wait forever. WHAT names the file's
 * role ("the core", "the executable"). *FD_RET is blocking, close-on-exec.
 */
struct util_error *util_open_regular(const char *path, const char *what, int *fd_ret);
/**
 * util_open_regular, and if the file is a zstd stream (by its magic, not its
 * name), its decompressed bytes instead: *FD_RET is then an anonymous file
 * (memfd, else an unlinked one in $TMPDIR) holding them, at offset 0 for
 * fstat and mmap, and *COMPRESSED_RET (if not NULL) true. For files that
 * are read whole, such as an executable given as prog.zst; errors name PATH.
 */
struct util_error *util_open_unzstd(const char *path, const char *what, int *fd_ret,
				    bool *compressed_ret);
/**
 * The same check without opening: PATH must be a regular file. With
 * EXISTS_RET, a missing PATH is no error (*EXISTS_RET false); without it,
 * it is UTIL_ERROR_OS.
 */
struct util_error *util_check_regular(const char *path, const char *what, bool *exists_ret);

/* ---- Arena ------------------------------------------------------------ */

/** Bump allocator: everything rebuilt from one core lives here, freed at once. */
struct util_arena {
	struct util_arena_block *head;
	size_t total; /**< bytes allocated from the system */
};

void util_arena_init(struct util_arena *a);
void util_arena_deinit(struct util_arena *a);
/** 16-byte aligned, zeroed memory; NULL on out-of-memory. */
void *util_arena_alloc(struct util_arena *a, size_t size);
char *util_arena_strndup(struct util_arena *a, const char *s, size_t n);

/* ---- Interned strings ------------------------------------------------- */

/** A set of strings stored once; equal strings share one pointer. */
struct util_strtab {
	struct util_arena arena;
	const char **slots;
	uint32_t *hashes;
	size_t cap, count;
};

void util_strtab_init(struct util_strtab *t);
void util_strtab_deinit(struct util_strtab *t);
/** The interned copy of s[0..len); NULL on out-of-memory. */
const char *util_strtab_intern(struct util_strtab *t, const char *s, size_t len);
static inline const char *util_strtab_intern_cstr(struct util_strtab *t, const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return util_strtab_intern(t, s, n);
}

/* ---- u64 → u64 map ---------------------------------------------------- */

/**
 * Open-addressing map from uint64 keys to uint64 values. Any key may be
 * put, ~0 too: keys come from cores, where a corrupt word is often ~0.
 * keys[] marks an empty slot with ~0, so the key ~0 itself is kept aside
 * (has_max, max_val); a loop over keys[] and vals[] does not see it.
 */
struct util_u64map {
	uint64_t *keys;
	uint64_t *vals;
	size_t cap, count;            /**< count: the keys held, ~0 too */
	bool has_max;                 /**< the key ~0 is held, its value in max_val */
	uint64_t max_val;
};

void util_u64map_init(struct util_u64map *m);
void util_u64map_deinit(struct util_u64map *m);
/** Insert or overwrite; UTIL_ERROR_NOMEM on failure. */
struct util_error *util_u64map_put(struct util_u64map *m, uint64_t key, uint64_t val);
/** True and *val set when key is present. */
bool util_u64map_get(const struct util_u64map *m, uint64_t key, uint64_t *val);

/**
 * Make room in the malloc'd array *ARR (of *CAP elements of ELEM bytes) for
 * element number N: doubles the capacity (from MIN when empty) while N does
 * not fit. UTIL_ERROR_NOMEM, with *ARR and *CAP unchanged, on failure.
 */
struct util_error *util_grow(void **arr, size_t n, size_t *cap, size_t elem, size_t min);

/**
 * LEN bytes of zeroed anonymous memory of their own mapping (free with
 * munmap), NULL if none: address space only, a page counts in memory once
 * written. HUGE asks the kernel for 2 MiB pages where it can (transparent
 * huge pages in "madvise" mode), so filling megabytes takes a few faults,
 * not one per 4 KiB page (on a virtual machine each is a trap).
 */
void *util_map_anon(size_t len, bool huge);

/**
 * LEN zeroed bytes: from 1 MiB a mapping of their own (util_map_anon,
 * huge), below that from the heap. A big block freed in the heap stays there
 * as a hole the heap grows past (cli/analyze.c keeps freed memory); a
 * mapping goes back whole. Free with util_free_big and the same LEN.
 */
void *util_alloc_big(size_t len);
/** Free what util_alloc_big(LEN) gave; accepts NULL. */
void util_free_big(void *p, size_t len);

/**
 * util_grow for an array in a mapping of its own (util_map_anon, huge;
 * free with util_unmap_array): grown by mremap, its pages moved, not
 * copied, and never a hole left in the heap, whose freed blocks stay in
 * memory (cli/analyze.c keeps them). In memory: the pages written.
 */
struct util_error *util_grow_mapped(void **arr, size_t n, size_t *cap, size_t elem, size_t min);
/** Unmap an array util_grow_mapped made (*CAP elements of ELEM bytes; NULL: nothing). */
void util_unmap_array(void *arr, size_t cap, size_t elem);
/**
 * Give back the pages of an array util_grow_mapped made (CAP elements of
 * ELEM bytes; NULL: nothing), keeping its room: they read as zeros again,
 * and count in memory once written again.
 */
void util_release_mapped(void *arr, size_t cap, size_t elem);

/** An element of util_sort_keyed: a key, and eight bytes that go with it. */
struct util_keyed {
	uint64_t key;
	uint64_t val;
};

/**
 * Sort V[0..N) by key, stably (equal keys keep their order), in linear time
 * (a radix sort); the scratch of the array's size is a mapping of its own
 * from 1 MiB, not a heap block that stays a hole. UTIL_ERROR_NOMEM, V
 * unchanged, if no scratch could be had.
 */
struct util_error *util_sort_keyed(struct util_keyed *v, size_t n);

/**
 * Sort the N elements of SIZE bytes at BASE by CMP, as qsort does but in
 * place: no scratch (glibc's qsort mallocs one of the array's size, a hole
 * the heap keeps), in O(N log N) (an introsort); not stable, so for
 * elements CMP tells apart or that are alike in every byte.
 */
void util_sort_in_place(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));

/**
 * The strongly connected components of the directed graph of N nodes whose
 * edges from node v are ADJ[OFF[v]] .. ADJ[OFF[v + 1] - 1] (OFF has N + 1
 * entries): COMP[v] (N entries) receives v's component, numbered from 0 in
 * reverse topological order (a component's edges lead only to components of
 * smaller numbers, or to itself), and *NCOMP their count. Linear time and
 * memory (Tarjan's algorithm, without recursion).
 */
struct util_error *util_scc(size_t n, const size_t *off, const size_t *adj, size_t *comp,
			    size_t *ncomp);

/** 64-bit FNV-1a, used for hashing names and stacks. */
uint64_t util_hash_bytes(const void *p, size_t n, uint64_t seed);

#endif
