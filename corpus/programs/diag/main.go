// Command diag plants the bugs that gocoroner's diagnosis queries look for
// (broken cancel propagation, leaks, wait cycles, contention on a context's
// lock) next to look-alikes that must not be reported, and prints what each
// query must and must not report. It is the second program of the gocoroner
// test corpus; see corpus/README.md.
//
// Standard library only; it builds with Go 1.19 through 1.27 (APIs of Go 1.20
// and 1.21 are in build-tagged files). Every object of a scenario that is not
// a planted leak or cycle is reachable from a package-level variable, and main
// blocks on a package-level channel, so that the planted leaks are the only
// leaks (Go's goroutine-leak profile, written on 1.26+ when available, says
// so too).
//
// Environment (as for the hang program):
//
//	HANG_MODE=gcore  dump every goroutine to $HANG_DUMP, then READY
//	HANG_MODE=crash  READY; the caller sends SIGABRT (GOTRACEBACK=crash)
//	HANG_LEAKS=FILE  where to write the goroutine-leak profile (debug=2), if
//	                 the runtime has one
//
// Stdout lines (in this order): scenario, addr, expect, clean, labels, ctx,
// ctxtext, ctxchild, ctxheld, ctxwatcher, leakprofile, dumper, READY.
package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	sys "syscall"
	"time"
)

type started struct {
	name string
	id   uint64
}

type labelRec struct{ scen, text string }

type expectRec struct {
	kind, query, scen, fields string
}

var (
	startedCh = make(chan started, 128)

	addrMu  sync.Mutex
	addrs   = map[string]string{}
	expects []expectRec
	labels  []labelRec // goroutines with pprof labels, in start order

	// keep holds every object of the scenarios that must stay reachable
	// from a global (everything but the planted leaks and cycles).
	keep    []interface{}
	cancels []context.CancelFunc

	mainBlock  = make(chan struct{})
	watcherIDs []uint64
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

// register tells main which goroutine runs scenario NAME; called by the
// scenario goroutine just before it parks.
func register(name string) {
	startedCh <- started{name, goid()}
}

func addr(name string, p interface{}) string {
	s := fmt.Sprintf("%p", p)
	addrMu.Lock()
	addrs[name] = s
	addrMu.Unlock()
	return s
}

// expect: query Q must report scenario SCEN's goroutine (FIELDS: func=,
// ctx=, canceled=, obj=, cycle=); clean: it must not.
func expect(q, scen, fields string) {
	expects = append(expects, expectRec{"expect", q, scen, fields})
}

func clean(q, scen string) {
	expects = append(expects, expectRec{"clean", q, scen, ""})
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
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

// waitParked polls until every goroutine in IDS is parked, then until the
// states were the same for several polls.
func waitParked(ids []uint64, what string) {
	deadline := time.Now().Add(30 * time.Second)
	var last string
	for stable := 0; stable < 5; {
		if time.Now().After(deadline) {
			fmt.Fprintf(os.Stderr, "diag: %s did not park: %s\n", what, last)
			os.Exit(2)
		}
		st := states()
		var b strings.Builder
		all := true
		for _, id := range ids {
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

// ids maps scenario names to goroutine ids; order is the start order.
var (
	ids   = map[string]uint64{"main": 1}
	order []string
)

// waitFor receives registrations until scenario NAME's arrives.
func waitFor(name string) uint64 {
	for {
		if id, ok := ids[name]; ok {
			return id
		}
		s := <-startedCh
		ids[s.name] = s.id
	}
}

// start runs F in a new goroutine as scenario NAME and waits until it is
// parked (so that the scenarios are set up one after another).
func start(name string, f func()) {
	order = append(order, name)
	go f()
	waitParked([]uint64{waitFor(name)}, name)
}

// startNoWait: the same for a goroutine that never parks (registers only).
func startNoWait(name string, f func()) {
	order = append(order, name)
	go f()
	waitFor(name)
}

func main() {
	runtime.GOMAXPROCS(4)
	mode := os.Getenv("HANG_MODE")
	dumpPath := os.Getenv("HANG_DUMP")
	leakPath := os.Getenv("HANG_LEAKS")
	if mode == "gcore" && dumpPath == "" {
		fmt.Fprintln(os.Stderr, "diag: HANG_MODE=gcore needs HANG_DUMP")
		os.Exit(2)
	}
	noteCtx("background", context.Background())
	noteCtx("todo", context.TODO())

	startRawSyscall()
	startCancelScenarios()
	startBrokenLink()
	startLeaks()
	startLeakLookalikes()
	startCycles()
	startLockWait()
	startBuckets()

	var all []uint64
	for _, name := range order {
		if name != "cu-spinner" {
			all = append(all, ids[name])
		}
	}
	noteWatchers()
	all = append(all, watcherIDs...)
	waitParked(all, "scenario goroutines")
	runtime.GC() // sets g.waitsince of every parked goroutine

	fmt.Printf("scenario main goid=1\n")
	for _, name := range order {
		fmt.Printf("scenario %s goid=%d\n", name, ids[name])
	}
	addrMu.Lock()
	var names []string
	for name := range addrs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Printf("addr %s %s\n", name, addrs[name])
	}
	addrMu.Unlock()
	for _, e := range expects {
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
	for _, l := range labels {
		fmt.Printf("labels %s goid=%d %s\n", l.scen, ids[l.scen], l.text)
	}
	printContexts()

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
			fmt.Fprintln(os.Stderr, "diag:", err)
			os.Exit(2)
		}
	}
	// The profile exists on Go 1.27, and on 1.26 built with
	// GOEXPERIMENT=goroutineleakprofile. Writing it runs a GC that marks
	// the leaked goroutines with status "leaked", which the core keeps.
	// debug=2 is the full goroutine dump (with goroutine ids), leaked ones
	// shown as "[REASON (leaked)]".
	if p := pprof.Lookup("goroutineleak"); p != nil && leakPath != "" {
		f, err := os.Create(leakPath)
		if err == nil {
			err = p.WriteTo(f, 2)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "diag:", err)
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

// ---------------------------------------------------------------------------
// rawsyscall: a blocking read(2) on a pipe, so that the generator can send
// SIGABRT to that thread (as for the hang program).

//go:noinline
func diagRawRead(fd int) {
	register("rawsyscall")
	var b [1]byte
	sys.Read(fd, b[:])
}

func startRawSyscall() {
	var p [2]int
	if err := sys.Pipe(p[:]); err != nil {
		panic(err)
	}
	keep = append(keep, p)
	startNoWait("rawsyscall", func() { diagRawRead(p[0]) })
}

// SPDX-License-Identifier: Apache-2.0
