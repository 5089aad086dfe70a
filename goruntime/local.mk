# SPDX-License-Identifier: Apache-2.0
libgocoroner_a_SOURCES += goruntime/goruntime.h goruntime/internal.h goruntime/testing.h \
	goruntime/snapshot.c goruntime/stripped.c goruntime/reader.c goruntime/layout.c goruntime/gotypes.c goruntime/govalues.c goruntime/goroutines.c goruntime/unwind.c \
	goruntime/labels.c goruntime/version.c goruntime/waits.c goruntime/defers.c goruntime/contexts.c goruntime/ctxfind.c goruntime/ctxscan.c goruntime/ctxroots.c goruntime/ctxcancel.c goruntime/ctxshape.c goruntime/ctxshape.h goruntime/ctxtypes.c goruntime/ctxindex.c goruntime/ctxcodes.c goruntime/ctx.h \
	goruntime/waits.h goruntime/waits-sync.c goruntime/waits-frames.c goruntime/framevars.c goruntime/stackcopy.c
libgocoroner_a_SOURCES += goruntime/defers.h goruntime/panics.c \
	goruntime/heap.h goruntime/heap.c goruntime/heapbits.h goruntime/heapbits.c goruntime/reach.c goruntime/reach.h goruntime/heapgraph.c goruntime/waitgraph.c goruntime/stackmap.c \
	goruntime/victims.c
