// Command hang parks goroutines in known, named states so that a core file
// of it can be checked against Go's own traceback. It is the program of the
// gocoroner test corpus; see corpus/README.md for the scenarios and how the
// cores are made.
//
// Standard library only; it must build with Go 1.19 through 1.27, so no
// language feature newer than Go 1.19 is used.
//
// Environment:
//
//	HANG_MODE=gcore  dump every goroutine (runtime.Stack, "system" level) to
//	                 the file $HANG_DUMP, then print READY and block forever;
//	                 a debugger takes the core.
//	HANG_MODE=crash  print READY and block forever; the caller sends SIGABRT
//	                 with GOTRACEBACK=crash so that the runtime prints every
//	                 goroutine and the kernel writes the core.
//
// Stdout lines (machine-readable, in this order):
//
//	scenario NAME goid=N   one per scenario goroutine
//	addr NAME 0xADDR       addresses of channels, contexts, locks...
//	tid NAME N             OS thread id of a goroutine locked to its thread
//	chan NAME addr=0x.. cap=N len=N closed=0|1 timer=0|1 elemtype=TYPE
//	chanwait NAME goid=N chan=0x.. dir=send|recv select=0|1 pos=N
//	syncwait NAME goid=N kind=sync.Mutex|... addr=0x..
//	defer NAME goid=N seq=K func=FUNC frame=REGFUNC
//	panic NAME goid=N seq=K recovered=0|1 goexit=0|1 type=T value=TEXT
//	                       (see waits.go and corpus/README.md)
//	dumper goid=N          (gcore mode) the goroutine that wrote the dump
//	READY
package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	sys "syscall" // renamed: main.syscall is a layer of the deep chain
	"time"
)

// ---------------------------------------------------------------------------
// Bookkeeping: goroutine ids and addresses reported back to main.

type started struct {
	name string
	id   uint64
}

var (
	startedCh = make(chan started, 64)

	addrMu sync.Mutex
	addrs  = map[string]string{}
	tids   = map[string]int{}

	// keepalive holds objects that must not be collected (and finalized:
	// a collected net.Conn or pipe would be closed).
	keepalive []interface{}
	cancels   []context.CancelFunc

	spinCount  uint64
	deferSink  string
	cancelDeep context.CancelFunc
)

// goid parses the current goroutine's id from the first line of its
// traceback, "goroutine N [running]:".
func goid() uint64 {
	var buf [128]byte
	n := runtime.Stack(buf[:], false)
	s := strings.TrimPrefix(string(buf[:n]), "goroutine ")
	i := strings.IndexByte(s, ' ')
	if i < 0 {
		panic("cannot parse goroutine id from " + strconv.Quote(string(buf[:n])))
	}
	id, err := strconv.ParseUint(s[:i], 10, 64)
	if err != nil {
		panic(err)
	}
	return id
}

// register tells main which goroutine runs scenario NAME. Called by the
// scenario goroutine itself just before it parks.
func register(name string) {
	startedCh <- started{name, goid()}
}

func addr(name string, p interface{}) {
	addrMu.Lock()
	addrs[name] = fmt.Sprintf("%p", p)
	addrMu.Unlock()
}

// tagKey: string keys of the deep chain (ctxKey, an int type, is in contexts.go).
type tagKey string

// ---------------------------------------------------------------------------
// Scenario "deep": an 11-layer call chain whose innermost function blocks on a
// plain channel receive after the context it holds was canceled. It never
// selects on ctx.Done().

//go:noinline
func handler(ctx context.Context, req int) {
	holdCtx("deep-cancel", ctx)
	service(ctx, req+1)
	runtime.KeepAlive(ctx)
}

//go:noinline
func service(ctx context.Context, req int) {
	ctx, cancel := context.WithTimeout(ctx, time.Hour)
	cancels = append(cancels, cancel)
	noteCtx("deep-timer", ctx)
	holdCtx("deep-timer", ctx)
	repo(ctx, req+1)
	runtime.KeepAlive(ctx)
}

//go:noinline
func repo(ctx context.Context, req int) {
	holdCtx("deep-timer", ctx)
	db(ctx, req+1)
	runtime.KeepAlive(ctx)
}

//go:noinline
func db(ctx context.Context, req int) {
	holdCtx("deep-timer", ctx)
	driver(ctx, req+1)
	runtime.KeepAlive(ctx)
}

//go:noinline
func driver(ctx context.Context, req int) {
	ctx = context.WithValue(ctx, tagKey("conn_id"), "c-17")
	noteCtx("deep-conn", ctx)
	holdCtx("deep-conn", ctx)
	pool(ctx, req+1)
	runtime.KeepAlive(ctx)
}

//go:noinline
func pool(ctx context.Context, req int) {
	holdCtx("deep-conn", ctx)
	conn(ctx, req+1)
	runtime.KeepAlive(ctx)
}

//go:noinline
func conn(ctx context.Context, req int) {
	holdCtx("deep-conn", ctx)
	tls(ctx, req+1)
	runtime.KeepAlive(ctx)
}

//go:noinline
func tls(ctx context.Context, req int) {
	holdCtx("deep-conn", ctx)
	crypto(ctx, req+1)
	runtime.KeepAlive(ctx)
}

//go:noinline
func crypto(ctx context.Context, req int) {
	holdCtx("deep-conn", ctx)
	syscall(ctx, req+1)
	runtime.KeepAlive(ctx)
}

//go:noinline
func syscall(ctx context.Context, req int) {
	holdCtx("deep-conn", ctx)
	epoll(ctx, req+1)
	runtime.KeepAlive(ctx)
}

var deepCh = make(chan int)

//go:noinline
func epoll(ctx context.Context, req int) {
	addr("deep-ctx", ctx)
	cancelDeep() // cancels the handler's ctx and, through it, ours
	if ctx.Err() == nil {
		panic("deep: context not canceled")
	}
	holdCtx("deep-conn", ctx)
	register("deep")
	v := <-deepCh // plain receive: the cancellation is never noticed
	_ = v + req
	runtime.KeepAlive(ctx)
}

// ---------------------------------------------------------------------------
// Scenario "select": select on ctx.Done() and another channel; ctx is live.

//go:noinline
func selectWaiter(ctx context.Context, ch chan int) {
	register("select")
	select {
	case <-ctx.Done():
	case <-ch:
	}
}

// ---------------------------------------------------------------------------
// Scenario "iowait": read on a loopback TCP connection that never gets data.

//go:noinline
func ioReader(c net.Conn) {
	register("iowait")
	buf := make([]byte, 16)
	c.Read(buf)
}

// ---------------------------------------------------------------------------
// Scenario "sleep".

//go:noinline
func sleeper() {
	register("sleep")
	time.Sleep(time.Hour)
}

// ---------------------------------------------------------------------------
// Scenarios "mutex", "cond", "waitgroup".

//go:noinline
func mutexWaiter(mu *sync.Mutex) {
	register("mutex")
	mu.Lock()
}

//go:noinline
func condWaiter(c *sync.Cond) {
	c.L.Lock()
	register("cond")
	c.Wait()
}

//go:noinline
func waitGroupWaiter(wg *sync.WaitGroup) {
	register("waitgroup")
	wg.Wait()
}

// ---------------------------------------------------------------------------
// Scenario "chansend-1", "chansend-2": senders on a full buffered channel.

//go:noinline
func chanSender(name string, ch chan int, v int) {
	register(name)
	ch <- v
}

// ---------------------------------------------------------------------------
// Scenario "spin": a goroutine that never parks.

//go:noinline
func spinner() {
	register("spin")
	for {
		spinCount++
	}
}

// ---------------------------------------------------------------------------
// Scenario "labels-1", "labels-2": pprof labels, then a channel receive.

//go:noinline
func labeled(name, reqID string, ch chan int) {
	labels := pprof.Labels("request_id", reqID, "handler", "checkout")
	pprof.Do(context.Background(), labels, func(ctx context.Context) {
		labeledWait(ctx, name, ch)
	})
}

//go:noinline
func labeledWait(ctx context.Context, name string, ch chan int) {
	register(name)
	<-ch
}

// ---------------------------------------------------------------------------
// Scenario "defers": pending deferred calls of several kinds. deferOuter has
// no loop, so (when optimizing) its defers are open-coded; deferInner defers
// in a loop, so its defers are records on the defer chain.

type closer struct{ name string }

func (c *closer) Close() { deferSink = "closed " + c.name }

//go:noinline
func deferLoop(i int) { deferSink = "loop " + strconv.Itoa(i) }

//go:noinline
func deferOuter(ch chan int) {
	c := &closer{name: "outer"}
	closeFn := c.Close // method value
	defer closeFn()
	defer func() { deferSink = "outer closure" }() // closure
	deferInner(ch)
}

//go:noinline
func deferInner(ch chan int) {
	for i := 0; i < 3; i++ {
		defer deferLoop(i) // defer in a loop
	}
	inner := &closer{name: "inner"}
	defer inner.Close()
	defer func() { deferSink = "inner closure " + inner.name }()
	register("defers")
	<-ch
}

// ---------------------------------------------------------------------------
// Scenario "panicking": panic("boom"), and the deferred call blocks, so the
// stack reads panicDeferred <- runtime.gopanic <- panicker.

//go:noinline
func panicDeferred(ch chan int) {
	<-ch
}

//go:noinline
func panicker(ch chan int) {
	defer panicDeferred(ch)
	register("panicking")
	panic("boom")
}

// ---------------------------------------------------------------------------
// Scenario "locked": locked to its OS thread, then a channel receive.

//go:noinline
func lockedWaiter(ch chan int) {
	runtime.LockOSThread()
	addrMu.Lock()
	tids["locked"] = sys.Gettid()
	addrMu.Unlock()
	register("locked")
	<-ch
}

// ---------------------------------------------------------------------------
// Scenario "rawsyscall": a blocking read(2) on a pipe, outside the netpoller.

//go:noinline
func rawSyscallReader(fd int) {
	register("rawsyscall")
	var b [1]byte
	sys.Read(fd, b[:])
}

// ---------------------------------------------------------------------------
// Waiting for goroutines to park.

// states parses runtime.Stack(all) into goid -> state ("chan receive",
// "running", "syscall, locked to thread"...).
func states() map[uint64]string {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	m := map[uint64]string{}
	for _, line := range strings.Split(string(buf), "\n") {
		if !strings.HasPrefix(line, "goroutine ") {
			continue
		}
		rest := line[len("goroutine "):]
		sp := strings.IndexByte(rest, ' ')
		lb := strings.IndexByte(rest, '[')
		rb := strings.LastIndexByte(rest, ']')
		if sp < 0 || lb < 0 || rb < lb {
			continue
		}
		id, err := strconv.ParseUint(rest[:sp], 10, 64)
		if err != nil {
			continue
		}
		m[id] = rest[lb+1 : rb]
	}
	return m
}

func parked(state string) bool {
	return state != "" && !strings.HasPrefix(state, "running") &&
		!strings.HasPrefix(state, "runnable") && !strings.HasPrefix(state, "preempted")
}

// waitParked polls until every goroutine in IDS is parked (waiting or in a
// system call), then until the states were the same for several polls.
func waitParked(ids []uint64, what string) {
	deadline := time.Now().Add(30 * time.Second)
	var last string
	stable := 0
	for stable < 5 {
		if time.Now().After(deadline) {
			fmt.Fprintf(os.Stderr, "hang: %s did not park: %s\n", what, last)
			os.Exit(2)
		}
		st := states()
		var b strings.Builder
		all := true
		for _, id := range ids {
			fmt.Fprintf(&b, "%d=[%s] ", id, st[id])
			if !parked(st[id]) {
				all = false
			}
		}
		cur := b.String()
		if all && cur == last {
			stable++
		} else {
			stable = 0
		}
		last = cur
		time.Sleep(60 * time.Millisecond)
	}
}

// ---------------------------------------------------------------------------

var order = []string{
	"deep", "select", "iowait", "sleep", "mutex", "cond", "waitgroup",
	"chansend-1", "chansend-2", "spin", "labels-1", "labels-2", "defers",
	"panicking", "locked", "rawsyscall",
}

// ids maps scenario names to goroutine ids. Main only.
var ids = map[string]uint64{"main": 1}

func init() { order = append(order, waitOrder...) }

// mainBlock is what main waits on once everything is set up.
var mainBlock = make(chan struct{})

func main() {
	runtime.GOMAXPROCS(4)
	mode := os.Getenv("HANG_MODE")
	dumpPath := os.Getenv("HANG_DUMP")
	if mode == "gcore" && dumpPath == "" {
		fmt.Fprintln(os.Stderr, "hang: HANG_MODE=gcore needs HANG_DUMP")
		os.Exit(2)
	}

	// deep
	base := context.WithValue(context.Background(), tagKey("tenant"), "t-7")
	deepCtx, cancel := context.WithCancel(base)
	cancelDeep = cancel
	noteCtx("background", context.Background())
	noteCtx("todo", context.TODO())
	noteCtx("deep-tenant", base)
	noteCtx("deep-cancel", deepCtx)
	addr("deep-cancelctx", deepCtx)
	addr("deep-chan", deepCh)
	noteChan("deep-chan", deepCh, false, false)
	chanWait("deep", deepCh, "recv", false, 0)
	go handler(deepCtx, 1)

	// select
	selCtx, selCancel := context.WithCancel(context.Background())
	cancels = append(cancels, selCancel)
	selCh := make(chan int)
	addr("select-ctx", selCtx)
	addr("select-chan", selCh)
	noteChan("select-ctxdone", selCtx.Done(), false, false)
	noteChan("select-chan", selCh, false, false)
	chanWait("select", selCtx.Done(), "recv", true, 0)
	chanWait("select", selCh, "recv", true, 0)
	go selectWaiter(selCtx, selCh)

	// iowait
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	acceptCh := make(chan net.Conn)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			panic(err)
		}
		acceptCh <- c
	}()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		panic(err)
	}
	server := <-acceptCh
	keepalive = append(keepalive, ln, client, server)
	go ioReader(server)

	// sleep
	go sleeper()

	// mutex (held by main forever), cond, waitgroup
	mu := new(sync.Mutex)
	mu.Lock()
	addr("mutex", mu)
	syncWait("mutex", "sync.Mutex", mu)
	go mutexWaiter(mu)
	cond := sync.NewCond(new(sync.Mutex))
	addr("cond", cond)
	syncWait("cond", "sync.Cond", cond)
	go condWaiter(cond)
	wg := new(sync.WaitGroup)
	wg.Add(1)
	addr("waitgroup", wg)
	syncWait("waitgroup", "sync.WaitGroup", wg)
	go waitGroupWaiter(wg)
	keepalive = append(keepalive, mu, cond, wg)

	// full buffered channel with two blocked senders, started one at a time
	// so that their order in the channel's queue is known
	full := make(chan int, 2)
	full <- 1
	full <- 2
	addr("chansend-chan", full)
	noteChan("chansend-chan", full, false, false)
	chanWait("chansend-1", full, "send", false, 0)
	chanWait("chansend-2", full, "send", false, 1)
	go chanSender("chansend-1", full, 3)
	parkedAs("chansend-1", chanSend...)
	go chanSender("chansend-2", full, 4)
	parkedAs("chansend-2", chanSend...)

	// spin
	go spinner()

	// labels
	labCh := make(chan int)
	addr("labels-chan", labCh)
	noteChan("labels-chan", labCh, false, false)
	chanWait("labels-1", labCh, "recv", false, 0)
	chanWait("labels-2", labCh, "recv", false, 1)
	go labeled("labels-1", "r-42", labCh)
	parkedAs("labels-1", chanRecv...)
	go labeled("labels-2", "r-43", labCh)
	parkedAs("labels-2", chanRecv...)

	// defers
	defCh := make(chan int)
	addr("defers-chan", defCh)
	noteChan("defers-chan", defCh, false, false)
	chanWait("defers", defCh, "recv", false, 0)
	go deferOuter(defCh)

	// panicking
	panCh := make(chan int)
	addr("panicking-chan", panCh)
	noteChan("panicking-chan", panCh, false, false)
	chanWait("panicking", panCh, "recv", false, 0)
	notePanic("panicking", 0, false, false, "boom")
	go panicker(panCh)

	// locked
	lockCh := make(chan int)
	addr("locked-chan", lockCh)
	noteChan("locked-chan", lockCh, false, false)
	chanWait("locked", lockCh, "recv", false, 0)
	go lockedWaiter(lockCh)

	// raw syscall on a blocking pipe (write end kept open, never written)
	var p [2]int
	if err := sys.Pipe(p[:]); err != nil {
		panic(err)
	}
	keepalive = append(keepalive, p, selCh, full, labCh, defCh, panCh, lockCh)
	go rawSyscallReader(p[0])

	// the scenarios of waits.go
	startWaits()
	// the context scenarios of contexts.go (no scenario lines)
	startContexts()
	noteChan("main-block", mainBlock, false, false)
	chanWait("main", mainBlock, "recv", false, 0)

	for len(ids) < len(order)+1 {
		s := <-startedCh
		ids[s.name] = s.id
	}
	var wait []uint64
	for _, name := range order {
		if name != "spin" {
			wait = append(wait, ids[name])
		}
	}
	wait = append(wait, ctxWaitIDs()...)
	waitParked(wait, "scenario goroutines")
	noteWatchers()
	runtime.GC() // sets g.waitsince of every parked goroutine

	fmt.Printf("scenario main goid=1\n")
	for _, name := range order {
		fmt.Printf("scenario %s goid=%d\n", name, ids[name])
	}
	addr("main-block", mainBlock)
	addrMu.Lock()
	var names []string
	for name := range addrs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Printf("addr %s %s\n", name, addrs[name])
	}
	for _, name := range []string{"locked"} {
		fmt.Printf("tid %s %d\n", name, tids[name])
	}
	addrMu.Unlock()
	printFacts(ids)
	printContexts()

	go finish(mode, dumpPath)
	<-mainBlock // main's state in the core: chan receive
	panic("unreachable")
}

// finish runs once main is parked: one more GC (so main's waitsince is set
// too), then in gcore mode the goroutine dump, then READY. It returns, so its
// goroutine is dead in the core and every other goroutine of the dump is
// parked exactly as in the core (except "spin", which keeps running).
func finish(mode, dumpPath string) {
	id := goid()
	waitParked([]uint64{1}, "main")
	runtime.GC()
	if mode == "gcore" {
		debug.SetTraceback("system")
		buf := make([]byte, 1<<20)
		for {
			n := runtime.Stack(buf, true)
			if n < len(buf) {
				buf = buf[:n]
				break
			}
			buf = make([]byte, 2*len(buf))
		}
		if err := os.WriteFile(dumpPath, buf, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "hang:", err)
			os.Exit(2)
		}
		fmt.Printf("dumper goid=%d\n", id)
	}
	fmt.Println("READY")
	os.Stdout.Sync()
}

// SPDX-License-Identifier: Apache-2.0
