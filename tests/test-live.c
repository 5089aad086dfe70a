// SPDX-License-Identifier: Apache-2.0
// test-live.c: the liveness of stack words (goruntime/stackmap.c,
// gr_stack_live_word), on synthetic frames, bitmaps and stack objects: the
// rule by which a frame variable is trusted. The corpus side (dead
// variables of real frames dropped, planted holdings all live) is in
// tests/test-findings.sh and tests/test-diag.sh.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "goruntime/internal.h"

enum { LO = 0x1000, HI = 0x1400 };

/* The stack's words, [LO, HI). */
static uint64_t mem[(HI - LO) / 8];

static uint64_t *word(uint64_t addr)
{
	return &mem[(addr - LO) / 8];
}

static bool read_mem(void *arg, const struct gr_goroutine *g, uint64_t addr, void *buf, size_t len)
{
	(void)arg;
	(void)g;
	if (addr < LO || addr + len > HI)
		return false;
	memcpy(buf, (const unsigned char *)mem + (addr - LO), len);
	return true;
}

static struct gr_stackmaps maps; /* only its address: the frames are given */
static struct gr_goroutine fake_g = {.goid = 7};

/*
 * Two frames, as gr_stack_live_of would describe a parked goroutine:
 *   frame 0 (callee) [0x1000, 0x1100): locals bitmap of 4 words at 0x10c0,
 *     bits 0b0101 (0x10c0 and 0x10d0 live); args from its fp 0x1100,
 *     2 words, bit 0 (0x1100 live: a spilled register argument).
 *   frame 1 (caller) [0x1100, 0x1300): locals 8 words at 0x1280, bits
 *     0b00000011 (0x1280, 0x1288); stack objects A = [0x1200, 0x1220) with
 *     pointer words 0 and 2 (mask 0b101), B = [0x1240, 0x1250), C =
 *     [0x1250, 0x1260) (ptrbytes 0: no pointers).
 *   frame 2 (outermost, no maps) [0x1300, 0x1380).
 */
static const uint8_t locals0[] = {0x05}, args0[] = {0x01}, locals1[] = {0x03}, mask_a[] = {0x05};

static void setup_live(struct gr_stack_live *l, struct gr_live_frame *frames,
		       struct gr_live_object *objs)
{
	memset(mem, 0, sizeof(mem));
	gr_stack_live_init(l, &maps, read_mem, NULL);
	frames[0] = (struct gr_live_frame){.lo = 0x1000, .hi = 0x1100, .verified = true,
					   .locals = 0x10c0, .locals_nbit = 4, .locals_bits = locals0,
					   .args = 0x1100, .args_nbit = 2, .args_bits = args0};
	frames[1] = (struct gr_live_frame){.lo = 0x1100, .hi = 0x1300, .verified = true,
					   .locals = 0x1280, .locals_nbit = 8, .locals_bits = locals1,
					   .args = 0x1300, .args_nbit = 0};
	frames[2] = (struct gr_live_frame){.lo = 0x1300, .hi = 0x1380, .args_end = 0x1390};
	objs[0] = (struct gr_live_object){.base = 0x1200, .size = 0x20, .ptrbytes = 0x18, .mask = mask_a};
	objs[1] = (struct gr_live_object){.base = 0x1240, .size = 0x10, .ptrbytes = 0x10};
	objs[2] = (struct gr_live_object){.base = 0x1250, .size = 0x10, .ptrbytes = 0};
	// Borrowed arrays: gr_stack_live_deinit would free them, so the test
	// clears them before it.
	l->frames = frames;
	l->nframes = 3;
	l->objs = objs;
	l->nobjs = 3;
	l->g = &fake_g;
	l->goid = fake_g.goid;
	l->lo = LO;
	l->hi = HI;
}

static void teardown_live(struct gr_stack_live *l)
{
	l->frames = NULL;
	l->objs = NULL;
	gr_stack_live_deinit(l);
}

static void test_bitmaps(void **state)
{
	(void)state;
	struct gr_stack_live l;
	struct gr_live_frame frames[3];
	struct gr_live_object objs[3];
	setup_live(&l, frames, objs);
	assert_int_equal(gr_stack_live_word(&l, 0x10c0), GR_LIVE_YES);
	assert_int_equal(gr_stack_live_word(&l, 0x10c8), GR_LIVE_DEAD); // bit 1 clear
	assert_int_equal(gr_stack_live_word(&l, 0x10d0), GR_LIVE_YES);
	assert_int_equal(gr_stack_live_word(&l, 0x10d8), GR_LIVE_DEAD);
	assert_int_equal(gr_stack_live_word(&l, 0x1010), GR_LIVE_DEAD); // below the bitmap
	// The callee's spilled argument lies in the caller's frame: its own args bitmap says.
	assert_int_equal(gr_stack_live_word(&l, 0x1100), GR_LIVE_YES);
	assert_int_equal(gr_stack_live_word(&l, 0x1108), GR_LIVE_DEAD);
	assert_int_equal(gr_stack_live_word(&l, 0x1288), GR_LIVE_YES);
	assert_int_equal(gr_stack_live_word(&l, 0x1290), GR_LIVE_DEAD);
	assert_int_equal(gr_stack_live_word(&l, 0x1284), GR_LIVE_DEAD); // not a word of the bitmap
	// No maps: kept, unverified — its words and its arguments above it.
	assert_int_equal(gr_stack_live_word(&l, 0x1300), GR_LIVE_UNVERIFIED);
	assert_int_equal(gr_stack_live_word(&l, 0x1388), GR_LIVE_UNVERIFIED);
	// Outside every frame: nothing known.
	assert_int_equal(gr_stack_live_word(&l, 0x13f0), GR_LIVE_UNVERIFIED);
	assert_false(l.marked); // no stack object asked about yet
	teardown_live(&l);
}

static void test_objects_unreached(void **state)
{
	(void)state;
	struct gr_stack_live l;
	struct gr_live_frame frames[3];
	struct gr_live_object objs[3];
	setup_live(&l, frames, objs);
	// A dead slot (bit 1 of frame 0's locals) points to A: not a root.
	*word(0x10c8) = 0x1208;
	assert_int_equal(gr_stack_live_word(&l, 0x1200), GR_LIVE_DEAD);
	assert_int_equal(gr_stack_live_word(&l, 0x1248), GR_LIVE_DEAD);
	assert_true(l.marked);
	teardown_live(&l);
}

static void test_objects_transitive(void **state)
{
	(void)state;
	struct gr_stack_live l;
	struct gr_live_frame frames[3];
	struct gr_live_object objs[3];
	setup_live(&l, frames, objs);
	*word(0x1280) = 0x1210;      // a live slot points inside A
	*word(0x1210) = 0x1240;      // A's pointer word 2 points to B
	*word(0x1208) = 0x1250;      // A's word 1 is no pointer (mask): C stays dead
	*word(0x1240) = 0x1100;      // B points into the stack outside any object: nothing
	assert_int_equal(gr_stack_live_word(&l, 0x1218), GR_LIVE_YES); // every word of a live object
	assert_int_equal(gr_stack_live_word(&l, 0x1248), GR_LIVE_YES);
	assert_int_equal(gr_stack_live_word(&l, 0x1250), GR_LIVE_DEAD);
	assert_int_equal(gr_stack_live_word(&l, 0x1228), GR_LIVE_DEAD); // between objects
	teardown_live(&l);
}

static void test_objects_from_unverified(void **state)
{
	(void)state;
	struct gr_stack_live l;
	struct gr_live_frame frames[3];
	struct gr_live_object objs[3];
	setup_live(&l, frames, objs);
	// A frame without maps is read word by word, as the collector reads
	// it conservatively: any word pointing into C marks it.
	*word(0x1340) = 0x1258;
	assert_int_equal(gr_stack_live_word(&l, 0x1250), GR_LIVE_YES);
	assert_int_equal(gr_stack_live_word(&l, 0x1200), GR_LIVE_DEAD);
	teardown_live(&l);
}

static void test_objects_from_defers(void **state)
{
	(void)state;
	struct gr_stack_live l;
	struct gr_live_frame frames[3];
	struct gr_live_object objs[3];
	setup_live(&l, frames, objs);
	// A runtime.g at 0x13a0 (_defer at +0, _panic at +8) whose one defer
	// record, at 0x13c0 (fn at +0, link at +8), holds a closure in C: the
	// collector takes d.fn as a root (scanstack), so C is live.
	maps.g_defer = 0, maps.g_panic = 8, maps.d_fn = 0, maps.d_link = 8;
	l.g_addr = 0x13a0;
	*word(0x13a0) = 0x13c0;
	*word(0x13c0) = 0x1258;
	assert_int_equal(gr_stack_live_word(&l, 0x1250), GR_LIVE_YES);
	assert_int_equal(gr_stack_live_word(&l, 0x1200), GR_LIVE_DEAD);
	teardown_live(&l);
	// A panic in progress points to B.
	setup_live(&l, frames, objs);
	l.g_addr = 0x13a0;
	*word(0x13a8) = 0x1240;
	assert_int_equal(gr_stack_live_word(&l, 0x1248), GR_LIVE_YES);
	teardown_live(&l);
	maps.g_defer = maps.g_panic = maps.d_fn = maps.d_link = GR_ABSENT;
}

/* What gr_stack_live_visit reports, one entry per call. */
static char visited[256];

static void visit_words(void *arg, uint64_t lo, uint64_t hi)
{
	(void)arg;
	size_t n = strlen(visited);
	snprintf(visited + n, sizeof(visited) - n, "words %#llx-%#llx;", (unsigned long long)lo,
		 (unsigned long long)hi);
}

static void visit_bits(void *arg, uint64_t base, const uint8_t *bitmap, uint32_t nbit)
{
	(void)arg;
	size_t n = strlen(visited);
	snprintf(visited + n, sizeof(visited) - n, "bits %#llx %u %#x;", (unsigned long long)base,
		 nbit, bitmap[0]);
}

/*
 * The heap marking (reach.c) scans a stack as the collector does: each
 * described frame's live slots by its bitmaps, a frame without maps word by
 * word, then the stack objects the collector would scan, each by its own
 * mask — a live slot reaches A, A reaches B; C, which only a non-pointer
 * word of A and a dead slot point to, is not scanned. A stack with no frame
 * described is read word by word.
 */
static void test_visit(void **state)
{
	(void)state;
	static const char frames_seen[] =
		"bits 0x10c0 4 0x5;bits 0x1100 2 0x1;bits 0x1280 8 0x3;words 0x1300-0x1380;";
	struct gr_stack_live l;
	struct gr_live_frame frames[3];
	struct gr_live_object objs[3];
	setup_live(&l, frames, objs);
	*word(0x1280) = 0x1210;
	*word(0x1210) = 0x1240;
	*word(0x1208) = 0x1250;
	*word(0x10c8) = 0x1250;
	struct gr_stack_visit v = {visit_words, visit_bits, NULL};
	visited[0] = 0;
	gr_stack_live_visit(&l, LO, HI, &v);
	char want[256];
	snprintf(want, sizeof(want), "%sbits 0x1200 3 0x5;words 0x1240-0x1250;", frames_seen);
	assert_string_equal(visited, want);
	teardown_live(&l);
	// Nothing reaches any object: the frames only.
	setup_live(&l, frames, objs);
	visited[0] = 0;
	gr_stack_live_visit(&l, LO, HI, &v);
	assert_string_equal(visited, frames_seen);
	teardown_live(&l);
	// No frame described: every word.
	gr_stack_live_init(&l, &maps, read_mem, NULL);
	visited[0] = 0;
	gr_stack_live_visit(&l, 0x1010, HI, &v);
	assert_string_equal(visited, "words 0x1010-0x1400;");
	gr_stack_live_deinit(&l);
}

static void test_no_stack(void **state)
{
	(void)state;
	struct gr_stack_live l;
	gr_stack_live_init(&l, &maps, read_mem, NULL);
	// Nothing described: nothing can be said to be dead.
	assert_int_equal(gr_stack_live_word(&l, 0x1000), GR_LIVE_UNVERIFIED);
	gr_stack_live_deinit(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bitmaps),
		cmocka_unit_test(test_objects_unreached),
		cmocka_unit_test(test_objects_transitive),
		cmocka_unit_test(test_objects_from_unverified),
		cmocka_unit_test(test_objects_from_defers),
		cmocka_unit_test(test_visit),
		cmocka_unit_test(test_no_stack),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
