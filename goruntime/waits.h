// SPDX-License-Identifier: Apache-2.0
/* waits.h: private to goruntime/waits*.c — the probed layouts and the state of
 * the "who waits on what" reader (channels in waits.c, semaphores and sync
 * primitives in waits-sync.c). */
#ifndef GOCORONER_GORUNTIME_WAITS_H
#define GOCORONER_GORUNTIME_WAITS_H

#include "goruntime/internal.h"

/** Offsets probed from DWARF by gr_waits_probe; GR_ABSENT where missing. */
struct gr_waits_layout {
	uint64_t g_waiting;            /* runtime.g.waiting: *sudog */
	/* runtime.sudog */
	uint64_t sg_size;
	uint64_t sg_g, sg_next, sg_prev, sg_waitlink, sg_is_select;
	uint64_t sg_elem, sg_c;        /* the vu word of maybeTraceablePtr in Go 1.26+ */
	/* runtime.hchan; recvq/sendq point at waitq.first */
	uint64_t hc_size;
	uint64_t hc_qcount, hc_dataqsiz, hc_closed, hc_elemtype, hc_recvq, hc_sendq;
	uint64_t hc_timer;             /* Go 1.23+ */
	/* semaphores */
	uint64_t semtable_addr;        /* runtime.semtable, GR_ABSENT if absent */
	uint64_t semtable_count, semtable_stride;
	uint64_t semroot_treap;
	uint64_t nl_head, nl_tail;     /* runtime.notifyList (sync.Cond's waiters) */
	/* sync primitives: where their semaphores sit */
	uint64_t mutex_sema;           /* sync.Mutex: sema, or mu.sema (Go 1.24+) */
	uint64_t rw_w, rw_writer_sem, rw_reader_sem;
	uint64_t wg_sema;              /* sync.WaitGroup: sema, or state2 (Go 1.19) */
	uint64_t cond_notify;          /* sync.Cond.notify */
};

/** The fields of a sudog that the reader uses. */
struct gr_sudog {
	uint64_t addr;
	uint64_t g, next, prev, waitlink;
	uint64_t elem, c;
	bool is_select;
};

/** A sudog found in a channel's queue. */
struct gr_queued {
	uint64_t sudog, g;
	uint32_t chan;                 /* index into gr_waits.chans */
	int32_t pos;
	bool send;
	bool owned;                    /* also reached from its goroutine's g.waiting */
};

/** The reader's state for one snapshot; arrays are malloc'd until published. */
struct gr_waits {
	struct gr_reader *r;
	struct gr_waits_layout l;
	bool chans_ok;                 /* sudog and hchan layouts were found */
	unsigned char *sgbuf;          /* l.sg_size bytes */
	struct util_u64map g_index;    /* g address → goroutine index (gr_waits_index_gs) */
	bool g_indexed;
	/* channels */
	struct util_u64map chan_index; /* hchan address → index into chans */
	struct util_u64map chan_rejected; /* words from frame variables that are no hchan */
	size_t nframe_chans;           /* channels found only through frame variables */
	struct gr_channel *chans;
	size_t nchans, chans_cap;
	/* cws, queued and sudogs grow in mappings of their own (util_grow_mapped):
	 * tens of MB at 300,000 goroutines, that doubling in the heap left holes */
	struct gr_chan_wait *cws;
	size_t ncws, cws_cap;
	struct gr_queued *queued;
	size_t nqueued, queued_cap;
	struct util_u64map queued_index; /* sudog → index into queued */
	struct gr_sudog *sudogs;       /* cache of the sudogs read for channel waits */
	size_t nsudogs, sudogs_cap;
	struct util_u64map sudog_index; /* sudog address → index into sudogs */
	/* semaphores */
	uint64_t *sema_of;             /* per goroutine: c == nil sudog's elem on g.waiting (Go 1.26+) */
	struct gr_sync_wait *sws;
	size_t nsws, sws_cap;
	struct gr_diag_cap diags[5];   /* per gr_waits_diag_kind */
	unsigned reads;                /* far reads since the last core_release_pages */
	uint64_t last_region;          /* 64 KiB region of the last read */
};

enum gr_waits_diag_kind { WD_CHANWAIT, WD_CHANNEL, WD_SYNCWAIT, WD_SEMTABLE, WD_LAYOUT, WD_KINDS };

/** A diagnostic, at most 100 of each kind (gr_diag_capped; counted past that). */
void gr_waits_diag(struct gr_waits *w, enum gr_waits_diag_kind kind, const char *severity,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/**
 * Count a read of scattered core memory; every few thousand, release the
 * core's pages so a walk over a huge core keeps its resident memory flat.
 */
void gr_waits_note_read(struct gr_waits *w, uint64_t addr);

/** Build g_index, once: only cross-checks need it. */
struct util_error *gr_waits_index_gs(struct gr_waits *w);

/** Read the sudog at ADDR; false if the core does not hold it. */
bool gr_waits_read_sudog(struct gr_waits *w, uint64_t addr, struct gr_sudog *s);


/**
 * ADDR, read from a frame variable, as a channel: added to the channels if it
 * is a plausible hchan not listed yet (*ADDED tells). Errors only for memory.
 */
struct util_error *gr_waits_frame_channel(struct gr_waits *w, uint64_t addr, bool *added);

/** Every channel held in a goroutine's frame variables (waits-frames.c). */
struct util_error *gr_waits_frame_chans(struct gr_waits *w);

/** Probe the sync layouts (waits-sync.c). */
void gr_waits_probe_sync(struct gr_waits *w);

/** Find what every goroutine waiting on a semaphore or sync primitive waits on (waits-sync.c). */
struct util_error *gr_waits_sync(struct gr_waits *w);

#endif
