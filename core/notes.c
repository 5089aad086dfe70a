// SPDX-License-Identifier: Apache-2.0
// notes.c: threads, process info, auxv and file mappings from a core's PT_NOTEs,
// and the executable's path they point to.
#include <elf.h>
#include <inttypes.h>

#include "core/internal.h"

#ifndef NT_FILE
#define NT_FILE 0x46494c45
#endif

// Offsets in the kernel structures (include/uapi/linux/elfcore.h), the same
// on x86-64 and aarch64 up to pr_reg, whose size is the machine's.
enum {
	PRSTATUS_CURSIG = 12,   /**< short pr_cursig, after the 12-byte pr_info */
	PRSTATUS_PID = 32,      /**< int pr_pid */
	PRSTATUS_REG = 112,     /**< elf_gregset_t pr_reg */
	PRSTATUS_MIN = PRSTATUS_REG + 27 * 8,        /**< x86-64: user_regs_struct, 27 × u64 */
	PRSTATUS_MIN_ARM64 = PRSTATUS_REG + 34 * 8,  /**< aarch64: user_pt_regs, 34 × u64 */
	PRPSINFO_PID = 24,      /**< int pr_pid */
	PRPSINFO_FNAME = 40,    /**< char pr_fname[16] */
	PRPSINFO_PSARGS = 56,   /**< char pr_psargs[80] */
	PRPSINFO_MIN = PRPSINFO_PSARGS + 80,
};

_Static_assert(sizeof(struct core_regs) == 27 * 8, "core_regs must match user_regs_struct");
_Static_assert(sizeof(struct core_regs_arm64) == 34 * 8, "core_regs_arm64 must match user_pt_regs");

/** Fill T's registers from pr_reg (REG) for MACHINE. */
static void read_regs(struct core_thread *t, uint16_t machine, const uint8_t *reg)
{
	if (machine == EM_AARCH64) {
		struct core_regs_arm64 *a = &t->regs_arm64;
		for (size_t i = 0; i < 34; i++)
			((uint64_t *)a)[i] = core_le64(reg + 8 * i);
		t->pc = a->pc;
		t->sp = a->sp;
		t->fp = a->x[29];
		t->lr = a->x[30];
		return;
	}
	for (size_t i = 0; i < 27; i++)
		((uint64_t *)&t->regs)[i] = core_le64(reg + 8 * i);
	t->pc = t->regs.rip;
	t->sp = t->regs.rsp;
	t->fp = t->regs.rbp;
}

static size_t align_up(size_t v, size_t align)
{
	return (v + align - 1) & ~(align - 1);
}

int core_note_next(const uint8_t *buf, size_t len, size_t align, size_t *pos,
		   struct core_note *note)
{
	size_t p = *pos;
	if (p >= len)
		return 0;
	if (len - p < 12)
		return -1;
	uint32_t namesz = core_le32(buf + p), descsz = core_le32(buf + p + 4);
	size_t q = p + 12;
	if (namesz > len - q)
		return -1;
	note->name = (const char *)buf + q;
	note->namesz = namesz;
	q = align_up(q + namesz, align);
	if (q > len || descsz > len - q)
		return -1;
	note->type = core_le32(buf + p + 8);
	note->desc = buf + q;
	note->descsz = descsz;
	q = align_up(q + descsz, align);
	*pos = q < len ? q : len; // the last note's padding may be missing
	return 1;
}

bool core_note_name_is(const struct core_note *note, const char *name)
{
	// namesz normally counts one NUL, but Go writes "Go\0\0" with namesz 4.
	size_t n = strlen(name);
	if (note->namesz < n || memcmp(note->name, name, n) != 0)
		return false;
	for (size_t i = n; i < note->namesz; i++)
		if (note->name[i] != '\0')
			return false;
	return true;
}

/** Intern up to MAX bytes of a NUL-padded field, dropping trailing blanks. */
static const char *intern_field(struct core_file *core, const uint8_t *p, size_t max)
{
	size_t n = strnlen((const char *)p, max);
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\n'))
		n--;
	return util_strtab_intern(&core->strings, (const char *)p, n);
}

static struct util_error *note_error(struct core_file *core, size_t idx, size_t phidx,
				     const char *what, uint32_t size, size_t want)
{
	return util_error_create(UTIL_ERROR_BAD_DATA,
				 "%s: corrupt %s note %zu in segment %zu: %" PRIu32
				 " bytes, expected %s%zu",
				 core->path, what, idx, phidx, size,
				 strcmp(what, "NT_AUXV") ? "at least " : "a multiple of ", want);
}

static struct util_error *parse_prpsinfo(struct core_file *core, const struct core_note *n)
{
	if (core->info.fname) // the first one wins
		return NULL;
	core->info.pid = (int)core_le32(n->desc + PRPSINFO_PID);
	core->info.fname = intern_field(core, n->desc + PRPSINFO_FNAME, 16);
	core->info.psargs = intern_field(core, n->desc + PRPSINFO_PSARGS, 80);
	if (!core->info.fname || !core->info.psargs)
		return &util_enomem;
	return NULL;
}

static void parse_auxv(struct core_file *core, const struct core_note *n)
{
	for (size_t off = 0; off + 16 <= n->descsz; off += 16) {
		uint64_t type = core_le64(n->desc + off), val = core_le64(n->desc + off + 8);
		if (type == AT_NULL)
			break;
		if (type == AT_ENTRY)
			core->info.auxv_entry = val;
		else if (type == AT_PHDR)
			core->info.auxv_phdr = val;
		else if (type == AT_EXECFN)
			core->info.auxv_execfn = val;
	}
}

/**
 * NT_FILE: count, page_size, count × (start, end, page offset), then count
 * NUL-terminated paths. Everything is checked in the counting pass.
 */
static struct util_error *parse_nt_file(struct core_file *core, const struct core_note *n,
					size_t idx, size_t phidx, bool count_only,
					size_t *nmappings)
{
	const char *path = core->path;
	if (n->descsz < 16)
		return note_error(core, idx, phidx, "NT_FILE", n->descsz, 16);
	uint64_t count = core_le64(n->desc), page_size = core_le64(n->desc + 8);
	if (count > (n->descsz - 16) / 24)
		return util_error_create(UTIL_ERROR_BAD_DATA,
					 "%s: corrupt NT_FILE note %zu in segment %zu: %" PRIu64
					 " mappings do not fit in %" PRIu32 " bytes",
					 path, idx, phidx, count, n->descsz);
	if (count && (page_size == 0 || (page_size & (page_size - 1))))
		return util_error_create(UTIL_ERROR_BAD_DATA,
					 "%s: corrupt NT_FILE note %zu in segment %zu: page size %" PRIu64,
					 path, idx, phidx, page_size);
	const uint8_t *triples = n->desc + 16;
	const char *names = (const char *)triples + count * 24;
	const char *names_end = (const char *)n->desc + n->descsz;
	for (uint64_t i = 0; i < count; i++) {
		const uint8_t *t = triples + i * 24;
		uint64_t start = core_le64(t), end = core_le64(t + 8), pgoff = core_le64(t + 16);
		size_t left = (size_t)(names_end - names);
		size_t len = strnlen(names, left);
		if (len == left)
			return util_error_create(UTIL_ERROR_BAD_DATA,
						 "%s: corrupt NT_FILE note %zu in segment %zu: "
						 "path %" PRIu64 " of %" PRIu64 " is missing",
						 path, idx, phidx, i, count);
		if (start > end || pgoff > UINT64_MAX / page_size)
			return util_error_create(UTIL_ERROR_BAD_DATA,
						 "%s: corrupt NT_FILE note %zu in segment %zu: "
						 "bad mapping 0x%" PRIx64 "-0x%" PRIx64,
						 path, idx, phidx, start, end);
		if (!count_only) {
			struct core_mapping *m = &core->mappings[*nmappings];
			m->start = start;
			m->end = end;
			m->file_offset = pgoff * page_size;
			m->path = util_strtab_intern(&core->strings, names, len);
			if (!m->path)
				return &util_enomem;
		}
		++*nmappings;
		names += len + 1;
	}
	return NULL;
}

struct util_error *core_notes_parse(struct core_file *core, const uint8_t *buf, size_t len,
				    size_t align, size_t phidx, bool count_only,
				    size_t *nthreads, size_t *nmappings)
{
	size_t pos = 0;
	struct core_note n;
	struct util_error *err;
	// Each note takes at least 12 bytes, so this loop ends within len / 12 steps.
	for (size_t idx = 0;; idx++) {
		int r = core_note_next(buf, len, align, &pos, &n);
		if (r == 0)
			return NULL;
		if (r < 0)
			return util_error_create(UTIL_ERROR_BAD_DATA,
						 "%s: corrupt note %zu in segment %zu: its lengths "
						 "run past the end of the note segment (%zu bytes)",
						 core->path, idx, phidx, len);
		if (!core_note_name_is(&n, "CORE"))
			continue;
		switch (n.type) {
		case NT_PRSTATUS: {
			size_t min = core->info.machine == EM_AARCH64 ? PRSTATUS_MIN_ARM64
								       : PRSTATUS_MIN;
			if (n.descsz < min)
				return note_error(core, idx, phidx, "NT_PRSTATUS", n.descsz, min);
			if (!count_only) {
				struct core_thread *t = &core->threads[*nthreads];
				memset(t, 0, sizeof(*t));
				t->tid = core_le32(n.desc + PRSTATUS_PID);
				t->cursig = (int16_t)core_le16(n.desc + PRSTATUS_CURSIG);
				read_regs(t, core->info.machine, n.desc + PRSTATUS_REG);
			}
			++*nthreads;
			break;
		}
		case NT_PRPSINFO:
			if (n.descsz < PRPSINFO_MIN)
				return note_error(core, idx, phidx, "NT_PRPSINFO", n.descsz,
						  PRPSINFO_MIN);
			if (!count_only && (err = parse_prpsinfo(core, &n)))
				return err;
			break;
		case NT_AUXV:
			if (n.descsz % 16)
				return note_error(core, idx, phidx, "NT_AUXV", n.descsz, 16);
			if (!count_only)
				parse_auxv(core, &n);
			break;
		case NT_FILE:
			if ((err = parse_nt_file(core, &n, idx, phidx, count_only, nmappings)))
				return err;
			break;
		default:
			break;
		}
	}
}

void core_find_exe_path(struct core_file *core)
{
	uint64_t wanted[2] = {core->info.auxv_entry, core->info.auxv_phdr};
	for (int w = 0; w < 2; w++) {
		if (!wanted[w])
			continue;
		for (size_t i = 0; i < core->nmappings; i++) {
			const struct core_mapping *m = &core->mappings[i];
			if (m->start <= wanted[w] && wanted[w] < m->end) {
				core->exe_path = m->path;
				return;
			}
		}
	}
	for (size_t i = 0; i < core->nmappings; i++) {
		if (core->mappings[i].file_offset == 0) {
			core->exe_path = core->mappings[i].path;
			return;
		}
	}
	// No NT_FILE: the path execve was given, on the initial stack.
	char buf[4096];
	if (core->nmappings || !core->info.auxv_execfn)
		return;
	size_t n = 0;
	for (; n < sizeof(buf); n++) {
		struct util_error *err = core_read(core, core->info.auxv_execfn + n, &buf[n], 1);
		if (err) {
			util_error_destroy(err);
			return;
		}
		if (!buf[n])
			break;
	}
	if (n == 0 || n == sizeof(buf))
		return;
	core->exe_path = util_strtab_intern(&core->strings, buf, n);
}
