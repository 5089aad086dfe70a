// Command httpsvc is a small net/http service on loopback, run until it has
// the shape of a real one (hundreds of keep-alive connections, many
// requests served and their memory reused), with a few planted bugs: handlers
// blocked deep in their layers on a request the client has canceled, without
// watching r.Context().Done(). Next to them are look-alikes that must not be
// reported: handlers in a select on a live request's Done, handlers holding a
// live request context, idle keep-alive connections whose serve frames still
// hold dead slots pointing at finished (canceled) requests, and client
// goroutines whose dead slots point at canceled contexts. It prints what each
// diagnosis query must and must not report, in the diag program's format. It
// is a program of the gocoroner test corpus; see corpus/README.md.
//
// Standard library only; builds with Go 1.19 through 1.27.
//
// Environment (as for the diag program):
//
//	HANG_MODE=gcore  dump every goroutine to $HANG_DUMP, then READY
//	HANG_MODE=crash  READY; the caller sends SIGABRT (GOTRACEBACK=crash)
//	HANG_LEAKS=FILE  where to write the goroutine-leak profile (debug=2), if
//	                 the runtime has one
//
// Stdout lines (in this order): scenario, addr, conns, expect, clean,
// leakprofile, dumper, READY.
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
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
	nClients = 300 // client workers, each with its own keep-alive connection
	nRounds  = 6   // requests per worker after the warm-up
	nStuck   = 3   // cancel_unobserved on a global channel
	nOrphan  = 2   // cancel_unobserved on a channel only the handler holds (also leaked)
	nWatch   = 3   // look-alike: select on a live r.Context().Done()
	nHold    = 3   // look-alike: blocked holding a live request context
)

// The bug queries: a look-alike must be reported by none of them.
var bugQueries = []string{"cancel_unobserved", "cancel_broken_link", "cancel_detached",
	"context_lock_wait", "leak_suspect", "wait_cycle"}

type started struct {
	name string
	id   uint64
}

type heldRec struct {
	ctx context.Context
	fn  string
	obj string
}

type expectRec struct{ kind, query, scen, fields string }

var (
	startedCh = make(chan started, 4096)

	mu      sync.Mutex
	addrs   = map[string]string{}
	held    = map[string]heldRec{} // handler name -> the context its blocking frame holds
	ids     = map[string]uint64{"main": 1}
	order   []string
	expects []expectRec

	// connection goroutines, from the server's ConnState hook (which runs on
	// the connection's own goroutine for StateActive and StateIdle)
	connMu    sync.Mutex
	connGoid  = map[net.Conn]uint64{}
	connState = map[net.Conn]http.ConnState{}

	server    *http.Server
	transport *http.Transport
	client    *http.Client
	baseURL   string

	mainBlock = make(chan struct{})
	parkCh    = make(chan struct{}) // where finished client goroutines park (healthy)
	liveCh    = make(chan struct{}) // what the live look-alike handlers wait for (healthy)
	stuckCh   = make(chan int)      // the "database" the stuck handlers wait for (global)

	warmArrived sync.WaitGroup
	warmGate    = make(chan struct{})
	rounds      [nRounds + 1]chan struct{}
	roundDone   sync.WaitGroup

	itemsServed int64
	wakeup      *time.Timer
)

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

func addr(name string, p interface{}) string {
	s := fmt.Sprintf("%p", p)
	mu.Lock()
	addrs[name] = s
	mu.Unlock()
	return s
}

func addrWord(name string, w uintptr) {
	mu.Lock()
	addrs[name] = fmt.Sprintf("0x%x", w)
	mu.Unlock()
}

func expect(q, scen, fields string) {
	mu.Lock()
	expects = append(expects, expectRec{"expect", q, scen, fields})
	mu.Unlock()
}

// cleanAll: no bug query may report SCEN's goroutine, but those named in
// EXCEPT (its expect lines).
func cleanAll(scen string, except ...string) {
	mu.Lock()
	defer mu.Unlock()
next:
	for _, q := range bugQueries {
		for _, e := range except {
			if q == e {
				continue next
			}
		}
		expects = append(expects, expectRec{"clean", q, scen, ""})
	}
}

// ctxWord is the data word of the interface value.
func ctxWord(ctx context.Context) uintptr {
	return (*[2]uintptr)(unsafe.Pointer(&ctx))[1]
}

// ctxParent: the embedded Context of a context package struct, or nil.
func ctxParent(ctx context.Context) context.Context {
	v := reflect.ValueOf(ctx)
	if v.Kind() != reflect.Ptr || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	f := v.Elem().FieldByName("Context")
	if !f.IsValid() || f.Type() != reflect.TypeOf((*context.Context)(nil)).Elem() {
		return nil
	}
	return *(*context.Context)(unsafe.Pointer(f.UnsafeAddr()))
}

// canceledOrigin: the outermost canceled cancel/timer context of CTX's
// chain (where the cancellation happened), or nil.
func canceledOrigin(ctx context.Context) context.Context {
	var origin context.Context
	for c := ctx; c != nil; c = ctxParent(c) {
		switch fmt.Sprintf("%T", c) {
		case "*context.cancelCtx", "*context.timerCtx":
			if c.Err() != nil {
				origin = c
			}
		}
	}
	return origin
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
			fmt.Fprintf(os.Stderr, "httpsvc: %s did not park: %s\n", what, last)
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

// waitFor receives registrations until NAME's arrives.
func waitFor(name string) uint64 {
	for {
		mu.Lock()
		id, ok := ids[name]
		mu.Unlock()
		if ok {
			return id
		}
		s := <-startedCh
		mu.Lock()
		ids[s.name] = s.id
		mu.Unlock()
	}
}

func named(name string) uint64 {
	order = append(order, name)
	id := waitFor(name)
	waitParked([]uint64{id}, name)
	return id
}

// ---------------------------------------------------------------------------
// The server: handler -> service -> repo, each taking the request's context.

// holdCtx records that the calling (blocking) function holds CTX, waiting
// on OBJ, and tells main which goroutine runs handler NAME.
//
//go:noinline
func holdCtx(name string, ctx context.Context, obj string) {
	pc, _, _, _ := runtime.Caller(1)
	mu.Lock()
	held[name] = heldRec{ctx, runtime.FuncForPC(pc).Name(), obj}
	mu.Unlock()
	register(name)
}

//go:noinline
func svcHandler(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	n, err := svcLookup(r.Context(), q.Get("kind"), q.Get("name"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintf(w, "item %s %d\n", q.Get("name"), n)
}

//go:noinline
func svcLookup(ctx context.Context, kind, name string) (int, error) {
	if kind == "warm" {
		warmArrived.Done()
		<-warmGate
		return 0, nil
	}
	n, err := repoFetch(ctx, kind, name)
	runtime.KeepAlive(ctx)
	return n + 1, err
}

//go:noinline
func repoFetch(ctx context.Context, kind, name string) (int, error) {
	var n int
	switch kind {
	case "stuck":
		n = repoWaitStuck(ctx, name)
	case "orphan":
		n = repoWaitOrphan(ctx, name)
	case "watch":
		return repoWatchDone(ctx, name)
	case "hold":
		n = repoHoldLive(ctx, name)
	default:
		n = repoQuick(ctx, name)
	}
	runtime.KeepAlive(ctx)
	return n, nil
}

// repoQuick: a request that completes.
//
//go:noinline
func repoQuick(ctx context.Context, name string) int {
	row := make([]byte, 64+len(name))
	copy(row, name)
	mu.Lock()
	itemsServed++
	mu.Unlock()
	runtime.KeepAlive(ctx)
	return len(row)
}

// repoWaitStuck: the bug. Waits for the database (a global channel) and
// never looks at ctx.Done(), although it keeps ctx for later.
//
//go:noinline
func repoWaitStuck(ctx context.Context, name string) int {
	holdCtx(name, ctx, addr("stuck-chan", stuckCh))
	n := <-stuckCh
	runtime.KeepAlive(ctx)
	return n
}

// repoWaitOrphan: the bug, on a channel only this frame references (a
// result the code forgot to ask for): leaked as well.
//
//go:noinline
func repoWaitOrphan(ctx context.Context, name string) int {
	ch := make(chan int)
	holdCtx(name, ctx, addr(name+"-chan", ch))
	n := <-ch
	runtime.KeepAlive(ctx)
	return n
}

// repoWatchDone: the look-alike that watches the (live) request context.
//
//go:noinline
func repoWatchDone(ctx context.Context, name string) (int, error) {
	holdCtx(name, ctx, addr("live-chan", liveCh))
	select {
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-liveCh:
		return 1, nil
	}
}

// repoHoldLive: blocked holding a live request context (the client waits).
//
//go:noinline
func repoHoldLive(ctx context.Context, name string) int {
	holdCtx(name, ctx, addr("live-chan", liveCh))
	<-liveCh
	runtime.KeepAlive(ctx)
	return 2
}

func connHook(c net.Conn, s http.ConnState) {
	connMu.Lock()
	defer connMu.Unlock()
	connState[c] = s
	if s == http.StateActive || s == http.StateIdle {
		connGoid[c] = goid()
	}
}

// ---------------------------------------------------------------------------
// The client.

//go:noinline
func clientGet(ctx context.Context, kind, name string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", baseURL+"/item?kind="+kind+"&name="+name, nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

//go:noinline
func clientGetOK(ctx context.Context, kind, name string) {
	if _, err := clientGet(ctx, kind, name); err != nil {
		fmt.Fprintln(os.Stderr, "httpsvc: request:", err)
		os.Exit(2)
	}
}

//go:noinline
func clientPark(name string) {
	register(name)
	<-parkCh
}

// clientWorker: the warm-up request (one connection each), then a request
// per round, then it parks on a global channel. Each request's context is
// canceled once its response is read (after the handler returned). ctx is
// a variable of the whole function: when the worker parks it is dead (never
// used again) but in scope, and its slot still holds the last request's
// canceled context.
//
//go:noinline
func clientWorker(i int) {
	ctx, cancel := context.WithCancel(context.Background())
	clientGetOK(ctx, "warm", "w"+strconv.Itoa(i))
	cancel()
	for k := 1; k <= nRounds; k++ {
		<-rounds[k]
		ctx, cancel = context.WithCancel(context.Background())
		clientGetOK(ctx, "item", fmt.Sprintf("r%d-%d", k, i))
		cancel()
		roundDone.Done()
	}
	clientPark(fmt.Sprintf("client-%d", i))
}

// clientCanceling: sends a request that the handler will block on, and
// waits for its response until CTX is canceled (by main); then parks.
//
//go:noinline
func clientCanceling(ctx context.Context, kind, name string) {
	if _, err := clientGet(ctx, kind, name); err == nil {
		fmt.Fprintln(os.Stderr, "httpsvc: request "+name+" was not canceled")
		os.Exit(2)
	}
	clientPark(name + "-client")
}

// clientWaiting: sends a request whose handler blocks, and waits for the
// response with a live context.
//
//go:noinline
func clientWaiting(ctx context.Context, kind, name string) {
	register(name + "-client")
	clientGet(ctx, kind, name)
	runtime.KeepAlive(ctx)
}

var clientCtxs []context.Context // live client contexts, kept reachable

func main() {
	runtime.GOMAXPROCS(4)
	mode := os.Getenv("HANG_MODE")
	dumpPath := os.Getenv("HANG_DUMP")
	leakPath := os.Getenv("HANG_LEAKS")
	if mode == "gcore" && dumpPath == "" {
		fmt.Fprintln(os.Stderr, "httpsvc: HANG_MODE=gcore needs HANG_DUMP")
		os.Exit(2)
	}
	wakeup = time.AfterFunc(48*time.Hour, func() {})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	baseURL = "http://" + ln.Addr().String()
	mux := http.NewServeMux()
	mux.HandleFunc("/item", svcHandler)
	server = &http.Server{Handler: mux, ConnState: connHook}
	go server.Serve(ln)
	transport = &http.Transport{MaxIdleConns: 4 * nClients, MaxIdleConnsPerHost: 4 * nClients,
		DisableCompression: true, IdleConnTimeout: 0}
	client = &http.Client{Transport: transport}

	// Warm-up: every worker's first request is in flight at once, so each
	// has its own connection; then the rounds reuse them, with a GC between
	// rounds so that later requests reuse the memory of earlier ones.
	for k := range rounds {
		rounds[k] = make(chan struct{})
	}
	warmArrived.Add(nClients)
	roundDone.Add(nClients)
	for i := 0; i < nClients; i++ {
		go clientWorker(i)
	}
	warmArrived.Wait()
	close(warmGate)
	for k := 1; k <= nRounds; k++ {
		close(rounds[k])
		roundDone.Wait()
		if k < nRounds {
			roundDone.Add(nClients)
		}
		runtime.GC()
	}
	var cl []uint64
	for i := 0; i < nClients; i++ {
		name := fmt.Sprintf("client-%d", i)
		order = append(order, name)
		cl = append(cl, waitFor(name))
	}
	waitParked(cl, "client workers")

	// The planted bugs: the handler blocks, then the client cancels.
	plantCanceled := func(kind, name string) {
		ctx, cancel := context.WithCancel(context.Background())
		go clientCanceling(ctx, kind, name)
		named(name)
		cancel()
		mu.Lock()
		h := held[name]
		mu.Unlock()
		deadline := time.Now().Add(30 * time.Second)
		for h.ctx.Err() == nil {
			if time.Now().After(deadline) {
				fmt.Fprintln(os.Stderr, "httpsvc: "+name+": request context not canceled")
				os.Exit(2)
			}
			time.Sleep(10 * time.Millisecond)
		}
		named(name + "-client")
		origin := canceledOrigin(h.ctx)
		if origin == nil {
			panic(name + ": no canceled context in the chain")
		}
		fields := fmt.Sprintf("func=%s ctx=0x%x canceled=0x%x obj=%s", h.fn, ctxWord(h.ctx), ctxWord(origin), h.obj)
		addrWord(name+"-ctx", ctxWord(h.ctx))
		addrWord(name+"-canceled", ctxWord(origin))
		expect("cancel_unobserved", name, fields)
		if kind == "orphan" {
			expect("leak_suspect", name, "obj="+h.obj)
			cleanAll(name, "cancel_unobserved", "leak_suspect")
		} else {
			cleanAll(name, "cancel_unobserved")
		}
		cleanAll(name + "-client")
	}
	for i := 1; i <= nStuck; i++ {
		plantCanceled("stuck", fmt.Sprintf("stuck-%d", i))
	}
	for i := 1; i <= nOrphan; i++ {
		plantCanceled("orphan", fmt.Sprintf("orphan-%d", i))
	}
	// The look-alikes with a live request context.
	plantLive := func(kind, name string) {
		ctx, cancel := context.WithCancel(context.Background())
		clientCtxs = append(clientCtxs, ctx)
		_ = cancel
		go clientWaiting(ctx, kind, name)
		named(name)
		named(name + "-client")
		mu.Lock()
		h := held[name]
		mu.Unlock()
		if h.ctx.Err() != nil {
			panic(name + ": request context canceled")
		}
		addrWord(name+"-ctx", ctxWord(h.ctx))
		cleanAll(name)
		cleanAll(name + "-client")
	}
	for i := 1; i <= nWatch; i++ {
		plantLive("watch", fmt.Sprintf("watch-%d", i))
	}
	for i := 1; i <= nHold; i++ {
		plantLive("hold", fmt.Sprintf("hold-%d", i))
	}
	for i := 0; i < nClients; i++ {
		cleanAll(fmt.Sprintf("client-%d", i))
	}

	waitParked(nil, "all goroutines")
	// Idle keep-alive connections: last state idle; their goroutines (the
	// ones that ran the requests) are in IO wait in (*conn).serve.
	connMu.Lock()
	var idle []uint64
	nconn := map[http.ConnState]int{}
	for c, s := range connState {
		nconn[s]++
		if s == http.StateIdle {
			idle = append(idle, connGoid[c])
		}
	}
	connMu.Unlock()
	sort.Slice(idle, func(i, j int) bool { return idle[i] < idle[j] })
	for i, id := range idle {
		name := fmt.Sprintf("idle-%d", i+1)
		ids[name] = id
		order = append(order, name)
		cleanAll(name)
	}
	waitParked(idle, "idle connections")
	runtime.GC() // sets g.waitsince of every parked goroutine

	fmt.Printf("scenario main goid=1\n")
	for _, name := range order {
		fmt.Printf("scenario %s goid=%d\n", name, ids[name])
	}
	var names []string
	for name := range addrs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Printf("addr %s %s\n", name, addrs[name])
	}
	fmt.Printf("conns idle=%d active=%d closed=%d items=%d\n", nconn[http.StateIdle],
		nconn[http.StateActive], nconn[http.StateClosed], itemsServed)
	for _, k := range []string{"expect", "clean"} {
		for _, e := range expects {
			if e.kind != k {
				continue
			}
			id, ok := ids[e.scen]
			if !ok {
				panic("expectation for unknown scenario " + e.scen)
			}
			line := fmt.Sprintf("%s %s %s goid=%d", e.kind, e.query, e.scen, id)
			if e.fields != "" {
				line += " " + e.fields
			}
			fmt.Println(line)
		}
	}

	go finish(mode, dumpPath, leakPath)
	<-mainBlock
	panic("unreachable")
}

// finish runs once main is parked: one more GC, the goroutine dump (gcore
// mode), Go's goroutine-leak profile (when the runtime has one), READY. It
// returns: its goroutine is dead in the core.
func finish(mode, dumpPath, leakPath string) {
	id := goid()
	waitParked([]uint64{1}, "main")
	runtime.GC()
	if mode == "gcore" {
		debug.SetTraceback("system")
		if err := os.WriteFile(dumpPath, []byte(allStacks()), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "httpsvc:", err)
			os.Exit(2)
		}
	}
	if p := pprof.Lookup("goroutineleak"); p != nil && leakPath != "" {
		f, err := os.Create(leakPath)
		if err == nil {
			err = p.WriteTo(f, 2)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "httpsvc:", err)
			os.Exit(2)
		}
		fmt.Printf("leakprofile written\n")
	}
	if mode == "gcore" {
		fmt.Printf("dumper goid=%d\n", id)
	}
	fmt.Println("READY")
	os.Stdout.Sync()
}

// SPDX-License-Identifier: Apache-2.0
