package main

// "Who waits on what" (gocoroner issue 3): goroutines parked on channels,
// selects, sync primitives, pending defers and panics in progress, and the
// program's own account of each wait, printed as the chan, chanwait,
// syncwait, defer and panic lines (see corpus/README.md).

import (
	"fmt"
	"io"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
)

// ---------------------------------------------------------------------------
// Facts, printed by main once everything is parked.

type chanRec struct {
	name   string
	ch     interface{}
	closed bool
	timer  bool
}

type fact struct {
	kind string // chanwait, syncwait, defer, panic
	scen string
	rest string // after "goid=N "
}

var (
	chanRecs []chanRec
	facts    []fact
)

// noteChan records a channel for a "chan" line. Main only.
func noteChan(name string, ch interface{}, closed, timer bool) {
	chanRecs = append(chanRecs, chanRec{name, ch, closed, timer})
}

func noteFact(kind, scen, format string, args ...interface{}) {
	addrMu.Lock()
	facts = append(facts, fact{kind, scen, fmt.Sprintf(format, args...)})
	addrMu.Unlock()
}

// chanWait records that scenario SCEN waits on CH. pos: position in the
// channel's queue of waiters for that direction, -1 if unknown.
func chanWait(scen string, ch interface{}, dir string, sel bool, pos int) {
	noteFact("chanwait", scen, "chan=%p dir=%s select=%d pos=%d", ch, dir, b2i(sel), pos)
}

func syncWait(scen, kind string, p interface{}) {
	noteFact("syncwait", scen, "kind=%s addr=%p", kind, p)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func funcName(f interface{}) string {
	return runtime.FuncForPC(reflect.ValueOf(f).Pointer()).Name()
}

// callerName is the name of the function that called it.
func callerName() string {
	pc, _, _, ok := runtime.Caller(1)
	if !ok {
		return "?"
	}
	return runtime.FuncForPC(pc).Name()
}

// printFacts prints the chan lines, then the other facts in the order they
// were recorded, each with the goroutine id of its scenario.
func printFacts(ids map[string]uint64) {
	for _, c := range chanRecs {
		v := reflect.ValueOf(c.ch)
		fmt.Printf("chan %s addr=%p cap=%d len=%d closed=%d timer=%d elemtype=%s\n",
			c.name, c.ch, v.Cap(), v.Len(), b2i(c.closed), b2i(c.timer),
			reflect.TypeOf(c.ch).Elem().String())
	}
	addrMu.Lock()
	defer addrMu.Unlock()
	// Scenario goroutines record facts concurrently: sort them by scenario.
	rank := map[string]int{"main": -1}
	for i, name := range order {
		rank[name] = i
	}
	sort.SliceStable(facts, func(i, j int) bool { return rank[facts[i].scen] < rank[facts[j].scen] })
	for _, kind := range []string{"chanwait", "syncwait", "defer", "panic"} {
		for _, f := range facts {
			if f.kind != kind {
				continue
			}
			id, ok := ids[f.scen]
			if !ok {
				panic("fact for unknown scenario " + f.scen)
			}
			fmt.Printf("%s %s goid=%d %s\n", f.kind, f.scen, id, f.rest)
		}
	}
}

// ---------------------------------------------------------------------------
// Starting goroutines one at a time, so that their order in a wait queue is
// known.

// waitFor returns the goroutine id of scenario NAME, collecting the
// registrations that arrive before it. Main only.
func waitFor(name string) uint64 {
	for {
		if id, ok := ids[name]; ok {
			return id
		}
		s := <-startedCh
		ids[s.name] = s.id
	}
}

// waitState polls until goroutine ID's state starts with one of WANT (twice
// in a row).
func waitState(id uint64, what string, want ...string) {
	deadline := time.Now().Add(30 * time.Second)
	var st string
	for ok := 0; ok < 2; {
		if time.Now().After(deadline) {
			panic(fmt.Sprintf("hang: %s (goroutine %d) did not reach %q: [%s]", what, id, want, st))
		}
		st = states()[id]
		match := false
		for _, w := range want {
			match = match || strings.HasPrefix(st, w)
		}
		if match {
			ok++
		} else {
			ok = 0
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// parkedAs waits until scenario NAME (just started) is parked in one of the
// states WANT.
func parkedAs(name string, want ...string) {
	waitState(waitFor(name), name, want...)
}

// ---------------------------------------------------------------------------
// Scenario "select3": a select over two receives and a send, none ready.

//go:noinline
func select3Waiter(a, b chan int, c chan string) {
	register("select3")
	select {
	case <-a:
	case <-b:
	case c <- "never":
	}
}

// ---------------------------------------------------------------------------
// Scenarios "samechan-recv-1/2", "samechan-send-1/2": two receivers queued on
// one unbuffered channel, two senders on another.

//go:noinline
func sameChanReceiver(name string, ch chan int) {
	register(name)
	<-ch
}

//go:noinline
func sameChanSender(name string, ch chan int, v int) {
	register(name)
	ch <- v
}

// ---------------------------------------------------------------------------
// Scenario "closedchan": holds a closed buffered channel (one value left in
// it) while waiting on another channel. Scenario "selectnil": a select with a
// nil channel case (a send) and a plain receive.

//go:noinline
func closedChanHolder(closed chan int, wait chan int) {
	register("closedchan")
	<-wait
	runtime.KeepAlive(closed)
}

//go:noinline
func selectNilWaiter(nilCh chan int, ch chan int) {
	register("selectnil")
	select {
	case nilCh <- 1:
	case <-ch:
	}
}

// ---------------------------------------------------------------------------
// Scenarios "timer-newtimer", "timer-after": receives on timer channels.

//go:noinline
func timerWaiter(t *time.Timer) {
	register("timer-newtimer")
	<-t.C
}

//go:noinline
func afterWaiter(c <-chan time.Time) {
	register("timer-after")
	<-c
}

// ---------------------------------------------------------------------------
// Scenarios "syncmutex-1/2" (a sync.Mutex held by main), "syncrw-writer" and
// "syncrw-reader-1/2" (a sync.RWMutex read-locked by main: the writer waits
// for main's read lock, the readers behind the writer), "syncwg-1/2" (a
// sync.WaitGroup), "synccond-1/2" (a sync.Cond).

//go:noinline
func syncMutexWaiter(name string, mu *sync.Mutex) {
	register(name)
	mu.Lock()
}

//go:noinline
func rwWriter(rw *sync.RWMutex) {
	register("syncrw-writer")
	rw.Lock()
}

//go:noinline
func rwReader(name string, rw *sync.RWMutex) {
	register(name)
	rw.RLock()
}

//go:noinline
func syncWGWaiter(name string, wg *sync.WaitGroup) {
	register(name)
	wg.Wait()
}

//go:noinline
func syncCondWaiter(name string, c *sync.Cond) {
	c.L.Lock()
	register(name)
	c.Wait()
}

// ---------------------------------------------------------------------------
// Scenario "defers5": five pending defers of mixed kinds. deferOuter5 has no
// loop, so (optimized) its two defers are open-coded: a plain function call
// and a closure. deferInner5 defers in a loop, so all its defers are records
// on the defer chain: two deferLoopFn(i) (heap records) and a method call
// res.Close() (a stack record; the compiler wraps both kinds in closures).

type resource5 struct{ name string }

//go:noinline
func (r *resource5) Close() { deferSink = "closed " + r.name }

//go:noinline
func deferPlainFn() { deferSink = "plain" }

//go:noinline
func deferLoopFn(i int) { deferSink = fmt.Sprint("loop5 ", i) }

// defers5 lists the pending defers in registration order.
var defers5 []string // "FUNC frame=REGFUNC"

//go:noinline
func deferOuter5(ch chan int) {
	me := callerName()
	defer deferPlainFn()
	tag := "outer5"
	done := func() { deferSink = "closure " + tag }
	defers5 = append(defers5, funcName(deferPlainFn)+" frame="+me, funcName(done)+" frame="+me)
	defer done()
	deferInner5(ch)
}

//go:noinline
func deferInner5(ch chan int) {
	me := callerName()
	for i := 0; i < 2; i++ {
		defer deferLoopFn(i)
		defers5 = append(defers5, funcName(deferLoopFn)+" frame="+me)
	}
	res := &resource5{name: "inner5"}
	defer res.Close()
	defers5 = append(defers5, funcName((*resource5).Close)+" frame="+me)
	// They run innermost frame first, last registered first.
	for k := range defers5 {
		noteFact("defer", "defers5", "seq=%d func=%s", k, defers5[len(defers5)-1-k])
	}
	register("defers5")
	<-ch
}

// ---------------------------------------------------------------------------
// Scenario "panicnested": panic("first"), whose deferred call panics with an
// error, whose deferred call blocks: two panics in progress. Scenario
// "panicrecovered": panic(42), recovered by the deferred call, which then
// blocks (the panic stays on the goroutine, recovered, until that call
// returns). Scenario "goexit": runtime.Goexit, whose deferred call blocks.

//go:noinline
func panicNestedBlock(ch chan int) {
	<-ch
}

//go:noinline
func panicNestedDefer(ch chan int) {
	defer panicNestedBlock(ch)
	err := fmt.Errorf("second: %w", io.EOF)
	notePanic("panicnested", 0, false, false, err)
	notePanic("panicnested", 1, false, false, "first")
	register("panicnested")
	panic(err)
}

//go:noinline
func panicNested(ch chan int) {
	defer panicNestedDefer(ch)
	panic("first")
}

var recovered42 interface{}

//go:noinline
func panicRecoverDefer(ch chan int) {
	recovered42 = recover()
	if recovered42 != 42 {
		panic(fmt.Sprint("panicrecovered: recover() returned ", recovered42))
	}
	notePanic("panicrecovered", 0, true, false, recovered42)
	register("panicrecovered")
	<-ch
}

//go:noinline
func panicRecoverer(ch chan int) {
	defer panicRecoverDefer(ch)
	panic(42)
}

//go:noinline
func goexitDeferred(ch chan int) {
	notePanic("goexit", 0, false, true, nil)
	register("goexit")
	<-ch
}

//go:noinline
func goexiter(ch chan int) {
	defer goexitDeferred(ch)
	runtime.Goexit()
}

func notePanic(scen string, seq int, recovered, goexit bool, v interface{}) {
	noteFact("panic", scen, "seq=%d recovered=%d goexit=%d type=%T value=%s",
		seq, b2i(recovered), b2i(goexit), v, fmt.Sprint(v))
}

// ---------------------------------------------------------------------------

// waitOrder lists the scenarios of this file, in the order of their
// scenario lines.
var waitOrder = []string{
	"select3", "samechan-recv-1", "samechan-recv-2", "samechan-send-1",
	"samechan-send-2", "closedchan", "selectnil", "timer-newtimer",
	"timer-after", "syncmutex-1", "syncmutex-2", "syncrw-writer",
	"syncrw-reader-1", "syncrw-reader-2", "syncwg-1", "syncwg-2",
	"synccond-1", "synccond-2", "defers5", "panicnested", "panicrecovered",
	"goexit",
}

// Wait reasons (Go 1.19 has no sync.* reasons for semaphores; WaitGroup has
// its own from 1.24).
var (
	chanRecv = []string{"chan receive"}
	chanSend = []string{"chan send"}
)

// startWaits starts the goroutines of this file. Main only.
func startWaits() {
	// select3
	a, b, c := make(chan int), make(chan int), make(chan string)
	noteChan("select3-a", a, false, false)
	noteChan("select3-b", b, false, false)
	noteChan("select3-c", c, false, false)
	chanWait("select3", a, "recv", true, 0)
	chanWait("select3", b, "recv", true, 0)
	chanWait("select3", c, "send", true, 0)
	keepalive = append(keepalive, a, b, c)
	go select3Waiter(a, b, c)

	// samechan: started one at a time, so queue positions are known.
	x, y := make(chan int), make(chan int)
	noteChan("samechan-x", x, false, false)
	noteChan("samechan-y", y, false, false)
	keepalive = append(keepalive, x, y)
	for i, name := range []string{"samechan-recv-1", "samechan-recv-2"} {
		chanWait(name, x, "recv", false, i)
		go sameChanReceiver(name, x)
		parkedAs(name, chanRecv...)
	}
	for i, name := range []string{"samechan-send-1", "samechan-send-2"} {
		chanWait(name, y, "send", false, i)
		go sameChanSender(name, y, i)
		parkedAs(name, chanSend...)
	}

	// closedchan, selectnil
	closed := make(chan int, 3)
	closed <- 7
	close(closed)
	cwait := make(chan int)
	noteChan("closedchan-closed", closed, true, false)
	noteChan("closedchan-wait", cwait, false, false)
	chanWait("closedchan", cwait, "recv", false, 0)
	var nilCh chan int
	snCh := make(chan int)
	noteChan("selectnil-chan", snCh, false, false)
	chanWait("selectnil", snCh, "recv", true, 0)
	keepalive = append(keepalive, closed, cwait, snCh)
	go closedChanHolder(closed, cwait)
	go selectNilWaiter(nilCh, snCh)

	// timers. A timer channel is synchronous (the hchan has a timer) on Go
	// 1.23+ unless GODEBUG=asynctimerchan=1, which is the default when go.mod
	// says go 1.19 (the generator sets asynctimerchan=0). Go's cap() of a
	// synchronous timer channel is 0, of an asynchronous one 1: that tells
	// which it is.
	t := time.NewTimer(time.Hour)
	after := time.After(2 * time.Hour)
	syncTimer := cap(t.C) == 0
	noteChan("timer-newtimer-chan", t.C, false, syncTimer)
	noteChan("timer-after-chan", after, false, cap(after) == 0)
	chanWait("timer-newtimer", t.C, "recv", false, 0)
	chanWait("timer-after", after, "recv", false, 0)
	keepalive = append(keepalive, t, after)
	go timerWaiter(t)
	go afterWaiter(after)

	// sync
	mu := new(sync.Mutex)
	mu.Lock()
	rw := new(sync.RWMutex)
	rw.RLock()
	wg := new(sync.WaitGroup)
	wg.Add(1)
	cond := sync.NewCond(new(sync.Mutex))
	keepalive = append(keepalive, mu, rw, wg, cond)
	for _, name := range []string{"syncmutex-1", "syncmutex-2"} {
		syncWait(name, "sync.Mutex", mu)
		go syncMutexWaiter(name, mu)
		parkedAs(name, "sync.Mutex.Lock", "semacquire")
	}
	syncWait("syncrw-writer", "sync.RWMutex", rw)
	go rwWriter(rw)
	parkedAs("syncrw-writer", "sync.RWMutex.Lock", "semacquire")
	for _, name := range []string{"syncrw-reader-1", "syncrw-reader-2"} {
		syncWait(name, "sync.RWMutex", rw)
		go rwReader(name, rw)
		parkedAs(name, "sync.RWMutex.RLock", "semacquire")
	}
	for _, name := range []string{"syncwg-1", "syncwg-2"} {
		syncWait(name, "sync.WaitGroup", wg)
		go syncWGWaiter(name, wg)
		parkedAs(name, "sync.WaitGroup.Wait", "semacquire")
	}
	for _, name := range []string{"synccond-1", "synccond-2"} {
		syncWait(name, "sync.Cond", cond)
		go syncCondWaiter(name, cond)
		parkedAs(name, "sync.Cond.Wait")
	}

	// defers5
	d5 := make(chan int)
	noteChan("defers5-chan", d5, false, false)
	chanWait("defers5", d5, "recv", false, 0)
	keepalive = append(keepalive, d5)
	go deferOuter5(d5)

	// panics
	pn, pr, ge := make(chan int), make(chan int), make(chan int)
	noteChan("panicnested-chan", pn, false, false)
	noteChan("panicrecovered-chan", pr, false, false)
	noteChan("goexit-chan", ge, false, false)
	chanWait("panicnested", pn, "recv", false, 0)
	chanWait("panicrecovered", pr, "recv", false, 0)
	chanWait("goexit", ge, "recv", false, 0)
	keepalive = append(keepalive, pn, pr, ge)
	go panicNested(pn)
	go panicRecoverer(pr)
	go goexiter(ge)

}

// SPDX-License-Identifier: Apache-2.0
