// SPDX-License-Identifier: Apache-2.0
// writecore.c: write a capture (core/capture.c) as a zstd-compressed ELF core
// that gdb, Delve and gocoroner read like the kernel's.
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>

#include "core/capture.h"
#include "core/internal.h"

#ifndef NT_FILE
#define NT_FILE 0x46494c45
#endif

enum { PAGE = 4096, OUT_CHUNK = 1 << 20 };

/* A growing buffer of notes, each padded to 4 bytes as the kernel writes them. */
struct notebuf {
	uint8_t *p;
	size_t len, cap;
	bool nomem;
};

static void nb_put(struct notebuf *nb, const void *data, size_t len)
{
	size_t padded = (len + 3) & ~(size_t)3;
	if (nb->nomem)
		return;
	if (util_grow((void **)&nb->p, nb->len + padded - 1, &nb->cap, 1, 4096)) {
		nb->nomem = true;
		return;
	}
	if (len)
		memcpy(nb->p + nb->len, data, len);
	memset(nb->p + nb->len + len, 0, padded - len);
	nb->len += padded;
}

static void note(struct notebuf *nb, const char *name, uint32_t type, const void *desc,
		 size_t len)
{
	uint32_t hdr[3] = {(uint32_t)strlen(name) + 1, (uint32_t)len, type};
	nb_put(nb, hdr, sizeof(hdr));
	nb_put(nb, name, hdr[0]);
	nb_put(nb, desc, len);
}

static void thread_notes(struct notebuf *nb, const struct core_capture *cap,
			 const struct cap_thread *t, bool first)
{
	struct elf_prstatus st;
	memset(&st, 0, sizeof(st));
	st.pr_pid = t->tid;
	st.pr_ppid = cap->ppid;
	st.pr_pgrp = cap->pgrp;
	st.pr_sid = cap->sid;
	_Static_assert(sizeof(st.pr_reg) == sizeof(t->regs), "pr_reg is user_regs_struct");
	memcpy(&st.pr_reg, &t->regs, sizeof(t->regs));
	st.pr_fpvalid = t->have_fpregs;
	note(nb, "CORE", NT_PRSTATUS, &st, sizeof(st));
	if (first) {
		note(nb, "CORE", NT_PRPSINFO, &cap->psinfo, sizeof(cap->psinfo));
		note(nb, "CORE", NT_AUXV, cap->auxv, cap->auxv_len);
		// NT_FILE: count, page size, (start, end, page offset) each, the paths.
		uint64_t count = 0;
		for (size_t i = 0; i < cap->nmaps; i++)
			count += cap->maps[i].path[0] == '/';
		struct notebuf f = {0};
		uint64_t head[2] = {count, PAGE};
		// Not nb_put: the triples must stay unpadded (they are 8-byte multiples).
		nb_put(&f, head, sizeof(head));
		for (size_t i = 0; i < cap->nmaps; i++) {
			const struct cap_map *m = &cap->maps[i];
			if (m->path[0] != '/')
				continue;
			uint64_t tr[3] = {m->start, m->end, m->offset / PAGE};
			nb_put(&f, tr, sizeof(tr));
		}
		size_t names = f.len;
		for (size_t i = 0; i < cap->nmaps; i++) {
			const struct cap_map *m = &cap->maps[i];
			if (m->path[0] != '/')
				continue;
			// Packed NUL-terminated, not padded: grow then write by hand.
			size_t n = strlen(m->path) + 1;
			if (f.nomem ||
			    util_grow((void **)&f.p, names + n + 3, &f.cap, 1, 4096)) {
				f.nomem = true;
				break;
			}
			memcpy(f.p + names, m->path, n);
			names += n;
		}
		f.len = names;
		if (f.nomem)
			nb->nomem = true;
		else
			note(nb, "CORE", NT_FILE, f.p, f.len);
		free(f.p);
	}
	if (t->have_fpregs)
		note(nb, "CORE", NT_FPREGSET, &t->fpregs, sizeof(t->fpregs));
	if (t->xstate)
		note(nb, "LINUX", NT_X86_XSTATE, t->xstate, t->xstate_len);
}

/* The zstd stream to the output file. */
struct zout {
	ZSTD_CCtx *cctx;
	int fd;
	const char *path;
	uint8_t *out;
	uint64_t written;   /**< compressed bytes written */
	uint64_t in;        /**< raw bytes given */
};

static struct util_error *zout_flush(struct zout *z, ZSTD_outBuffer *ob)
{
	for (size_t off = 0; off < ob->pos;) {
		ssize_t n = write(z->fd, z->out + off, ob->pos - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return util_error_os(errno, z->path, "write");
		off += (size_t)n;
	}
	z->written += ob->pos;
	ob->pos = 0;
	return NULL;
}

static struct util_error *zout_put(struct zout *z, const void *data, size_t len,
				   ZSTD_EndDirective mode)
{
	ZSTD_inBuffer ib = {data, len, 0};
	ZSTD_outBuffer ob = {z->out, OUT_CHUNK, 0};
	for (;;) {
		size_t r = ZSTD_compressStream2(z->cctx, &ob, &ib, mode);
		if (ZSTD_isError(r))
			return util_error_create(UTIL_ERROR_LIB, "%s: zstd: %s", z->path,
						 ZSTD_getErrorName(r));
		struct util_error *err = zout_flush(z, &ob);
		if (err)
			return err;
		if (mode == ZSTD_e_continue ? ib.pos == ib.size : r == 0)
			break;
	}
	z->in += len;
	return NULL;
}

static const uint8_t zeros[1 << 16];

static struct util_error *zout_zeros(struct zout *z, uint64_t len)
{
	while (len) {
		size_t n = len < sizeof(zeros) ? (size_t)len : sizeof(zeros);
		struct util_error *err = zout_put(z, zeros, n, ZSTD_e_continue);
		if (err)
			return err;
		len -= n;
	}
	return NULL;
}

static uint32_t flags(const struct cap_map *m)
{
	return (m->r ? PF_R : 0) | (m->w ? PF_W : 0) | (m->x ? PF_X : 0);
}

/* Everything after the headers: the notes, each mapping's image, the section names and headers. */
static struct util_error *write_body(struct core_capture *cap, struct zout *z,
				     const struct notebuf *nb, uint64_t notes_off,
				     uint64_t loads_off, uint64_t shstr_off, uint64_t sh_off,
				     const char *shstr, size_t shstr_len, const Elf64_Shdr *sh,
				     size_t nsh)
{
	struct util_error *err = zout_put(z, nb->p, nb->len, ZSTD_e_continue);
	if (!err)
		err = zout_zeros(z, loads_off - notes_off - nb->len);
	for (size_t i = 0; i < cap->nmaps && !err; i++) {
		const struct cap_map *m = &cap->maps[i];
		uint64_t at = m->start, end = m->start + m->dump_len;
		for (size_t k = 0; k < m->nruns && !err; k++) {
			const struct cap_run *r = &cap->runs[m->first_run + k];
			if (r->addr < at || r->addr + r->len > end)
				return util_error_create(UTIL_ERROR_INVALID,
							 "%s: range 0x%" PRIx64 " of the capture is"
							 " out of place", z->path, r->addr);
			err = zout_zeros(z, r->addr - at);
			if (!err)
				err = zout_put(z, r->data, r->len, ZSTD_e_continue);
			at = r->addr + r->len;
		}
		if (!err)
			err = zout_zeros(z, end - at);
	}
	if (!err && z->in != shstr_off)
		return util_error_create(UTIL_ERROR_INVALID, "%s: core layout is off (%" PRIu64
					 " bytes written, %" PRIu64 " planned)", z->path, z->in,
					 shstr_off);
	if (!err)
		err = zout_put(z, shstr, shstr_len, ZSTD_e_continue);
	if (!err)
		err = zout_zeros(z, sh_off - shstr_off - shstr_len);
	if (!err)
		err = zout_put(z, sh, nsh * sizeof(*sh), ZSTD_e_end);
	return err;
}

struct util_error *core_capture_write(struct core_capture *cap, const char *path, int level)
{
	struct notebuf nb = {0};
	for (size_t i = 0; i < cap->nthreads; i++)
		thread_notes(&nb, cap, &cap->threads[i], i == 0);
	if (nb.nomem) {
		free(nb.p);
		return &util_enomem;
	}
	size_t phnum = 1 + cap->nmaps;
	uint64_t notes_off = sizeof(Elf64_Ehdr) + phnum * sizeof(Elf64_Phdr);
	uint64_t loads_off = (notes_off + nb.len + PAGE - 1) / PAGE * PAGE;
	uint64_t off = loads_off;
	Elf64_Phdr *ph = calloc(phnum, sizeof(*ph));
	if (!ph) {
		free(nb.p);
		return &util_enomem;
	}
	ph[0] = (Elf64_Phdr){.p_type = PT_NOTE, .p_offset = notes_off, .p_filesz = nb.len,
			     .p_align = 4};
	for (size_t i = 0; i < cap->nmaps; i++) {
		const struct cap_map *m = &cap->maps[i];
		ph[1 + i] = (Elf64_Phdr){.p_type = PT_LOAD, .p_flags = flags(m), .p_offset = off,
					 .p_vaddr = m->start, .p_filesz = m->dump_len,
					 .p_memsz = m->end - m->start, .p_align = PAGE};
		off += m->dump_len;
	}
	// Section headers, as gdb's gcore (BFD) writes: they say "not the kernel's".
	static const char shstr[] = "\0note0\0.shstrtab";
	uint64_t shstr_off = off;
	uint64_t sh_off = (shstr_off + sizeof(shstr) + 7) / 8 * 8;
	Elf64_Shdr sh[3] = {
		{.sh_info = phnum >= PN_XNUM ? (uint32_t)phnum : 0},
		{.sh_name = 1, .sh_type = SHT_NOTE, .sh_flags = SHF_ALLOC, .sh_offset = notes_off,
		 .sh_size = nb.len, .sh_addralign = 4},
		{.sh_name = 7, .sh_type = SHT_STRTAB, .sh_offset = shstr_off,
		 .sh_size = sizeof(shstr), .sh_addralign = 1},
	};
	Elf64_Ehdr eh = {
		.e_ident = {ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT,
			    ELFOSABI_NONE},
		.e_type = ET_CORE,
		.e_machine = EM_X86_64,
		.e_version = EV_CURRENT,
		.e_phoff = sizeof(Elf64_Ehdr),
		.e_shoff = sh_off,
		.e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr),
		.e_phnum = phnum >= PN_XNUM ? PN_XNUM : (uint16_t)phnum,
		.e_shentsize = sizeof(Elf64_Shdr),
		.e_shnum = 3,
		.e_shstrndx = 2,
	};
	uint64_t total = sh_off + sizeof(sh);

	char *tmp = malloc(strlen(path) + 5);
	struct zout z = {.path = path, .fd = -1};
	struct util_error *err = NULL;
	if (!tmp) {
		err = &util_enomem;
		goto out;
	}
	sprintf(tmp, "%s.tmp", path);
	z.cctx = ZSTD_createCCtx();
	z.out = malloc(OUT_CHUNK);
	if (!z.cctx || !z.out) {
		err = &util_enomem;
		goto out;
	}
	ZSTD_CCtx_setParameter(z.cctx, ZSTD_c_compressionLevel, level);
	ZSTD_CCtx_setParameter(z.cctx, ZSTD_c_nbWorkers, 2); // refused without threads: fine
	ZSTD_CCtx_setPledgedSrcSize(z.cctx, total);
	z.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (z.fd < 0) {
		err = util_error_os(errno, tmp, "create");
		goto out;
	}
	err = zout_put(&z, &eh, sizeof(eh), ZSTD_e_continue);
	if (!err)
		err = zout_put(&z, ph, phnum * sizeof(*ph), ZSTD_e_continue);
	if (!err)
		err = write_body(cap, &z, &nb, notes_off, loads_off, shstr_off, sh_off, shstr,
				 sizeof(shstr), sh, 3);
	if (!err && fsync(z.fd) < 0 && errno != EINVAL)
		err = util_error_os(errno, tmp, "fsync");
	if (close(z.fd) < 0 && !err)
		err = util_error_os(errno, tmp, "close");
	z.fd = -1;
	if (!err && rename(tmp, path) < 0)
		err = util_error_os(errno, path, "rename");
	if (!err) {
		cap->stats.core_size = total;
		cap->stats.file_size = z.written;
	}
out:
	if (z.fd >= 0)
		close(z.fd);
	if (err && tmp)
		unlink(tmp);
	free(tmp);
	free(z.out);
	ZSTD_freeCCtx(z.cctx);
	free(ph);
	free(nb.p);
	return err;
}
