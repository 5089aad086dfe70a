// SPDX-License-Identifier: Apache-2.0
// snapshot.c: gr_snapshot_create, the top of goruntime — probe the
// binary, then read the goroutines, their contexts, waits, defers and what
// the heap reaches, in that order, each reader on the floor below it.
#include <stdlib.h>
#include <string.h>

#include "goruntime/internal.h"
#ifdef GOCORONER_TESTING
#include "goruntime/testing.h"
#endif

enum { DEFAULT_MAX_FRAMES = 1024 };

/*
 * The text of runtime.modinfo (the Go string at ADDR), as 'go version -m'
 * prints it: without the 16-byte sentinels that frame it, as Go's
 * debug/buildinfo strips them, and "" when they are not there. By the
 * string's own length: the closing sentinel holds a NUL byte.
 */
static struct util_error *read_modinfo(struct gr_reader *r, uint64_t addr, const char **ret)
{
	uint64_t hdr[2];
	struct util_error *err = core_read(r->core, addr, hdr, sizeof(hdr));
	if (err)
		return err;
	size_t len = hdr[1];
	if (len < 33 || len > (1 << 20)) {
		*ret = "";
		return NULL;
	}
	char *buf = malloc(len);
	if (!buf)
		return &util_enomem;
	err = core_read(r->core, hdr[0], buf, len);
	if (!err) {
		if (buf[len - 17] == '\n' && !memchr(buf + 16, '\0', len - 32))
			*ret = util_strtab_intern(&r->snap->strings, buf + 16, len - 32);
		else
			*ret = "";
		if (!*ret)
			err = &util_enomem;
	}
	free(buf);
	return err;
}

/* dw_globals_each: the type of runtime.debug, an unnamed struct. */
static struct util_error *find_debug(void *arg, const char *name, uint64_t addr, uint64_t die)
{
	uint64_t *found = arg;
	if (strcmp(name, "runtime.debug") == 0) {
		found[0] = addr;
		found[1] = die;
	}
	return NULL;
}

/* Offset of member NAME of the struct type at DIE (through named types),
 * and its type's DIE; false without it. */
static bool struct_member(struct dw_binary *bin, uint64_t die, const char *name,
			  uint64_t *off, uint64_t *type_die)
{
	struct dw_type_shape sh;
	struct dw_struct_member ms[128];
	if (!dw_type_shape(bin, die, &sh) || sh.kind != DW_GO_STRUCT || !sh.die)
		return false;
	size_t n = dw_struct_members(bin, sh.die, ms, sizeof(ms) / sizeof(ms[0]));
	for (size_t i = 0; i < n; i++)
		if (ms[i].name && strcmp(ms[i].name, name) == 0) {
			*off = ms[i].offset;
			*type_die = ms[i].type_die;
			return true;
		}
	return false;
}

/*
 * Whether the process's traceback prints pprof labels: the GODEBUG setting
 * tracebacklabels, as the runtime parsed it into runtime.debug (Go 1.26
 * added it, default 0; Go 1.27 made it 1; go.mod's godebug lines and
 * $GODEBUG change it). A release without the member never prints them: 0.
 * The member is an atomic.Int32 (its value member), or a plain int32.
 */
static void read_traceback_labels(struct gr_reader *r)
{
	uint64_t found[2] = {0, 0}, off, die, voff = 0, vdie;
	int32_t v;
	r->snap->traceback_labels = -1;
	struct util_error *err = dw_globals_each(r->bin, find_debug, found);
	if (err || !found[0]) {
		util_error_destroy(err);
		return;
	}
	if (!struct_member(r->bin, found[1], "tracebacklabels", &off, &die)) {
		struct dw_type_shape sh;
		if (dw_type_shape(r->bin, found[1], &sh) && sh.kind == DW_GO_STRUCT)
			r->snap->traceback_labels = 0; // the runtime's debug settings, without it
		return;
	}
	if (!struct_member(r->bin, die, "value", &voff, &vdie))
		voff = 0;
	err = core_read(r->core, found[0] + off + voff, &v, sizeof(v));
	if (!err)
		r->snap->traceback_labels = v == 1;
	util_error_destroy(err);
}

static struct util_error *read_build_info(struct gr_reader *r)
{
	struct gr_snapshot *s = r->snap;
	const char *v = NULL;
	struct util_error *err = gr_go_version(r->bin, &v);
	if (err)
		return err;
	s->go_version = gr_intern(s, v);
	free((char *)v);
	s->build_settings = "";
	s->main_path = "";
	uint64_t addr, size;
	err = dw_variable(r->bin, "runtime.modinfo", &addr, &size);
	if (!err) {
		const char *mod = NULL;
		err = read_modinfo(r, addr, &mod);
		if (!err && mod) {
			s->build_settings = mod;
			const char *p = strstr(s->build_settings, "path\t");
			if (p) {
				p += 5;
				size_t len = strcspn(p, "\n");
				s->main_path = util_strtab_intern(&s->strings, p, len);
			}
		}
	}
	util_error_destroy(err);
	return NULL;
}

/* Free the reader's caches (the snapshot it filled lives on). */
static void reader_deinit(struct gr_reader *r)
{
	free(r->pcinfos);
	free(r->ms);
	free(r->stack_list);
	free(r->sudog_addrs);
	free(r->gwords);
	util_u64map_deinit(&r->pc_cache);
	util_u64map_deinit(&r->m_by_addr);
	util_u64map_deinit(&r->stacks);
	gr_stacks_deinit(&r->stacks_copy);
	gr_types_deinit(&r->types);
	gr_frame_maps_free(r);
}

#ifdef GOCORONER_TESTING
const char *gr_test_fail_stage;
#endif

/* Tell that stage NAME begins; an error only from the test seam. */
static struct util_error *stage(const struct gr_options *opts, const char *name)
{
	if (opts->stage)
		opts->stage(name, opts->stage_arg);
#ifdef GOCORONER_TESTING
	if (gr_test_fail_stage && !strcmp(gr_test_fail_stage, name))
		return util_error_create(UTIL_ERROR_INVALID, "%s: failed by the test seam", name);
#endif
	return NULL;
}

struct util_error *gr_snapshot_create(struct core_file *core, struct dw_binary *bin,
				      const struct gr_options *opts, struct gr_snapshot **ret)
{
	struct gr_options defaults = {0};
	if (!opts)
		opts = &defaults;
	struct gr_snapshot *s = calloc(1, sizeof(*s));
	if (!s)
		return &util_enomem;
	util_arena_init(&s->arena);
	util_strtab_init(&s->strings);
	// A PIE's link-time addresses, moved to where the core has it loaded:
	// from here on the binary speaks in the process's addresses.
	dw_binary_set_bias(bin, core_exe_bias(core));
	struct gr_reader r = {
		.core = core,
		.bin = bin,
		.snap = s,
		.max_frames = opts->max_frames ? opts->max_frames : DEFAULT_MAX_FRAMES,
	};
	util_u64map_init(&r.pc_cache);
	util_u64map_init(&r.m_by_addr);
	util_u64map_init(&r.stacks);
	gr_stacks_init(&r.stacks_copy);
	bool shared = false; // the goroutines were given to goroutines_done
	struct util_error *err = gr_layout_probe(bin, &r.layout);
	if (!err && dw_binary_is_stripped(bin))
		err = gr_stripped_globals(&r);
	if (err)
		goto fail;
	gr_types_init(&r);
	err = read_build_info(&r);
	if (err)
		goto fail;
	read_traceback_labels(&r);
	gr_unwind_init(&r);
	err = stage(opts, "goroutines");
	if (!err)
		err = gr_read_goroutines(&r, opts);
	if (err)
		goto fail;
	shared = opts->goroutines_done != NULL;
	if (shared)
		opts->goroutines_done(s, opts->goroutines_done_arg);
	// The defers and the waits first, then the contexts: the contexts are
	// the longest read of a debug build's core, and the writer stores the
	// defers and the waits meanwhile (waits_done) instead of waiting for
	// them (bench/README.md). Nothing of the waits depends on the contexts
	// but which sync waits are on a context's lock (gr_waits_context_locks,
	// after them). The contexts are the stack copies' last readers
	// (stackcopy.c; a debug build's _defer records are in the frames).
	// Then the copies go, before the writer stores the contexts and the
	// heap's marking adds its own memory: kept past the contexts they were
	// the peak (bench/README.md).
	err = stage(opts, "defers");
	if (!err)
		err = gr_read_defers(&r);
	if (!err && opts->defers_done)
		opts->defers_done(s, opts->defers_done_arg);
	if (!err)
		err = stage(opts, "waits");
	if (!err)
		err = gr_read_waits(&r);
	if (!err && opts->waits_done)
		opts->waits_done(s, opts->waits_done_arg);
	if (!err)
		err = stage(opts, "contexts");
	if (!err)
		err = gr_read_contexts(&r);
	gr_stacks_deinit(&r.stacks_copy);
	if (!err)
		err = gr_waits_context_locks(&r);
	// Contexts and channels alike: one line for the incident.
	if (!err && r.dead_vars)
		gr_diag(s, "info", "frame-vars",
			"%zu frame variables dead at their frame's pc were not followed", r.dead_vars);
	// The heap's marking reads neither the contexts nor the sync waits'
	// rows: those are written meanwhile.
	if (!err && opts->contexts_done)
		opts->contexts_done(s, opts->contexts_done_arg);
	if (!err)
		err = stage(opts, "reach");
	if (!err)
		err = gr_read_reach(&r);
	if (!err && core_info(core)->problem)
		gr_diag(s, "warning", "core", "%s", core_info(core)->problem);
	// What the executable's tables had corrupt, met while reading them
	// (a function name that is not text, a line table that does not decode).
	for (size_t i = 0; !err && i < dw_binary_num_problems(bin); i++)
		gr_diag(s, "warning", "executable", "%s", dw_binary_problem(bin, i));
	if (!err && dw_binary_problems_dropped(bin))
		gr_diag(s, "info", "executable", "%zu more problems of the executable not recorded",
			dw_binary_problems_dropped(bin));
	if (!err)
		stage(opts, "snapshot done");
	// Another thread may be reading the goroutines (goroutines_done): it
	// stops before they are freed, not while or after.
	if (err && shared && opts->snapshot_failed)
		opts->snapshot_failed(s, opts->snapshot_failed_arg);
fail:
	reader_deinit(&r);
	if (err) {
		gr_snapshot_destroy(s);
		return err;
	}
	*ret = s;
	return NULL;
}

void gr_snapshot_destroy(struct gr_snapshot *s)
{
	if (!s)
		return;
	util_strtab_deinit(&s->strings);
	util_arena_deinit(&s->arena);
	for (size_t i = 0; i < s->nowned; i++)
		free(s->owned[i]);
	free(s->owned);
	util_unmap_array(s->contexts, s->contexts_mapped, sizeof(*s->contexts));
	gr_snapshot_drop_defers(s);
	free(s);
}

void gr_snapshot_drop_defers(struct gr_snapshot *s)
{
	util_unmap_array(s->defers, s->defers_mapped, sizeof(*s->defers));
	s->defers = NULL;
	s->ndefers = s->defers_mapped = 0;
}
