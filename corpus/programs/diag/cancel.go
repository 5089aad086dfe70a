package main

// Scenarios of cancel_unobserved, cancel_detached and cancel_broken_link.
// Every holder keeps its context live across its wait (runtime.KeepAlive),
// so that optimized builds keep it in a stack slot.

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"
)

type diagKey string

var (
	cuRecvCh    = make(chan int)
	cuSelectA   = make(chan int)
	cuSelectB   = make(chan string)
	cuDeepCh    = make(chan int)
	cuHoldCh    = make(chan int) // plain receive of the holders of look-alikes
	cuMutex     = new(sync.Mutex)
	cuLiveCh    = make(chan int)
	cuSpinCount uint64
	cuSpinSink  context.Context
	blDoneWait  = make(chan int)
)

// --- cancel_unobserved bugs

//go:noinline
func diagRecvCanceled(ctx context.Context, ch chan int) {
	holdCtx("cu-recv-ctx", ctx)
	register("cu-recv")
	<-ch
	runtime.KeepAlive(ctx)
}

//go:noinline
func diagSelectCanceled(ctx context.Context, a chan int, b chan string) {
	holdCtx("cu-select-ctx", ctx)
	register("cu-select")
	select {
	case <-a:
	case <-b:
	}
	runtime.KeepAlive(ctx)
}

//go:noinline
func diagMutexCanceled(ctx context.Context, mu *sync.Mutex) {
	holdCtx("cu-mutex-ctx", ctx)
	register("cu-mutex")
	mu.Lock()
	runtime.KeepAlive(ctx)
}

//go:noinline
func diagSleepExpired(ctx context.Context) {
	holdCtx("cu-sleep-ctx", ctx)
	register("cu-sleep")
	time.Sleep(time.Hour)
	runtime.KeepAlive(ctx)
}

// A 5-layer call chain, every layer taking the context; only the innermost
// blocks (on a plain receive): it is the culprit frame.

//go:noinline
func diagLayer1(ctx context.Context, n int) {
	holdCtx("cu-deep-ctx", ctx)
	diagLayer2(ctx, n+1)
	runtime.KeepAlive(ctx)
}

//go:noinline
func diagLayer2(ctx context.Context, n int) {
	holdCtx("cu-deep-ctx", ctx)
	diagLayer3(ctx, n+1)
	runtime.KeepAlive(ctx)
}

//go:noinline
func diagLayer3(ctx context.Context, n int) {
	holdCtx("cu-deep-ctx", ctx)
	diagLayer4(ctx, n+1)
	runtime.KeepAlive(ctx)
}

//go:noinline
func diagLayer4(ctx context.Context, n int) {
	holdCtx("cu-deep-ctx", ctx)
	diagLayer5(ctx, n+1)
	runtime.KeepAlive(ctx)
}

//go:noinline
func diagLayer5(ctx context.Context, n int) {
	holdCtx("cu-deep-ctx", ctx)
	register("cu-deep")
	v := <-cuDeepCh
	_ = v + n
	runtime.KeepAlive(ctx)
}

// --- look-alikes

//go:noinline
func diagSelectLive(ctx context.Context, ch chan int) {
	holdCtx("cu-live-ctx", ctx)
	register("cu-live-select")
	select {
	case <-ctx.Done():
	case <-ch:
	}
	runtime.KeepAlive(ctx)
}

//go:noinline
func diagHoldPending(ctx context.Context) {
	holdCtx("cu-pending-ctx", ctx)
	register("cu-pending")
	<-cuHoldCh
	runtime.KeepAlive(ctx)
}

//go:noinline
func diagSpinCanceled(ctx context.Context) {
	holdCtx("cu-spin-ctx", ctx)
	register("cu-spinner")
	for {
		cuSpinCount++
		if cuSpinCount&(1<<62) != 0 { // never: keeps ctx live in the loop
			cuSpinSink = ctx
		}
	}
}

// --- cancel_broken_link

// brokenCtx wraps a parent but does not propagate its cancellation: Done is
// its own never-closed channel, Err is always nil. WithCancel of it cannot
// register with the parent's cancelCtx, so the context package starts a
// watcher goroutine, which waits on brokenCtx.done forever.
type brokenCtx struct {
	context.Context
	done chan struct{}
}

func (b brokenCtx) Done() <-chan struct{} { return b.done }
func (b brokenCtx) Err() error            { return nil }

// embedCtx embeds a Context and overrides neither Done nor Err: it
// propagates (WithCancel of it registers with the parent's cancelCtx).
type embedCtx struct {
	context.Context
	tag string
}

//go:noinline
func diagBrokenWaiter(ctx context.Context) {
	holdCtx("bl-child", ctx)
	register("bl-broken")
	<-ctx.Done()
	runtime.KeepAlive(ctx)
}

//go:noinline
func diagEmbedHolder(ctx context.Context) {
	holdCtx("bl-embed-child", ctx)
	register("bl-embed")
	<-blDoneWait
	runtime.KeepAlive(ctx)
}

func startCancelScenarios() {
	bg := context.Background()

	// cu-recv: a directly canceled WithCancel, plain receive.
	ctx, cancel := context.WithCancel(bg)
	cancel()
	noteCtx("cu-recv-ctx", ctx)
	a := ctxAddr("cu-recv-ctx")
	addr("cu-recv-chan", cuRecvCh)
	expect("cancel_unobserved", "cu-recv",
		fmt.Sprintf("func=main.diagRecvCanceled ctx=%s canceled=%s obj=%p", a, a, cuRecvCh))
	start("cu-recv", func() { diagRecvCanceled(ctx, cuRecvCh) })

	// cu-select: WithCancel (grandparent, canceled) -> WithValue ->
	// WithCancel (held); select on two channels, neither Done.
	gp, gpCancel := context.WithCancel(bg)
	val := context.WithValue(gp, diagKey("tenant"), "t-9")
	held, heldCancel := context.WithCancel(val)
	cancels = append(cancels, heldCancel)
	gpCancel()
	noteCtx("cu-select-gp", gp)
	noteCtx("cu-select-value", val)
	noteCtx("cu-select-ctx", held)
	addr("cu-select-a", cuSelectA)
	addr("cu-select-b", cuSelectB)
	expect("cancel_unobserved", "cu-select",
		fmt.Sprintf("func=main.diagSelectCanceled ctx=%s canceled=%s", ctxAddr("cu-select-ctx"), ctxAddr("cu-select-gp")))
	start("cu-select", func() { diagSelectCanceled(held, cuSelectA, cuSelectB) })

	// cu-mutex: blocked on a sync.Mutex held by main (reachable: global).
	mctx, mcancel := context.WithCancel(bg)
	mcancel()
	noteCtx("cu-mutex-ctx", mctx)
	cuMutex.Lock()
	a = ctxAddr("cu-mutex-ctx")
	addr("cu-mutex-mutex", cuMutex)
	expect("cancel_unobserved", "cu-mutex",
		fmt.Sprintf("func=main.diagMutexCanceled ctx=%s canceled=%s obj=%p", a, a, cuMutex))
	start("cu-mutex", func() { diagMutexCanceled(mctx, cuMutex) })

	// cu-sleep: an expired WithTimeout, time.Sleep(1h).
	tctx, tcancel := context.WithTimeout(bg, time.Millisecond)
	cancels = append(cancels, tcancel)
	<-tctx.Done()
	noteCtx("cu-sleep-ctx", tctx)
	a = ctxAddr("cu-sleep-ctx")
	expect("cancel_unobserved", "cu-sleep",
		fmt.Sprintf("func=main.diagSleepExpired ctx=%s canceled=%s", a, a))
	start("cu-sleep", func() { diagSleepExpired(tctx) })

	// cu-cause (Go 1.20+): WithCancelCause canceled with a cause.
	startCauseScenario()

	// cu-deep: 5 layers, the innermost blocks.
	dctx, dcancel := context.WithCancel(bg)
	dcancel()
	noteCtx("cu-deep-ctx", dctx)
	a = ctxAddr("cu-deep-ctx")
	addr("cu-deep-chan", cuDeepCh)
	expect("cancel_unobserved", "cu-deep",
		fmt.Sprintf("func=main.diagLayer5 ctx=%s canceled=%s obj=%p", a, a, cuDeepCh))
	start("cu-deep", func() { diagLayer1(dctx, 1) })

	// Look-alikes.
	lctx, lcancel := context.WithCancel(bg)
	cancels = append(cancels, lcancel)
	noteCtx("cu-live-ctx", lctx)
	clean("cancel_unobserved", "cu-live-select")
	start("cu-live-select", func() { diagSelectLive(lctx, cuLiveCh) })

	pctx, pcancel := context.WithTimeout(bg, 2*time.Hour)
	cancels = append(cancels, pcancel)
	noteCtx("cu-pending-ctx", pctx)
	clean("cancel_unobserved", "cu-pending")
	start("cu-pending", func() { diagHoldPending(pctx) })

	startWithoutCancelScenario()

	sctx, scancel := context.WithCancel(bg)
	scancel()
	noteCtx("cu-spin-ctx", sctx)
	clean("cancel_unobserved", "cu-spinner")
	startNoWait("cu-spinner", func() { diagSpinCanceled(sctx) })

	keep = append(keep, ctx, held, mctx, tctx, dctx, lctx, pctx, sctx)
}

func startBrokenLink() {
	bg := context.Background()

	// bl-broken: brokenCtx over a canceled parent; WithCancel of it is live.
	parent, cancel := context.WithCancel(bg)
	cancel()
	bd := make(chan struct{})
	var b context.Context = brokenCtx{parent, bd} // one box, named once
	child, ccancel := context.WithCancel(b)
	cancels = append(cancels, ccancel)
	noteCtx("bl-parent", parent)
	noteCtx("bl-user", b)
	noteCtx("bl-child", child)
	ctxWatched["bl-child"] = b
	addr("bl-user-done", bd)
	expect("cancel_broken_link", "bl-broken",
		fmt.Sprintf("ctx=%s canceled=%s", ctxAddr("bl-child"), ctxAddr("bl-parent")))
	start("bl-broken", func() { diagBrokenWaiter(child) })

	// bl-embed (look-alike): embedCtx over a live parent; WithCancel of it
	// registers with the parent; then the parent is canceled, and the
	// child with it. Its holder, on a plain receive, is a cancel_unobserved.
	eparent, ecancel := context.WithCancel(bg)
	var e context.Context = embedCtx{eparent, "embed"}
	echild, echildCancel := context.WithCancel(e)
	cancels = append(cancels, echildCancel)
	noteCtx("bl-embed-parent", eparent)
	noteCtx("bl-embed-user", e)
	noteCtx("bl-embed-child", echild)
	ecancel()
	if echild.Err() == nil {
		panic("bl-embed: child not canceled with its parent")
	}
	clean("cancel_broken_link", "bl-embed")
	expect("cancel_unobserved", "bl-embed",
		fmt.Sprintf("func=main.diagEmbedHolder ctx=%s canceled=%s", ctxAddr("bl-embed-child"), ctxAddr("bl-embed-parent")))
	start("bl-embed", func() { diagEmbedHolder(echild) })

	keep = append(keep, parent, b, child, eparent, e, echild)
}

// SPDX-License-Identifier: Apache-2.0
