// Command ctxroots plants contexts in every place a process keeps them and
// prints, for each one, where it keeps it: in a goroutine's live frame
// variable, in a package variable, in a channel's buffer, as a map value,
// in a heap object reached from a package variable, or only as the parent of
// another planted context. Besides these it plants a user-defined Context
// with its own Done channel (a broken cancellation link), a live child of a
// WithoutCancel context under a canceled parent (Go 1.21+), and a culprit
// goroutine in IO wait holding a mutex that 100 goroutines started through
// an errgroup-like group wait for, with one more goroutine in the group's
// Wait. It is a program of the gocoroner test corpus; see corpus/README.md.
//
// Standard library only; builds with Go 1.19 through 1.27 (the WithoutCancel
// scenario, detached.go, only with Go 1.21+).
//
// Environment (as for the httpsvc program):
//
//	HANG_MODE=gcore  dump every goroutine to $HANG_DUMP, then READY
//	HANG_MODE=crash  READY; the caller sends SIGABRT (GOTRACEBACK=crash)
//
// HANG_LEAKS is ignored: the program writes no goroutine-leak profile.
//
// Stdout lines (in this order): scenario, ctx, labels, owndone, detached,
// culprit, victim, dumper, READY.
package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"reflect"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"
)

const (
	nJobs    = 92  // contexts queued in the jobs channel
	nVictims = 100 // goroutines blocked on the culprit's mutex
)

type started struct {
	name string
	id   uint64
}

// ctxKey is the type of the keys of the planted WithValue contexts.
type ctxKey string

// Where the program keeps its contexts.
var (
	// scenario registry: the leaf of a canceled subtree, only in the
	// slice's backing array; a second leaf in the variable itself.
	registry []context.Context
	current  context.Context

	// scenario sessions: contexts as map values.
	sessions map[string]context.Context

	// scenario server: contexts in a field of heap objects.
	server *srv

	// scenario syncmap: contexts as values of a sync.Map (behind
	// unsafe.Pointers: atomic.Pointer, or the trie nodes of Go 1.24+).
	inflight sync.Map

	// scenario labels: a pprof.WithLabels context in a package variable;
	// its value is the labels, printed as a "labels" line.
	labeled context.Context

	// scenario closure: a context captured by a func value kept in a
	// package variable (a captured variable has no DWARF type).
	onShutdown func() int

	// scenario culprit: the loopback connection it reads (the peer never
	// writes) and its peer, kept reachable so that no finalizer closes
	// them. The mutex it holds is in a resource no package variable
	// reaches (a global mutex anyone could unlock is nobody's to hold).
	listener    net.Listener
	culpritConn net.Conn
	peerConn    net.Conn
)

type job struct {
	id   int
	ctx  context.Context
	name string
}

type request struct {
	id   int
	path string
	ctx  context.Context
}

type srv struct {
	name string
	reqs []*request
}

// ownCtx is a user-defined Context with a Done channel of its own, which
// its (canceled) parent's cancellation never closes.
type ownCtx struct {
	context.Context
	done chan struct{}
}

func (c *ownCtx) Done() <-chan struct{} { return c.done }

// group is a minimal errgroup.Group (golang.org/x is not available).
type group struct {
	wg   sync.WaitGroup
	errM sync.Mutex
	err  error
}

func (g *group) Go(f func() error) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		if err := f(); err != nil {
			g.errM.Lock()
			if g.err == nil {
				g.err = err
			}
			g.errM.Unlock()
		}
	}()
}

func (g *group) Wait() error {
	g.wg.Wait()
	return g.err
}

// What the program prints. Only strings: a record holding a context would
// be one more place that keeps it.
var (
	startedCh = make(chan started, 4096)
	regMu     sync.Mutex
	ids       = map[string]uint64{"main": 1}
	order     []string // scenario lines after main's

	ctxLines     []string
	ownLine      string
	labelsLine   string
	detachedLine string
	culpritLines []string

	mainBlock = make(chan struct{})
)

func utoa(n uint64) string { return strconv.FormatUint(n, 10) }

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

func register(name string) { startedCh <- started{name, goid()} }

// ctxWord is the data word of the interface value.
func ctxWord(ctx context.Context) uintptr {
	return (*[2]uintptr)(unsafe.Pointer(&ctx))[1]
}

// ctxAddr: the context's address as %p prints it. Contexts that are not
// pointers (Background on Go 1.21+, WithoutCancel's struct) print as the
// data word of the interface, the same number %p would print for a pointer.
func ctxAddr(ctx context.Context) string {
	w := fmt.Sprintf("0x%x", ctxWord(ctx))
	if reflect.TypeOf(ctx).Kind() == reflect.Ptr {
		if p := fmt.Sprintf("%p", ctx); p != w {
			panic("ctxAddr: %p " + p + " is not the data word " + w)
		}
	}
	return w
}

// plant records the ctx line of CTX, derived from PARENT, kept at FOUND/AT.
// Called once the scenario's cancellations are done.
func plant(ctx, parent context.Context, kind, found, at, scen string) {
	state := "live"
	if ctx.Err() != nil {
		state = "canceled"
	}
	ctxLines = append(ctxLines, fmt.Sprintf("ctx %s kind=%s parent=%s state=%s found=%s at=%s scenario=%s",
		ctxAddr(ctx), kind, ctxAddr(parent), state, found, at, scen))
}

func allStacks() string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return string(buf[:n])
		}
		buf = make([]byte, 2*len(buf))
	}
}

// states parses runtime.Stack(all) into goid -> state.
func states() map[uint64]string {
	m := map[uint64]string{}
	for _, line := range strings.Split(allStacks(), "\n") {
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

// waitParked polls until every goroutine in IDS (every goroutine but the
// caller when IDS is nil) is parked, then until the states were the same
// for several polls.
func waitParked(ids []uint64, what string) {
	self := goid()
	deadline := time.Now().Add(120 * time.Second)
	var last string
	for stable := 0; stable < 5; {
		if time.Now().After(deadline) {
			if len(last) > 2000 {
				last = last[:2000] + "..."
			}
			fmt.Fprintf(os.Stderr, "ctxroots: %s did not park: %s\n", what, last)
			os.Exit(2)
		}
		st := states()
		want := ids
		if want == nil {
			for id := range st {
				if id != self {
					want = append(want, id)
				}
			}
			sort.Slice(want, func(i, j int) bool { return want[i] < want[j] })
		}
		var b strings.Builder
		all := true
		for _, id := range want {
			fmt.Fprintf(&b, "%d=[%s] ", id, st[id])
			all = all && parked(st[id])
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

// waitFor receives registrations until NAME's arrives; NAME gets a
// scenario line.
func waitFor(name string) uint64 {
	order = append(order, name)
	for {
		regMu.Lock()
		id, ok := ids[name]
		regMu.Unlock()
		if ok {
			return id
		}
		s := <-startedCh
		regMu.Lock()
		ids[s.name] = s.id
		regMu.Unlock()
	}
}

// ---------------------------------------------------------------------------
// 1. registry: a canceled subtree kept only by package variables.

//go:noinline
func plantRegistry() {
	bg := context.Background()
	parent, cancel := context.WithCancel(bg)
	reqCtx, cancelReq := context.WithCancel(parent)
	valCtx := context.WithValue(reqCtx, ctxKey("request_id"), "req-42")
	leaf, cancelLeaf := context.WithTimeout(valCtx, time.Hour)
	leaf2, cancelLeaf2 := context.WithCancel(valCtx)
	_, _, _ = cancelReq, cancelLeaf, cancelLeaf2
	registry = append(registry, leaf)
	current = leaf2
	cancel()
	plant(parent, bg, "cancel", "ancestor", "-", "registry")
	plant(reqCtx, parent, "cancel", "ancestor", "-", "registry")
	plant(valCtx, reqCtx, "value", "ancestor", "-", "registry")
	plant(leaf, valCtx, "timer", "heap", "main.registry", "registry")
	plant(leaf2, valCtx, "cancel", "global", "main.current", "registry")
}

// ---------------------------------------------------------------------------
// 2. jobs: contexts in a channel's buffer; only a worker's frame holds the
// channel.

// jobWorker holds Q in a frame variable, live while it blocks on START
// (never closed); it holds none of the jobs' contexts.
//
//go:noinline
func jobWorker(q chan job, start chan struct{}) {
	register("jobs-worker")
	<-start
	for j := range q {
		runtime.KeepAlive(j.ctx)
	}
}

//go:noinline
func plantJobs() {
	bg := context.Background()
	base, cancelBase := context.WithCancel(bg)
	_ = cancelBase
	q := make(chan job, 128)
	qa := fmt.Sprintf("%p", q)
	plant(base, bg, "cancel", "ancestor", "-", "jobs")
	for i := 0; i < nJobs; i++ {
		var ctx context.Context
		kind := "cancel"
		switch i % 4 {
		case 0: // canceled
			c, cancel := context.WithCancel(base)
			cancel()
			ctx = c
		case 1: // live
			c, cancel := context.WithCancel(base)
			_ = cancel
			ctx = c
		case 2:
			ctx = context.WithValue(base, ctxKey("job"), i)
			kind = "value"
		case 3:
			c, cancel := context.WithTimeout(base, time.Hour)
			_ = cancel
			ctx = c
			kind = "timer"
		}
		q <- job{id: i, ctx: ctx, name: "job-" + strconv.Itoa(i)}
		plant(ctx, base, kind, "chan buffer", qa, "jobs")
	}
	go jobWorker(q, make(chan struct{}))
	id := waitFor("jobs-worker")
	waitParked([]uint64{id}, "jobs-worker")
}

// ---------------------------------------------------------------------------
// 3. sessions: contexts as the values of a package-level map.

//go:noinline
func plantSessions() {
	bg := context.Background()
	sessions = map[string]context.Context{}
	type rec struct {
		ctx  context.Context
		kind string
	}
	var recs []rec
	for i := 1; i <= 5; i++ {
		var r rec
		if i == 3 {
			c, cancel := context.WithTimeout(bg, time.Hour)
			_ = cancel
			r = rec{c, "timer"}
		} else {
			c, cancel := context.WithCancel(bg)
			if i%2 == 0 {
				cancel()
			}
			r = rec{c, "cancel"}
		}
		sessions["sess-"+strconv.Itoa(i)] = r.ctx
		recs = append(recs, r)
	}
	for _, r := range recs {
		plant(r.ctx, bg, r.kind, "map", "main.sessions", "sessions")
	}
}

// ---------------------------------------------------------------------------
// 4. server: contexts in a field of heap objects behind a package variable.

//go:noinline
func plantServer() {
	bg := context.Background()
	s := &srv{name: "api"}
	c1, cancel1 := context.WithCancel(bg)
	c2, cancel2 := context.WithCancel(bg)
	c3, cancel3 := context.WithTimeout(bg, time.Hour)
	_, _ = cancel1, cancel3
	cancel2()
	s.reqs = append(s.reqs,
		&request{id: 1, path: "/a", ctx: c1},
		&request{id: 2, path: "/b", ctx: c2},
		&request{id: 3, path: "/c", ctx: c3})
	server = s
	plant(c1, bg, "cancel", "heap", "main.server", "server")
	plant(c2, bg, "cancel", "heap", "main.server", "server")
	plant(c3, bg, "timer", "heap", "main.server", "server")
}

// ---------------------------------------------------------------------------
// 4b. syncmap: contexts as the values of a package-level sync.Map.

//go:noinline
func plantSyncMap() {
	bg := context.Background()
	for i := 1; i <= 6; i++ {
		c, cancel := context.WithCancel(bg)
		if i%3 == 0 {
			cancel()
		}
		inflight.Store("req-"+strconv.Itoa(i), c)
		plant(c, bg, "cancel", "heap", "main.inflight", "syncmap")
	}
}

// 4c. labels: pprof.WithLabels keeps the labels as a valueCtx's value.

//go:noinline
func plantLabels() {
	bg := context.Background()
	c := pprof.WithLabels(bg, pprof.Labels("tenant", "t-9", "route", "/export"))
	labeled = c
	plant(c, bg, "value", "global", "main.labeled", "labels")
	labelsLine = "labels " + ctxAddr(c) + ` {"route":"/export","tenant":"t-9"}`
}

// 4d. closure: a context captured by a func value in a package variable.

//go:noinline
func plantClosure() {
	bg := context.Background()
	c, cancel := context.WithCancel(bg)
	cancel()
	n := 0
	onShutdown = func() int { // captures c by value, n by reference
		n++
		if c.Err() != nil {
			return n
		}
		return 0
	}
	plant(c, bg, "cancel", "heap", "main.onShutdown", "closure")
}

// ---------------------------------------------------------------------------
// 5. own-done: a user-defined Context whose Done is its own channel.

// ownWaiter holds C in a frame variable and waits on C.Done() and on OTHER
// (never ready): stuck forever, although C's parent is canceled.
//
//go:noinline
func ownWaiter(c *ownCtx, other chan int) {
	register("owndone")
	select {
	case <-c.Done():
	case <-other:
	}
	runtime.KeepAlive(c)
}

//go:noinline
func plantOwnDone() {
	bg := context.Background()
	parent, cancel := context.WithCancel(bg)
	cancel()
	oc := &ownCtx{Context: parent, done: make(chan struct{})}
	go ownWaiter(oc, make(chan int))
	id := waitFor("owndone")
	waitParked([]uint64{id}, "owndone")
	plant(parent, bg, "cancel", "ancestor", "-", "owndone")
	plant(oc, parent, "user", "frame", "goroutine:"+utoa(id), "owndone")
	ownLine = fmt.Sprintf("owndone %s done=%p waiter=%d", ctxAddr(oc), oc.done, id)
}

// ---------------------------------------------------------------------------
// 7. culprit and victims.

// resource is what the culprit and its victims share: only their stacks
// reach it.
type resource struct {
	mu   sync.Mutex
	name string
}

// culprit locks res.mu, then reads a loopback connection whose peer never
// writes: IO wait, holding the mutex. It holds its (canceled) request
// context and never looks at ctx.Done().
//
//go:noinline
func culprit(ctx context.Context, c net.Conn, res *resource, locked chan struct{}) {
	register("culprit")
	res.mu.Lock()
	close(locked)
	buf := make([]byte, 1)
	n, err := c.Read(buf)
	res.mu.Unlock()
	runtime.KeepAlive(ctx)
	fmt.Fprintln(os.Stderr, "ctxroots: culprit read returned", n, err)
	os.Exit(2)
}

// victimLock: a group member that takes the canceled request context and
// waits for res.mu.
//
//go:noinline
func victimLock(ctx context.Context, name string, res *resource) error {
	register(name)
	res.mu.Lock()
	defer res.mu.Unlock()
	return ctx.Err()
}

// groupWaiter waits for the group: for the 100 victims.
//
//go:noinline
func groupWaiter(g *group) {
	register("waitgroup")
	if err := g.Wait(); err != nil {
		fmt.Fprintln(os.Stderr, "ctxroots: group:", err)
	}
}

//go:noinline
func plantCulprit() {
	var err error
	listener, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	accepted := make(chan net.Conn)
	go func() {
		c, err := listener.Accept()
		if err != nil {
			panic(err)
		}
		accepted <- c
	}()
	culpritConn, err = net.Dial("tcp", listener.Addr().String())
	if err != nil {
		panic(err)
	}
	peerConn = <-accepted

	bg := context.Background()
	ctx, cancel := context.WithCancel(bg)
	cancel()
	locked := make(chan struct{})
	res := &resource{name: "db-1"}
	go culprit(ctx, culpritConn, res, locked)
	<-locked
	cid := waitFor("culprit")
	waitParked([]uint64{cid}, "culprit")

	g := &group{}
	var vids []uint64
	for i := 1; i <= nVictims; i++ {
		name := "victim-" + strconv.Itoa(i)
		g.Go(func() error { return victimLock(ctx, name, res) })
	}
	for i := 1; i <= nVictims; i++ {
		vids = append(vids, waitFor("victim-"+strconv.Itoa(i)))
	}
	waitParked(vids, "victims")
	go groupWaiter(g)
	wid := waitFor("waitgroup")
	waitParked([]uint64{wid}, "waitgroup")

	plant(ctx, bg, "cancel", "frame", "goroutine:"+utoa(cid), "culprit")
	culpritLines = append(culpritLines, fmt.Sprintf("culprit %d mutex=%p ctx=%s", cid, &res.mu, ctxAddr(ctx)))
	for _, v := range vids {
		culpritLines = append(culpritLines, fmt.Sprintf("victim %d culprit=%d via=mutex", v, cid))
	}
	culpritLines = append(culpritLines, fmt.Sprintf("victim %d culprit=%d via=waitgroup", wid, cid))
}

func main() {
	runtime.GOMAXPROCS(4)
	mode := os.Getenv("HANG_MODE")
	dumpPath := os.Getenv("HANG_DUMP")
	if mode == "gcore" && dumpPath == "" {
		fmt.Fprintln(os.Stderr, "ctxroots: HANG_MODE=gcore needs HANG_DUMP")
		os.Exit(2)
	}

	plantRegistry()
	plantJobs()
	plantSessions()
	plantServer()
	plantSyncMap()
	plantLabels()
	plantClosure()
	plantOwnDone()
	plantDetached()
	plantCulprit()

	waitParked(nil, "all goroutines")
	runtime.GC() // sets g.waitsince of every parked goroutine

	fmt.Printf("scenario main goid=1\n")
	for _, name := range order {
		fmt.Printf("scenario %s goid=%d\n", name, ids[name])
	}
	for _, l := range ctxLines {
		fmt.Println(l)
	}
	fmt.Println(labelsLine)
	fmt.Println(ownLine)
	if detachedLine != "" {
		fmt.Println(detachedLine)
	}
	for _, l := range culpritLines {
		fmt.Println(l)
	}

	go finish(mode, dumpPath)
	<-mainBlock
	panic("unreachable")
}

// finish runs once main is parked: one more GC, the goroutine dump (gcore
// mode), READY. It returns: its goroutine is dead in the core.
func finish(mode, dumpPath string) {
	id := goid()
	waitParked([]uint64{1}, "main")
	runtime.GC()
	if mode == "gcore" {
		debug.SetTraceback("system")
		if err := os.WriteFile(dumpPath, []byte(allStacks()), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "ctxroots:", err)
			os.Exit(2)
		}
		fmt.Printf("dumper goid=%d\n", id)
	}
	fmt.Println("READY")
	os.Stdout.Sync()
}

// SPDX-License-Identifier: Apache-2.0
