// SPDX-License-Identifier: Apache-2.0
/* dwarf: a once-per-binary index of a Go executable — DWARF types, members,
 * constants and variables through libdw, and Go's own pclntab for PC →
 * function (with inlined frames) → file:line and frame sizes. */
#ifndef GOCORONER_DWARF_H
#define GOCORONER_DWARF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

struct dw_binary;

/**
 * Open and index a Go executable. Errors (each naming PATH): not ELF, not
 * x86-64 or aarch64, not a Go executable (no .gopclntab / runtime.buildVersion), corrupt
 * DWARF or pclntab. DWARF 4 and 5, SHF_COMPRESSED (zlib, zstd) sections.
 * Without DWARF (stripped, e.g. -ldflags='-s -w') the binary opens in the
 * degraded mode of dw_binary_is_stripped, or fails when its Go release has
 * no built-in layouts.
 */
struct util_error *dw_binary_open(const char *path, struct dw_binary **ret);

/** Where to find the DWARF of an executable kept apart from it (stripped). */
struct dw_debug_options {
	/** A debug file given by the user (raw or .zst): used even if the
	 * executable has DWARF, and checked against it; NULL: search. */
	const char *debug_file;
	/** Directories searched as gdb's debug-file-directory, in order; NULL:
	 * {"/usr/lib/debug"}. */
	const char *const *debug_dirs;
	size_t ndebug_dirs;
	/** Do not ask debuginfod even when DEBUGINFOD_URLS is set. */
	bool no_debuginfod;
};

/**
 * dw_binary_open, taking the DWARF and .symtab from a separate debug file
 * when OPTS names one or the executable has no .debug_info: the loaded bytes
 * (pclntab, type descriptors, notes) still come from PATH. The search, when
 * nothing is named: DIR/.build-id/xx/yyyy.debug for each debug directory
 * (GNU build id), then the .gnu_debuglink name in PATH's directory, in its
 * .debug/ subdirectory, and under each debug directory followed by PATH's
 * absolute directory (CRC-32 checked), then debuginfod when DEBUGINFOD_URLS
 * is set and the client is built in. A debug file must match the executable
 * (GNU build id, else Go build id, else the debuglink's CRC, else .text's
 * address and size): a named one that does not is UTIL_ERROR_MISMATCH naming
 * both files; a found one that does not is passed over. With no debug info
 * anywhere, the degraded mode of dw_binary_is_stripped, and
 * dw_binary_debug_looked says where the search looked. OPTS may be NULL.
 */
struct util_error *dw_binary_open_with(const char *path, const struct dw_debug_options *opts,
				       struct dw_binary **ret);
/** The separate debug file the DWARF came from, NULL if the executable's own. */
const char *dw_binary_debug_file(const struct dw_binary *b);
/** With no DWARF found anywhere: where the search for a debug file looked
 * ("; "-joined, each place and why it did not do); NULL otherwise. */
const char *dw_binary_debug_looked(const struct dw_binary *b);
/** How it was found: "--debug-file", "build id", "debuglink" or "debuginfod"; NULL if none. */
const char *dw_binary_debug_source(const struct dw_binary *b);
/** Whether this gocoroner was built with the debuginfod client (libdebuginfod). */
bool dw_debuginfod_available(void);
void dw_binary_destroy(struct dw_binary *b);

const char *dw_binary_path(const struct dw_binary *b);
/** Go build id from .note.go.buildid ("" if none). */
const char *dw_binary_go_build_id(const struct dw_binary *b);
/** GNU build id as lowercase hex ("" if none). */
const char *dw_binary_gnu_build_id(const struct dw_binary *b);
/**
 * What was found corrupt in the executable's tables as they were read (a
 * function name outside pclntab's name table or not UTF-8 text, a line
 * table that does not decode), each naming the function by its entry pc:
 * the I-th of dw_binary_num_problems, which grows while the binary is used.
 * Past 100, problems are only counted (dw_binary_problems_dropped).
 */
size_t dw_binary_num_problems(const struct dw_binary *b);
const char *dw_binary_problem(const struct dw_binary *b, size_t i);
size_t dw_binary_problems_dropped(const struct dw_binary *b);
/**
 * Stripped mode: the executable has no DWARF, so the type, member, constant
 * and variable queries below are answered from a built-in table of the
 * runtime's layouts for its Go release (dw_binary_layouts_release) and from
 * globals found in the file by heuristics (dw_binary_heuristic); types
 * outside that table are NOT_FOUND, frame variables empty.
 */
bool dw_binary_is_stripped(const struct dw_binary *b);
/** The release whose built-in layouts are assumed ("go1.27"), NULL when DWARF is read. */
const char *dw_binary_layouts_release(const struct dw_binary *b);
/** The I-th global found by a heuristic, as a sentence for diagnostics; NULL past the end. */
const char *dw_binary_heuristic(const struct dw_binary *b, size_t i);
/** runtime.buildVersion as .go.buildinfo records it ("go1.27.3"), "" if it does not. */
const char *dw_binary_build_version(const struct dw_binary *b);

/** A field of a struct type descriptor: its name (not NUL-terminated), type descriptor, offset. */
struct dw_desc_field {
	const char *name;
	size_t name_len;
	uint64_t type;
	uint64_t offset;
};

/** The fields (at most MAX into OUT; the count) of the struct type descriptor
 * at DESC in the executable's file, or of the struct it points to (*PTR
 * true): what a stripped executable tells of a type's layout; 0 if neither. */
size_t dw_binary_desc_fields(const struct dw_binary *b, uint64_t desc, bool *ptr,
			     struct dw_desc_field *out, size_t max);

/** Stripped: the executable's static itabs of context.Context (*RET, the count);
 * none when DWARF is read (its symbols name them). */
size_t dw_binary_ctx_itabs(const struct dw_binary *b, const uint64_t **ret);

/** The address range of the executable's section NAME, one of ".data",
 * ".noptrdata", ".bss", ".noptrbss"; false if it has none. */
bool dw_binary_section(const struct dw_binary *b, const char *name, uint64_t *addr, uint64_t *size);

/** One entry of the built-in layouts (stripped mode). */
struct dw_layout_entry {
	enum { DW_SY_END, DW_SY_SIZE, DW_SY_MEMBER, DW_SY_CONST, DW_SY_VARSIZE } kind;
	const char *type;       /**< the type; the constant or variable for DW_SY_CONST / VARSIZE */
	const char *member;     /**< the member path (DW_SY_MEMBER), else NULL */
	int64_t value;          /**< size, offset or constant value */
};

/**
 * The built-in layouts of the release VERSION ("go1.27.3" takes go1.27's),
 * ended by a DW_SY_END entry, and the release's name in *RELEASE; NULL when
 * there are none. Or, with VERSION NULL, the INDEX-th table (NULL past the
 * last), for tests that check each against DWARF.
 */
const struct dw_layout_entry *dw_layouts_for(const char *version, size_t index,
					     const char **release);

/**
 * The executable's machine and what it means for Go's stack frames
 * (runtime/traceback.go, usesLR; internal/abi MinFrameSize):
 * on amd64 a CALL pushes the return address, so a frame's fp (the caller's
 * SP, the DWARF CFA) is sp + spdelta + 8 and its locals end at fp - 8; on
 * arm64 (a link-register machine) the return address is in LR at entry and
 * saved at 0(SP) once the frame is made, fp = sp + spdelta, locals end at fp,
 * and the arguments start at fp + 8 (the callee's saved-LR slot).
 */
struct dw_arch {
	uint16_t machine;       /**< e_machine: EM_X86_64 or EM_AARCH64 */
	bool uses_lr;           /**< arm64: the return address is in the link register */
	uint8_t ret_size;       /**< bytes a CALL pushes: 8 on amd64, 0 on arm64 */
	uint8_t min_frame;      /**< sys.MinFrameSize: 0 on amd64, 8 on arm64 */
};
const struct dw_arch *dw_binary_arch(const struct dw_binary *b);

/** DW_AT_producer of the first Go CU, e.g. "Go cmd/compile go1.27.3; regabi" ("" if none). */
const char *dw_binary_producer(const struct dw_binary *b);

/**
 * Where the executable was loaded: BIAS = load address minus link address,
 * nonzero for a position-independent executable (-buildmode=pie) in a
 * process, 0 for a fixed-address one (core_exe_bias gives it for a core).
 * From then on every address the binary takes or gives is an address in
 * the process: dw_binary_read, dw_variable, dw_symbol, dw_globals_each,
 * function entries and ends, the PCs of every lookup, funcdata addresses.
 * Offsets (DW_AT_go_runtime_type, pcdata) do not move. A new call replaces
 * the previous bias (another core of the same executable); 0 until called.
 * Not to be called while another thread uses the binary.
 */
void dw_binary_set_bias(struct dw_binary *b, uint64_t bias);
/** The bias dw_binary_set_bias set, 0 if none. */
uint64_t dw_binary_bias(const struct dw_binary *b);

/**
 * Read LEN bytes at virtual address ADDR from the executable's file-backed
 * PT_LOAD contents (read-only data: strings, pclntab, type descriptors).
 * UTIL_ERROR_FAULT outside them.
 */
struct util_error *dw_binary_read(const struct dw_binary *b, uint64_t addr, void *buf, size_t len);

/**
 * A pointer the executable's file holds at ADDR (a Go string's data word,
 * say), as an address in the process: the file has the link-time value, so
 * it is moved by the bias. UTIL_ERROR_FAULT like dw_binary_read.
 */
struct util_error *dw_binary_read_pointer(const struct dw_binary *b, uint64_t addr,
					  uint64_t *ret);

/**
 * True if the executable's file-backed segments hold these bytes, e.g. a
 * string literal a release changed — a probe for behaviour that has no type
 * or member to ask DWARF about.
 */
bool dw_binary_contains(const struct dw_binary *b, const void *bytes, size_t len);

/* ---- Types ------------------------------------------------------------ */

/** Byte size of the named type ("runtime.g", "runtime.gobuf"). */
struct util_error *dw_type_size(struct dw_binary *b, const char *type_name, uint64_t *ret);
/**
 * Offset of a member of a struct type, by name; MEMBER may be a dotted path
 * through nested struct members ("sched.sp", "atomicstatus.value"). A missing
 * type or member is UTIL_ERROR_NOT_FOUND, so callers can probe layouts.
 */
struct util_error *dw_member_offset(struct dw_binary *b, const char *type_name,
				    const char *member, uint64_t *ret);
/** The DWARF name of a member's type ("runtime.maybeTraceableChan", "*runtime.hchan"). */
struct util_error *dw_member_type_name(struct dw_binary *b, const char *type_name,
				       const char *member, const char **ret);
/** Byte size of a member's type. */
struct util_error *dw_member_size(struct dw_binary *b, const char *type_name,
				  const char *member, uint64_t *ret);
/** True if the named type exists / has the member (probing helpers). */
bool dw_has_type(struct dw_binary *b, const char *type_name);
bool dw_has_member(struct dw_binary *b, const char *type_name, const char *member);

/* ---- Constants and variables ----------------------------------------- */

/** Value of a DW_TAG_constant ("runtime._Gwaiting", "runtime.waitReasonSelect"). */
struct util_error *dw_constant(struct dw_binary *b, const char *name, int64_t *ret);
/** The first of NAMES (NULL-terminated) the binary has as a constant, for a
 * constant that moved between packages ("internal/abi.X" from 1.21,
 * "runtime._X" in 1.19); false if none. */
bool dw_constant_any(struct dw_binary *b, const char *const *names, int64_t *ret);
/** Call FN for each constant whose name starts with PREFIX; FN returning non-NULL stops. */
struct util_error *dw_constants_with_prefix(struct dw_binary *b, const char *prefix,
					    struct util_error *(*fn)(const char *name, int64_t value, void *arg),
					    void *arg);
/** Address and byte size of a global DW_TAG_variable with a DW_OP_addr location. */
struct util_error *dw_variable(struct dw_binary *b, const char *name, uint64_t *addr_ret,
			       uint64_t *size_ret);
/** Address of an ELF symbol (.symtab), for globals DWARF lacks. */
struct util_error *dw_symbol(struct dw_binary *b, const char *name, uint64_t *addr_ret);

/**
 * The DWARF type name for a runtime type descriptor, given its offset from
 * moduledata.types (the value of DW_AT_go_runtime_type). UTIL_ERROR_NOT_FOUND
 * if no DWARF type carries that offset.
 */
struct util_error *dw_type_by_runtime_offset(struct dw_binary *b, uint64_t offset,
					     const char **name_ret);

/**
 * The reverse: the offset from moduledata.types of the runtime type descriptor
 * of the named DWARF type ("*runtime.g", "context.cancelCtx"), so a type
 * pointer read from memory can be compared against it. UTIL_ERROR_NOT_FOUND if
 * the type has no runtime descriptor (or the binary no moduledata).
 */
struct util_error *dw_type_runtime_offset(struct dw_binary *b, const char *type_name,
					  uint64_t *offset_ret);

/* ---- pclntab: functions, lines, frames -------------------------------- */

/** A function of the pclntab. Owned by the dw_binary. */
struct dw_func {
	uint64_t entry;         /**< entry PC */
	uint64_t end;           /**< first PC after the function */
	const char *name;       /**< interned, as Go prints it: "main.(*conn).Read" */
	int32_t start_line;     /**< _func.startLine (0 before Go 1.20) */
	uint8_t funcid;         /**< raw _func.funcID */
	uint8_t flag;           /**< raw _func.flag */
	uint32_t funcoff;       /**< private: offset of the _func in pclntable */
};

/** The function containing PC, or NULL. */
const struct dw_func *dw_func_at(struct dw_binary *b, uint64_t pc);
/** The function with exactly this name, or NULL. */
const struct dw_func *dw_func_by_name(struct dw_binary *b, const char *name);

/** FuncFlag_TOPFRAME: unwinding stops here (runtime.goexit, mstart, rt0_go). */
bool dw_func_is_topframe(const struct dw_binary *b, const struct dw_func *f);
/** FuncFlag_SPWRITE: the function writes SP arbitrarily (gogo, systemstack...). */
bool dw_func_is_spwrite(const struct dw_binary *b, const struct dw_func *f);
/** The function is a compiler-generated wrapper (FuncID_wrapper). */
bool dw_func_is_wrapper(const struct dw_binary *b, const struct dw_func *f);

/**
 * SP delta at PC (the pcsp table): the frame size allocated so far, so the
 * caller's SP is sp + spdelta + dw_arch.ret_size (+ 8 on amd64). Look up the frame's own pc (not
 * pc-1), as the runtime's unwinder does. UTIL_ERROR_NOT_FOUND where the table
 * gives no value (no pcsp table, or alignment padding after the code).
 */
struct util_error *dw_func_spdelta(struct dw_binary *b, const struct dw_func *f, uint64_t pc,
				   int32_t *ret);

/**
 * Address of funcdata INDEX of F (FUNCDATA_OpenCodedDeferInfo = 4,
 * FUNCDATA_InlTree = 3...): moduledata.gofunc plus the _func's offset, the
 * bytes to be read with dw_binary_read. UTIL_ERROR_NOT_FOUND when F has no
 * such funcdata (offset 0xffffffff, or INDEX beyond its nfuncdata);
 * UTIL_ERROR_UNSUPPORTED when the binary's gofunc base is unknown.
 */
struct util_error *dw_func_funcdata(struct dw_binary *b, const struct dw_func *f, int index,
				    uint64_t *addr_ret);

/**
 * Value at PC of F's pcdata table TABLE (PCDATA_StackMapIndex = 1...), as
 * the runtime's pcdatavalue: -1 where the table is absent or does not cover
 * PC. Pass a caller frame's return address minus one, as Go does.
 */
int32_t dw_func_pcdata(struct dw_binary *b, const struct dw_func *f, uint32_t table, uint64_t pc);

/** _func.args: the size of F's argument frame (stack arguments, results and
 * the spill slots of register arguments), -1 if unknown. */
int32_t dw_func_args(struct dw_binary *b, const struct dw_func *f);

/** One logical frame at a PC: the inlined functions come first. */
struct dw_location {
	const char *func;       /**< interned function name */
	const char *file;       /**< interned file name as Go prints it */
	int line;
	bool inlined;           /**< true for every location but the last (the physical function) */
	bool wrapper;           /**< compiler-generated wrapper (FuncID_wrapper); Go's traceback
				     elides these unless the callee is a panic (showframe) */
};

/**
 * Expand PC in function F into its logical frames, innermost first: each
 * inlined call (from the inline tree, FUNCDATA_InlTree/PCDATA_InlTreeIndex)
 * then F itself; at most MAX entries written, the count returned through
 * *N_RET. Pass the PC to look up as Go's traceback does (a return address
 * minus one for a caller frame).
 */
struct util_error *dw_pc_expand(struct dw_binary *b, const struct dw_func *f, uint64_t pc,
				struct dw_location *out, size_t max, size_t *n_ret);

/** file:line of PC in F for the physical function only (no inline expansion). */
struct util_error *dw_pc_line(struct dw_binary *b, const struct dw_func *f, uint64_t pc,
			      const char **file_ret, int *line_ret);

/* ---- Frame variables: parameters and locals of a function ------------- */

/** At most this many chan-typed slots are recorded per variable. */
#define DW_VAR_MAX_CHANS 8

/**
 * A parameter or local of a function (DW_TAG_formal_parameter or
 * DW_TAG_variable directly in its DW_TAG_subprogram or in a lexical block of
 * it; variables of inlined calls are not listed). Owned by the dw_binary.
 */
struct dw_var {
	const char *name;       /**< as DWARF names it ("ctx", "~r0") */
	bool is_param;
	uint64_t type_die;      /**< DIE offset of its type, 0 if none */
	uint64_t die;           /**< private: the variable's DIE */
	uint64_t scope_die;     /**< private: its lexical block, 0 for the whole function */
	/**
	 * Where channels (*hchan words) sit in the value, found by
	 * dw_type_chan_slots: NCHANS byte offsets, from the start of the value,
	 * or — when CHANS_VIA_POINTER — from where the pointer the value holds
	 * points (a *struct whose fields are channels).
	 */
	uint8_t nchans;
	bool chans_via_pointer;
	uint32_t chan_offsets[DW_VAR_MAX_CHANS];
};

/** The variables of one function, built on first use and cached. */
struct dw_func_vars {
	const struct dw_var *vars;
	size_t n;
	bool has_chans;         /**< some variable has nchans > 0: skip the function quickly if not */
};

/**
 * The parameters and locals of F. A function without a DW_TAG_subprogram
 * (assembly) has none. Errors only for memory.
 */
struct util_error *dw_func_vars(struct dw_binary *b, const struct dw_func *f,
				const struct dw_func_vars **ret);

/** One piece of a variable's value (DW_OP_piece), or the whole value. */
struct dw_var_piece {
	bool available;         /**< false: in a register, optimized out, or unsupported */
	int64_t cfa_offset;     /**< in memory at CFA + cfa_offset (when available) */
	uint64_t size;          /**< bytes of the piece; 0 for a whole value without pieces */
};

#define DW_VAR_MAX_PIECES 8

/** Where a variable lives at one pc. */
struct dw_var_loc {
	size_t npieces;         /**< 0: not available at this pc at all */
	struct dw_var_piece pieces[DW_VAR_MAX_PIECES];
};

/**
 * Evaluate V's location at PC in F (a single expression or a location list,
 * DWARF 4 .debug_loc or DWARF 5 .debug_loclists) into memory addresses
 * relative to the CFA (the caller's SP at the call, the runtime's frame.fp:
 * sp + spdelta + dw_arch.ret_size). Understood: DW_OP_fbreg with a frame base of
 * DW_OP_call_frame_cfa; DW_OP_call_frame_cfa followed by DW_OP_consts +
 * DW_OP_plus, DW_OP_plus_uconst or nothing; DW_OP_piece. Anything else —
 * registers, empty pieces, other operations, no range covering PC, a lexical
 * block not covering PC — is reported as not available, never guessed. For a
 * caller frame pass its return address minus one (the CALL instruction).
 * Errors only for corrupt DWARF.
 */
struct util_error *dw_var_location_at(struct dw_binary *b, const struct dw_func *f,
				      const struct dw_var *v, uint64_t pc, struct dw_var_loc *ret);

/** True if the type at TYPE_DIE is a channel (DW_AT_go_kind 18), through typedefs. */
bool dw_type_is_chan(struct dw_binary *b, uint64_t type_die);
/** True if the type is a pointer to a struct; *STRUCT_DIE gets the struct. */
bool dw_type_is_pointer_to_struct(struct dw_binary *b, uint64_t type_die, uint64_t *struct_die);
/** True if the type is a struct (through typedefs); *STRUCT_DIE gets it. */
bool dw_type_is_struct(struct dw_binary *b, uint64_t type_die, uint64_t *struct_die);
/**
 * Byte offsets of the channel-typed members of a struct (one level, no
 * nesting), at most MAX; their count is returned.
 */
size_t dw_struct_chan_members(struct dw_binary *b, uint64_t struct_die, uint32_t *offsets,
			      size_t max);


/* ---- Type DIEs by offset (context finder) ------------------------------ */

/** DIE offset of the named type, 0 if the binary has none. */
uint64_t dw_type_die(struct dw_binary *b, const char *type_name);
/** DW_AT_name of the type DIE at TYPE_DIE ("context.Context", "*net/http.Request"), NULL if none. */
const char *dw_type_die_name(struct dw_binary *b, uint64_t type_die);

/**
 * The byte offsets, from the start of a value of the named type, of the words
 * Go's collector would take as pointers (ptrmap.c): pointers, channels, maps,
 * funcs, unsafe.Pointers, the data words of slices, strings and interfaces,
 * through structs and arrays — never a uintptr. At most MAX; *N their count.
 * UTIL_ERROR_NOT_FOUND without the type, UTIL_ERROR_BAD_DATA when its DWARF
 * is not understood or it holds more than MAX.
 */
struct util_error *dw_type_pointer_offsets(struct dw_binary *b, const char *type_name,
					   uint64_t *offsets, size_t max, size_t *n);

/** One member of a struct type. */
struct dw_struct_member {
	const char *name;
	uint64_t offset;
	uint64_t type_die;      /**< DIE offset of its type, 0 if none */
	bool embedded;          /**< DW_AT_go_embedded_field */
};

/** The members of the struct at STRUCT_DIE (one level), at most MAX; their count is returned. */
size_t dw_struct_members(struct dw_binary *b, uint64_t struct_die, struct dw_struct_member *out,
			 size_t max);

/** Go's kinds of types (abi.Kind), as DW_AT_go_kind gives them. */
enum {
	DW_GO_ARRAY = 17, DW_GO_CHAN = 18, DW_GO_FUNC = 19, DW_GO_IFACE = 20, DW_GO_MAP = 21,
	DW_GO_PTR = 22, DW_GO_SLICE = 23, DW_GO_STRING = 24, DW_GO_STRUCT = 25,
	DW_GO_UNSAFEPTR = 26,
};

/** What a value of a type looks like, for walking values (dw_type_shape). */
struct dw_type_shape {
	int kind;          /**< DW_GO_*, or a basic abi.Kind; 0 if DWARF does not say */
	uint64_t size;     /**< bytes of a value: a word for pointers, chans, maps, funcs */
	uint64_t elem;     /**< DIE of the pointer's target (0: unsafe.Pointer), or of the
	                        array, slice, chan or map element */
	uint64_t key;      /**< a map's key DIE */
	uint64_t count;    /**< an array's length */
	uint64_t die;      /**< the DIE named types lead to (a struct's, for dw_struct_members) */
	const char *name;  /**< the name of the DIE asked about, NULL if none */
	bool empty_iface;  /**< an interface without methods (runtime.eface) */
};

/** The shape of the type at DIE, through named types; false if DWARF does not say. */
bool dw_type_shape(struct dw_binary *b, uint64_t die, struct dw_type_shape *out);

/** Call FN for each package variable DWARF gives an address, in no set order; FN's error stops. */
struct util_error *dw_globals_each(struct dw_binary *b,
				   struct util_error *(*fn)(void *arg, const char *name,
							    uint64_t addr, uint64_t type_die),
				   void *arg);

#endif
