// SPDX-License-Identifier: Apache-2.0
/* dwarf/internal.h: private structures shared by the dwarf module's .c files.
 * Nothing outside dwarf/ includes this. */
#ifndef GOCORONER_DWARF_INTERNAL_H
#define GOCORONER_DWARF_INTERNAL_H

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <gelf.h>
#include <libelf.h>

#include "dwarf/dwarf.h"

/* ---- name → u64 hash map (names are not copied) ----------------------- */

struct dw_name_slot {
	const char *name; /**< not owned; NULL for an empty slot */
	size_t len;       /**< length of name (names need not be NUL-terminated) */
	uint64_t hash;    /**< util_hash_bytes(name, len, 0) */
	uint64_t value;   /**< caller's value */
};

/** Open-addressing map from byte strings to uint64; keys must outlive it. */
struct dw_namemap {
	struct dw_name_slot *slots;
	size_t cap, count;
};

void dw_namemap_init(struct dw_namemap *m);
void dw_namemap_deinit(struct dw_namemap *m);
/** Insert NAME unless present; *INSERTED tells which (may be NULL). */
struct util_error *dw_namemap_add(struct dw_namemap *m, const char *name, size_t len,
				  uint64_t value, bool *inserted);
bool dw_namemap_get(const struct dw_namemap *m, const char *name, size_t len, uint64_t *value);

/* ---- the binary --------------------------------------------------------- */

/** A file-backed part of a PT_LOAD segment. */
struct dw_segment {
	uint64_t vaddr;  /**< p_vaddr */
	uint64_t filesz; /**< bytes backed by the file (p_filesz, clamped to the file) */
	uint64_t offset; /**< p_offset */
};

/** A global DW_TAG_variable (index.c), or one a stripped binary's heuristics found (stripped.c). */
struct dw_global {
	uint64_t addr;     /**< DW_OP_addr operand */
	Dwarf_Off type;    /**< DIE offset of its DW_AT_type, 0 if none */
	uint64_t size;     /**< byte size when there is no type DIE (stripped mode), else 0 */
};

/** A section's address range (0, 0 if the binary has none). */
struct dw_range {
	uint64_t addr, size;
};

/** A DW_TAG_constant. */
struct dw_const {
	const char *name;  /**< from libdw's section data */
	int64_t value;     /**< DW_AT_const_value */
};

/** One cached member lookup ("runtime.g" + "sched.sp"). */
struct dw_member {
	bool found;        /**< false: cached NOT_FOUND */
	uint64_t offset;   /**< byte offset from the start of the outer struct */
	Dwarf_Off type;    /**< DIE offset of the member's type */
};

/** A DIE with DW_AT_go_runtime_type, waiting for moduledata.types. */
struct dw_rtype {
	uint64_t value;    /**< raw attribute value */
	const char *name;  /**< the type's DWARF name */
};

/** Layout of a runtime.inlinedCall entry, probed from DWARF. */
struct dw_inl_layout {
	size_t size;       /**< bytes per entry (20 in 1.19, 16 from 1.20) */
	size_t funcid;     /**< offset of funcID (uint8) */
	size_t nameoff;    /**< offset of the name offset (int32; "func_" in 1.19) */
	size_t parentpc;   /**< offset of parentPc (int32) */
};

/** Go's pclntab (runtime.pcHeader and the tables after it). */
/** dw_func_at's index: one entry per this many bytes of text (the runtime's findfunctab subbucket). */
#define DW_PC_BUCKET 256u
/** A text range longer than this gets no index (8 MiB of it); no real binary comes near. */
#define DW_PC_INDEX_MAX_TEXT ((uint64_t)512 << 20)

struct dw_pclntab {
	const uint8_t *data;   /**< start of the pcHeader in the file mapping */
	size_t size;           /**< bytes available from data */
	uint64_t vaddr;        /**< address of the pcHeader */
	uint32_t magic;        /**< 0xfffffff0 (1.18–1.19) or 0xfffffff1 (1.20+) */
	uint8_t minlc;         /**< pc quantum (1 on amd64) */
	uint64_t nfunc;        /**< functions in ftab */
	const uint8_t *funcnametab, *cutab, *filetab, *pctab, *pclntable;
	size_t funcnametab_size, cutab_size, filetab_size, pctab_size, pclntable_size;
	uint64_t text;         /**< text base of ftab entry offsets */
	uint64_t gofunc;       /**< base of funcdata offsets (moduledata.gofunc), 0 if unknown */
	size_t func_size;      /**< fixed bytes of a _func: 40 (1.19) or 44 (startLine, 1.20+) */
	bool has_start_line;   /**< _func.startLine exists */
	bool print_names;      /**< apply funcNameForPrint ("F[...]") to names (1.21+) */
	struct dw_inl_layout inl;
	bool wrapper_known;    /**< wrapper_id is valid */
	uint8_t wrapper_id;    /**< FuncID_wrapper of this release */
	uint8_t flag_topframe, flag_spwrite; /**< FuncFlag bits */
	struct dw_func *funcs; /**< nfunc functions, sorted by entry */
	uint64_t maxpc;        /**< end of the last function (ftab[nfunc].entry) */
	uint32_t *bucket_first; /**< per DW_PC_BUCKET bytes of text from funcs[0].entry: the
				    last function whose entry is at or before the bucket's
				    start; NULL: dw_func_at searches */
	size_t nbuckets;
	struct dw_namemap by_name;   /**< name → index in funcs */
	struct util_u64map names;    /**< funcnametab offset → interned print name */
	struct util_u64map files;    /**< filetab offset → interned file name */
	struct util_u64map expands;  /**< pc → struct dw_expand_cache * */
	struct util_u64map bad_lines; /**< entry pc of functions whose line table was reported */
};

struct dw_binary {
	char *path;
	uint8_t *map;             /**< private writable mapping of the whole file */
	size_t map_size;
	Elf *elf;
	Dwarf *dwarf;
	void **owned;             /**< buffers we decompressed (zstd sections) */
	size_t nowned;
	struct util_arena arena;  /**< lives as long as the binary */
	struct util_strtab strings;
	struct dw_segment *segs;  /**< file-backed PT_LOAD parts */
	size_t nsegs;
	const char *go_build_id, *gnu_build_id, *producer;
	const char *debuglink;    /**< .gnu_debuglink's file name, NULL if none */
	uint32_t debuglink_crc;   /**< .gnu_debuglink's CRC-32 of the debug file */

	/* The separate debug file the DWARF (and .symtab) came from, if any. */
	char *debug_path;         /**< NULL: the executable's own DWARF */
	const char *debug_source; /**< how it was found: "--debug-file", "build id", ... */
	char *debug_looked;       /**< no DWARF anywhere: where the search looked */
	uint8_t *dbg_map;         /**< private writable mapping of the debug file */
	size_t dbg_map_size;
	Elf *dbg_elf;
	/**
	 * Load address minus link address (dw_binary_set_bias). The segments
	 * and the pclntab's functions, text and gofunc are kept moved by it;
	 * DWARF's addresses (variables, subprograms, location lists) and the
	 * symbols are link-time and moved where they are handed out or asked.
	 */
	uint64_t bias;
	struct dw_arch arch;

	/* ELF */
	uint64_t text_addr, text_size;       /**< .text section */
	uint64_t pclntab_addr, pclntab_size; /**< .gopclntab section, size 0 if none */
	/* Sections the stripped mode searches (stripped.c). */
	struct dw_range buildinfo, gomodule, noptrdata, data, bss, noptrbss;
	struct dw_namemap symbols;           /**< .symtab name → st_value */

	/* DWARF */
	struct dw_namemap types;      /**< type name → DIE offset */
	struct dw_namemap vars;       /**< variable name → struct dw_global * */
	struct dw_const *consts;      /**< sorted by name */
	size_t nconsts, consts_cap;
	struct dw_namemap members;    /**< "type\001member" → struct dw_member * */
	struct dw_rtype *rtypes;      /**< pending DW_AT_go_runtime_type values */
	size_t nrtypes, rtypes_cap;
	struct util_u64map rtype_map; /**< offset from moduledata.types → name */
	struct dw_namemap rtype_names; /**< name → offset from moduledata.types */
	bool has_print_names;         /**< DWARF has runtime.funcNamePiecesForPrint */
	struct util_u64map subprograms; /**< DW_AT_low_pc → DIE offset of the DW_TAG_subprogram (index.c) */
	struct util_u64map func_vars; /**< entry pc → struct dw_func_vars * (vars.c) */

	struct dw_pclntab pcln;
	/* Stripped mode (stripped.c): no DWARF; layouts from a built-in table. */
	const char *build_version;    /**< from .go.buildinfo ("go1.27.3"), "" if none */
	const char *layouts_release;  /**< the table used ("go1.27"), NULL when DWARF is read */
	struct dw_namemap synth_sizes; /**< type name → uint64_t * (arena) of its byte size */
	const char **heuristics;      /**< what was found by a heuristic, for diagnostics */
	size_t nheuristics;
	uint64_t *ctx_itabs;          /**< stripped: the static context.Context itabs found */
	size_t nctx_itabs;
	/* What was found corrupt while reading the tables (dw_binary_problem). */
	const char **problems;        /**< interned; at most DW_MAX_PROBLEMS */
	size_t nproblems, problems_cap, problems_dropped;
};

/** Problems kept; more are counted (dw_binary_problems_dropped). */
#define DW_MAX_PROBLEMS 100
/** Note that the executable's tables have a corrupt part, for the caller's
 * diagnostics (library code does not print). */
void dw_problem(struct dw_binary *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* debugfile.c: where separate debug info may be (binary.c opens and checks it). */
#ifndef DW_DEFAULT_DEBUG_DIR
#define DW_DEFAULT_DEBUG_DIR "/usr/lib/debug"
#endif
/** A place to look for the debug file, and how it was found. */
struct dw_debug_candidate {
	char *path;           /**< malloc'ed; NULL: SOURCE is a note for the account */
	const char *source;   /**< "build id" or "debuglink" */
};
/** One search for a debug file, with the account of where it looked. */
struct dw_debug_search {
	const char *exe_path;
	const struct dw_debug_options *opts; /**< NULL: the defaults */
	struct dw_debug_candidate *cands;
	size_t ncands;
	char *looked;         /**< "; "-joined: each place and why it did not do */
};
void dw_debug_search_init(struct dw_debug_search *s, const char *exe_path,
			  const struct dw_debug_options *opts);
void dw_debug_search_deinit(struct dw_debug_search *s);
/** Fill s->cands: by BUILD_ID (hex, may be "") under each debug directory,
 * then by DEBUGLINK (may be NULL) beside the executable and under them. */
struct util_error *dw_debug_candidates(struct dw_debug_search *s, const char *build_id,
				       const char *debuglink);
/** Add to the account of where the search looked. */
struct util_error *dw_debug_looked(struct dw_debug_search *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/** Ask debuginfod (DEBUGINFOD_URLS) for BUILD_ID's debug info: *PATH_RET the
 * file in its cache (malloc'ed), NULL when not found or not asked (said in
 * the account). */
struct util_error *dw_debuginfod_find(struct dw_debug_search *s, const char *build_id,
				      char **path_ret);
/** CRC-32 as .gnu_debuglink records it, continued from CRC (0 to start). */
uint32_t dw_crc32(uint32_t crc, const uint8_t *p, size_t n);

/* index.c */
struct util_error *dw_index_dwarf(struct dw_binary *b);
struct util_error *dw_index_rtypes(struct dw_binary *b, uint64_t types, uint64_t etypes);
/* stripped.c */
/** Read a binary with no DWARF: the built-in layouts of its Go release and
 * the runtime's globals that the file itself holds. */
struct util_error *dw_stripped_load(struct dw_binary *b);

/* pcnames.c */
/** Whether S[0..LEN) can be a Go name or file name: UTF-8 text without control characters. */
bool dw_pcln_is_text(const unsigned char *s, size_t len);
/** funcnametab[OFF] as stored, *LEN its length; NULL outside the table or unterminated. */
const char *dw_pcln_raw_name(const struct dw_pclntab *p, int64_t off, size_t *len);
/**
 * The interned name Go prints for funcnametab[OFF]; *RET NULL when the name
 * is corrupt (outside the table, not NUL-terminated in it, not text), told
 * once per offset as a problem (dw_problem) naming WHERE, the function's
 * entry pc (an inlined call's pc), and its placeholder name.
 */
struct util_error *dw_pcln_func_name(struct dw_binary *b, int64_t off, uint64_t where,
				     const char **ret);
/** The interned placeholder name of a function whose own name is corrupt: ?func@0xPC. */
const char *dw_pcln_placeholder(struct dw_binary *b, uint64_t pc);
/* pclntab.c */
uint64_t dw_moduledata_field(struct dw_binary *b, const char *field);
struct util_error *dw_pclntab_load(struct dw_binary *b);
void dw_pclntab_deinit(struct dw_pclntab *p);
/** Move every address the pclntab keeps by DELTA (dw_binary_set_bias). */
void dw_pclntab_relocate(struct dw_pclntab *p, uint64_t delta);

/** A pointer into the file for [ADDR, ADDR+LEN), or NULL outside file-backed PT_LOADs. */
const uint8_t *dw_binary_ptr(const struct dw_binary *b, uint64_t addr, size_t len);
/** How many file-backed bytes follow ADDR within its segment (0 if none). */
size_t dw_binary_avail(const struct dw_binary *b, uint64_t addr);

/** True if ERR is NULL; otherwise drop it (for probes where absence is an answer). */
static inline bool dw_ok(struct util_error *err)
{
	util_error_destroy(err);
	return !err;
}

static inline uint32_t dw_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t dw_le64(const uint8_t *p)
{
	return (uint64_t)dw_le32(p) | (uint64_t)dw_le32(p + 4) << 32;
}

/** Move DIE to the type its DW_AT_type names; false if it names none. */
static inline bool dw_next_type(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	return dwarf_attr(die, DW_AT_type, &attr) && dwarf_formref_die(&attr, die);
}

#endif
