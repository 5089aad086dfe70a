package main

// Scenarios of leak_suspect, wait_cycle, context_lock_wait and
// goroutine_bucket. The planted leaks and cycles are started from functions
// that return (startLeaks, startCycles), so that nothing but the leaked
// goroutines themselves (and, for leak-heapref, a garbage heap object)
// references their channels and locks; only their addresses are kept, as
// strings.

import (
	"context"
	"fmt"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"
)

var (
	leakGlobalCh = make(chan int)        // look-alike: a package-level channel
	leakMap      = map[string]chan int{} // look-alike: a map reachable from a global
	leakBoxSink  *leakBox
	lockBlock    = make(chan int)
	bucketCh     = make(chan int)
)

// leakBox is a heap object holding a channel; nothing references it.
type leakBox struct {
	ch   chan int
	note string
}

// --- leak_suspect bugs

//go:noinline
func diagForgottenSender(ch chan int) {
	register("leak-forgotten")
	ch <- 42 // the result nobody reads
}

//go:noinline
func diagLonelyWG(wg *sync.WaitGroup) {
	register("leak-wg")
	wg.Wait()
}

//go:noinline
func diagOrphanReceiver(ch chan int) {
	register("leak-heapref")
	<-ch
}

// --- leak_suspect look-alikes

//go:noinline
func diagGlobalReceiver(name string, ch chan int) {
	register(name)
	<-ch
}

//go:noinline
func diagSleepingSender(name string, ch chan int) {
	register(name)
	time.Sleep(time.Hour)
	ch <- 1 // it could still send
	runtime.KeepAlive(ch)
}

func startLeaks() {
	ch := make(chan int)
	expect("leak_suspect", "leak-forgotten", "obj="+addr("leak-forgotten-chan", ch))
	start("leak-forgotten", func() { diagForgottenSender(ch) })

	wg := new(sync.WaitGroup)
	wg.Add(1)
	expect("leak_suspect", "leak-wg", "obj="+addr("leak-wg-waitgroup", wg))
	start("leak-wg", func() { diagLonelyWG(wg) })

	hch := make(chan int)
	box := &leakBox{ch: hch, note: "only reference, unreachable"}
	leakBoxSink = box // on the heap
	leakBoxSink = nil // and unreachable
	addr("leak-heapref-box", box)
	expect("leak_suspect", "leak-heapref", "obj="+addr("leak-heapref-chan", hch))
	start("leak-heapref", func() { diagOrphanReceiver(hch) })
}

func startLeakLookalikes() {
	addr("leak-global-chan", leakGlobalCh)
	clean("leak_suspect", "leak-global")
	start("leak-global", func() { diagGlobalReceiver("leak-global", leakGlobalCh) })

	// The receiver's channel is referenced by a sleeping goroutine only.
	startSleeperPair()

	mch := make(chan int)
	leakMap["pending"] = mch
	addr("leak-map-chan", mch)
	clean("leak_suspect", "leak-map")
	start("leak-map", func() { diagGlobalReceiver("leak-map", mch) })
}

//go:noinline
func startSleeperPair() {
	sch := make(chan int)
	addr("leak-sleeper-chan", sch)
	clean("leak_suspect", "leak-sleeper-recv")
	clean("leak_suspect", "leak-sleeper")
	start("leak-sleeper-recv", func() { diagGlobalReceiver("leak-sleeper-recv", sch) })
	start("leak-sleeper", func() { diagSleepingSender("leak-sleeper", sch) })
}

// --- wait_cycle

// diagCycleRecv waits on MINE; it would then send on OTHER, the channel the
// other member of the pair waits on.
//
//go:noinline
func diagCycleRecv(name string, mine, other chan int) {
	register(name)
	<-mine
	other <- 1
	runtime.KeepAlive(other)
}

// diagDeadlock locks FIRST, waits until its partner locked its own, then
// locks SECOND: the classic lock-order deadlock.
//
//go:noinline
func diagDeadlock(name string, first, second *sync.Mutex, bar *sync.WaitGroup) {
	first.Lock()
	bar.Done()
	bar.Wait()
	register(name)
	second.Lock()
	runtime.KeepAlive(first)
}

func startCycles() {
	startChanCycle()
	startMutexCycle()
	startWatchedPair()
}

//go:noinline
func startChanCycle() {
	a, b := make(chan int), make(chan int)
	pa, pb := addr("cycle-chan-a-chan", a), addr("cycle-chan-b-chan", b)
	expect("wait_cycle", "cycle-chan-a", "obj="+pa+" cycle=1")
	expect("wait_cycle", "cycle-chan-b", "obj="+pb+" cycle=1")
	expect("leak_suspect", "cycle-chan-a", "obj="+pa)
	expect("leak_suspect", "cycle-chan-b", "obj="+pb)
	start("cycle-chan-a", func() { diagCycleRecv("cycle-chan-a", a, b) })
	start("cycle-chan-b", func() { diagCycleRecv("cycle-chan-b", b, a) })
}

//go:noinline
func startMutexCycle() {
	m1, m2 := new(sync.Mutex), new(sync.Mutex)
	bar := new(sync.WaitGroup)
	bar.Add(2)
	p1, p2 := addr("cycle-mutex-m1", m1), addr("cycle-mutex-m2", m2)
	// A holds m1 and waits for m2; B holds m2 and waits for m1.
	expect("wait_cycle", "cycle-mutex-a", "obj="+p2+" cycle=2")
	expect("wait_cycle", "cycle-mutex-b", "obj="+p1+" cycle=2")
	expect("leak_suspect", "cycle-mutex-a", "obj="+p2)
	expect("leak_suspect", "cycle-mutex-b", "obj="+p1)
	order = append(order, "cycle-mutex-a", "cycle-mutex-b")
	go diagDeadlock("cycle-mutex-a", m1, m2, bar)
	go diagDeadlock("cycle-mutex-b", m2, m1, bar)
	waitParked([]uint64{waitFor("cycle-mutex-a"), waitFor("cycle-mutex-b")}, "cycle-mutex")
}

// The same channel pair, but a sleeping goroutine also holds one of the
// channels: it could wake the cycle up. Not a cycle, not a leak.
//
//go:noinline
func startWatchedPair() {
	a, b := make(chan int), make(chan int)
	addr("cycle-watched-a-chan", a)
	addr("cycle-watched-b-chan", b)
	clean("wait_cycle", "cycle-watched-a")
	clean("wait_cycle", "cycle-watched-b")
	clean("leak_suspect", "cycle-watched-a")
	clean("leak_suspect", "cycle-watched-b")
	start("cycle-watched-a", func() { diagCycleRecv("cycle-watched-a", a, b) })
	start("cycle-watched-b", func() { diagCycleRecv("cycle-watched-b", b, a) })
	start("cycle-watched-sleeper", func() { diagSleepingSender("cycle-watched-sleeper", a) })
}

// --- context_lock_wait
//
// The program locks a cancelCtx's internal mutex (cancelCtx.mu) through
// reflect/unsafe and keeps it: a stand-in for heavy contention on that lock
// (a cancel fanning out to very many children holds it for the whole walk),
// which cannot be made to last until the core is taken otherwise. Then one
// goroutine calls the context's cancel func and two call Done() for the
// first time (the done channel is made lazily under mu): all three block
// in sync.Mutex.Lock on mu.

//go:noinline
func diagCtxLocker(ctx context.Context, mu *sync.Mutex) {
	mu.Lock()
	holdCtx("lockwait-ctx", ctx)
	register("lockwait-locker")
	<-lockBlock
	runtime.KeepAlive(ctx)
}

//go:noinline
func diagLockCancel(cancel context.CancelFunc) {
	register("lockwait-cancel")
	cancel()
}

//go:noinline
func diagLockDone(name string, ctx context.Context) {
	holdCtx("lockwait-ctx", ctx)
	register(name)
	<-ctx.Done()
	runtime.KeepAlive(ctx)
}

func startLockWait() {
	ctx, cancel := context.WithCancel(context.Background())
	noteCtx("lockwait-ctx", ctx)
	ctxLocked["lockwait-ctx"] = true
	mu := (*sync.Mutex)(ctxMutex(ctx))
	a := ctxAddr("lockwait-ctx")
	m := addr("lockwait-mu", mu)
	keep = append(keep, ctx, cancel)
	start("lockwait-locker", func() { diagCtxLocker(ctx, mu) })
	for _, n := range []string{"lockwait-cancel", "lockwait-done-1", "lockwait-done-2"} {
		expect("context_lock_wait", n, "ctx="+a+" obj="+m)
	}
	start("lockwait-cancel", func() { diagLockCancel(cancel) })
	start("lockwait-done-1", func() { diagLockDone("lockwait-done-1", ctx) })
	start("lockwait-done-2", func() { diagLockDone("lockwait-done-2", ctx) })
}

// --- goroutine_bucket: 20 goroutines with one stack on one channel, the
// even ones with pprof labels (set without pprof.Do, so the stacks are the
// same).

//go:noinline
func diagBucketWaiter(name string, labeled bool, reqID string) {
	if labeled {
		pprof.SetGoroutineLabels(pprof.WithLabels(context.Background(),
			pprof.Labels("request_id", reqID, "handler", "bucket")))
	}
	register(name)
	<-bucketCh
}

func startBuckets() {
	addr("bucket-chan", bucketCh)
	for i := 1; i <= 20; i++ {
		name := fmt.Sprintf("bucket-%02d", i)
		labeled := i%2 == 0
		req := fmt.Sprintf("r-%d", 100+i)
		if labeled {
			labels = append(labels, labelRec{name, "handler=bucket request_id=" + req})
		}
		expect("goroutine_bucket", name, "func=main.diagBucketWaiter obj="+addr("bucket-chan", bucketCh)+" bucket=20")
		order = append(order, name)
		go diagBucketWaiter(name, labeled, req)
		waitFor(name)
	}
}

// SPDX-License-Identifier: Apache-2.0
