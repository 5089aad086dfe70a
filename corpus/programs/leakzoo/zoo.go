package main

// The zoo shape (programs/leakzoo: pileup's main.go and shapes.go, linked,
// and this file): the leak patterns of the other shapes together with
// forgotten timers, abandoned select loops and half-closed pipelines, and
// the stale-pointer traps: leaked goroutines whose channel only looks
// referenced to a reader that takes every word for a pointer (a dead stack
// slot of a healthy goroutine, a []uintptr, a []byte, a uintptr field of a
// pointer-bearing struct, a freed object), each next to a look-alike whose
// channel is genuinely referenced. See corpus/README.md, "The zoo shape".

import (
	"encoding/binary"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"
)

func init() { shapes["zoo"] = startZoo }

var (
	zooParkCh = make(chan int) // where the healthy trap holders park
	zooSink   = make(chan int) // the end of the live pipeline
	zooQuit   = make(chan int) // quit channel of the live select loops
	zooSum    int64

	// stale references (not pointers) to the trap channels
	staleWords []uintptr
	staleBytes []byte
	staleMixed *mixedRec
	freedRefs  []uintptr
	// genuine references to the look-alikes' channels
	liveChans []chan int
	liveMixed *mixedRec
	freedKeep *freedBox

	deadSlotHandoff chan int // taken (and cleared) by the dead-slot holder
	liveSlotHandoff chan int
)

// mixedRec: a pointer-bearing struct with a non-pointer word.
type mixedRec struct {
	name *string
	word uintptr
	ch   chan int
}

// freedBox: 13568 bytes, a size class (with pointers) nothing else in the
// program allocates, so that a freed box's slot is not reused.
type freedBox struct {
	ch  chan int
	pad [1695]uintptr
}

func chanWord(ch chan int) uintptr { return *(*uintptr)(unsafe.Pointer(&ch)) }

func startZoo() {
	startHealthy(1000)
	startPool(1000)
	startMutexPileup(500)
	startLivePileup(500)
	startDeadlocks()
	startTimers(300)
	startSelectLoops(300)
	startPipelines(200, 100, 100)
	startStaleTraps()
}

// --- forgotten timers: waiting for a value a stopped timer would have sent
// (leaked) vs waiting on a timer still armed (the runtime's timer heap
// references its channel: not leaked).

//go:noinline
func zooStoppedTimerWaiter(c <-chan time.Time) {
	join("timer-stopped")
	<-c
}

//go:noinline
func zooArmedTimerWaiter(c <-chan time.Time) {
	join("timer-armed")
	<-c
}

//go:noinline
func startStoppedTimer(n int) {
	t := time.NewTimer(time.Hour)
	t.Stop()
	g := newGroup("timer-stopped", "timer-stopped-chan", t.C, n, true, "main.zooStoppedTimerWaiter", "chan receive")
	for i := 0; i < n; i++ {
		go zooStoppedTimerWaiter(t.C)
	}
	waitGroup(g, "timer-stopped-waiter")
}

//go:noinline
func startArmedTimer(n int) {
	t := time.NewTimer(24 * time.Hour)
	g := newGroup("timer-armed", "timer-armed-chan", t.C, n, false, "main.zooArmedTimerWaiter", "chan receive")
	for i := 0; i < n; i++ {
		go zooArmedTimerWaiter(t.C)
	}
	waitGroup(g, "timer-armed-waiter")
}

func startTimers(n int) {
	startStoppedTimer(n)
	startArmedTimer(n)
}

// --- select loops: abandoned (both channels referenced only by the loops)
// vs live (the quit channel is a package-level variable).

//go:noinline
func zooAbandonedLoop(in, quit chan int) {
	join("select-abandoned")
	for {
		select {
		case v := <-in:
			atomic.AddInt64(&zooSum, int64(v))
		case <-quit:
			return
		}
	}
}

//go:noinline
func zooLiveLoop(in, quit chan int) {
	join("select-live")
	for {
		select {
		case v := <-in:
			atomic.AddInt64(&zooSum, int64(v))
		case <-quit:
			return
		}
	}
}

//go:noinline
func startAbandonedLoops(n int) {
	in, quit := make(chan int), make(chan int)
	addr("select-abandoned-quit", quit)
	g := newGroup("select-abandoned", "select-abandoned-in", in, n, true, "main.zooAbandonedLoop", "select")
	for i := 0; i < n; i++ {
		go zooAbandonedLoop(in, quit)
	}
	waitGroup(g, "select-abandoned-loop")
}

//go:noinline
func startLiveLoops(n int) {
	in := make(chan int)
	addr("select-live-quit", zooQuit)
	liveChans = append(liveChans, in)
	g := newGroup("select-live", "select-live-in", in, n, false, "main.zooLiveLoop", "select")
	for i := 0; i < n; i++ {
		go zooLiveLoop(in, zooQuit)
	}
	waitGroup(g, "select-live-loop")
}

func startSelectLoops(n int) {
	startAbandonedLoops(n)
	startLiveLoops(n)
}

// --- half-closed pipelines: the consumer went away. Each transformer took
// one value and is stuck sending it on (chan send on out); the sources that
// came later are stuck sending into the transformers' input (chan send on
// in). The live pipeline sends into a package-level sink.

//go:noinline
func zooPipeTransform(in, out chan int) {
	join("pipe-transform")
	for v := range in {
		out <- 2 * v
	}
}

//go:noinline
func zooPipeSource(in chan int, v int) {
	join("pipe-source")
	in <- v
}

//go:noinline
func zooPipeLive(in, out chan int) {
	join("pipe-live")
	for v := range in {
		out <- 2 * v
	}
}

//go:noinline
func pipeFeed(in chan int, n int) {
	for i := 0; i < n; i++ {
		in <- i
	}
}

//go:noinline
func startHalfClosed(nt, ns int) {
	in, out := make(chan int), make(chan int)
	gt := newGroup("pipe-transform", "pipe-out", out, nt, true, "main.zooPipeTransform", "chan send")
	for i := 0; i < nt; i++ {
		go zooPipeTransform(in, out)
	}
	// One value per transformer: each blocks sending it on before it can
	// take another.
	pipeFeed(in, nt)
	waitGroup(gt, "pipe-transformer")
	gs := newGroup("pipe-source", "pipe-in", in, ns, true, "main.zooPipeSource", "chan send")
	for i := 0; i < ns; i++ {
		go zooPipeSource(in, i)
	}
	waitGroup(gs, "pipe-source-sender")
}

//go:noinline
func startLivePipe(n int) {
	in := make(chan int)
	liveChans = append(liveChans, in)
	g := newGroup("pipe-live", "pipe-sink", zooSink, n, false, "main.zooPipeLive", "chan send")
	for i := 0; i < n; i++ {
		go zooPipeLive(in, zooSink)
	}
	pipeFeed(in, n)
	waitGroup(g, "pipe-live-stage")
}

func startPipelines(nt, ns, nl int) {
	startHalfClosed(nt, ns)
	startLivePipe(nl)
}

// --- the stale-pointer traps. Every victim runs zooStaleVictim (leaked,
// a "leak" line) or a look-alike's own function (a group of one, not
// leaked), on a channel of its own.

//go:noinline
func zooStaleVictim(name string, ch chan int) {
	register(name)
	<-ch
}

// The look-alikes' victims: one group of one each (a function of its own).

//go:noinline
func zooLiveSlotVictim(ch chan int) {
	join("live-slot")
	<-ch
}

//go:noinline
func zooLiveSliceVictim(ch chan int) {
	join("live-slice")
	<-ch
}

//go:noinline
func zooLiveMixedVictim(ch chan int) {
	join("live-mixed")
	<-ch
}

//go:noinline
func zooLiveBoxVictim(ch chan int) {
	join("live-box")
	<-ch
}

//go:noinline
func zooTouch(ch chan int) {
	atomic.AddInt64(&zooSum, int64(cap(ch)))
}

// zooDeadSlotHolder: a healthy goroutine (parked on a package-level
// channel) whose frame keeps a dead copy of the trap channel: ch is live
// across register() (so spilled to the frame), last used by zooTouch, and
// dead at the receive where it parks.
//
//go:noinline
func zooDeadSlotHolder() {
	ch := deadSlotHandoff
	deadSlotHandoff = nil
	register("stale-deadslot-holder")
	zooTouch(ch)
	<-zooParkCh
}

// zooLiveSlotHolder: the same, but ch is used after the wait: live.
//
//go:noinline
func zooLiveSlotHolder() {
	ch := liveSlotHandoff
	liveSlotHandoff = nil
	register("live-slot-holder")
	zooTouch(ch)
	<-zooParkCh
	ch <- 1
}

//go:noinline
func stale(name string, ch chan int) {
	leaks = append(leaks, leak{name, addr(name+"-chan", ch)})
	go zooStaleVictim(name, ch)
	named(name, "chan receive")
}

// live starts the look-alike NAME: a group of one running F, on CH.
func live(name string, ch chan int, f func(chan int), fn string) {
	g := newGroup(name, name+"-chan", ch, 1, false, fn, "chan receive")
	go f(ch)
	waitGroup(g, name+"-victim")
}

// (a) a dead stack slot of another, healthy goroutine.
//
//go:noinline
func trapDeadSlot() {
	ch := make(chan int)
	deadSlotHandoff = ch
	go zooDeadSlotHolder()
	named("stale-deadslot-holder", "chan receive")
	stale("stale-deadslot", ch)
}

//go:noinline
func lookalikeLiveSlot() {
	ch := make(chan int)
	liveSlotHandoff = ch
	go zooLiveSlotHolder()
	named("live-slot-holder", "chan receive")
	live("live-slot", ch, zooLiveSlotVictim, "main.zooLiveSlotVictim")
}

// (b) the channel's address in a []uintptr and in a []byte (noscan).
//
//go:noinline
func trapUintptr() {
	ch := make(chan int)
	staleWords = append(staleWords, chanWord(ch))
	stale("stale-uintptr", ch)
}

//go:noinline
func trapBytes() {
	ch := make(chan int)
	staleBytes = make([]byte, 64)
	binary.LittleEndian.PutUint64(staleBytes[8:], uint64(chanWord(ch)))
	stale("stale-bytes", ch)
}

//go:noinline
func lookalikeSlice() {
	ch := make(chan int)
	liveChans = append(liveChans, ch)
	live("live-slice", ch, zooLiveSliceVictim, "main.zooLiveSliceVictim")
}

// (c) a uintptr field of a pointer-bearing heap struct.
//
//go:noinline
func trapMixed() {
	ch := make(chan int)
	s := "stale-mixed"
	staleMixed = &mixedRec{name: &s, word: chanWord(ch)}
	addr("stale-mixed-rec", staleMixed)
	stale("stale-mixed", ch)
}

//go:noinline
func lookalikeMixed() {
	ch := make(chan int)
	s := "live-mixed"
	liveMixed = &mixedRec{name: &s, ch: ch}
	live("live-mixed", ch, zooLiveMixedVictim, "main.zooLiveMixedVictim")
}

// (d) a freed object that still holds the channel: two boxes of a size
// class nothing else uses, one kept (so the span stays in use), one
// dropped and collected. The freed box is only referenced by a uintptr.
//
//go:noinline
func newBoxes(ch, keepCh chan int) uintptr {
	freedKeep = &freedBox{ch: keepCh}
	b := &freedBox{ch: ch}
	addr("stale-freed-box", b)
	addr("live-box-obj", freedKeep)
	return uintptr(unsafe.Pointer(b))
}

//go:noinline
func trapFreed() {
	ch, keepCh := make(chan int), make(chan int)
	freedRefs = append(freedRefs, newBoxes(ch, keepCh))
	runtime.GC()
	runtime.GC()
	stale("stale-freed", ch)
	live("live-box", keepCh, zooLiveBoxVictim, "main.zooLiveBoxVictim")
}

func startStaleTraps() {
	trapDeadSlot()
	lookalikeLiveSlot()
	trapUintptr()
	trapBytes()
	lookalikeSlice()
	trapMixed()
	lookalikeMixed()
	trapFreed()
}

// SPDX-License-Identifier: Apache-2.0
