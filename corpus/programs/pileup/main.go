// Command pileup parks goroutines in the shapes that production hangs take
// (idle worker pools, pile-ups on one mutex, deadlocks among thousands of
// healthy waiters), one shape per process, and prints what a correct leak
// and wait-cycle analysis finds in its core. It is the third program of the
// gocoroner test corpus; see corpus/README.md.
//
// It follows the diag program's conventions: standard library only,
// distinctive //go:noinline functions, goroutine ids from runtime.Stack,
// every object of a goroutine that is not leaked reachable from a
// package-level variable, leaks set up by functions that return (so that
// only the leaked goroutines reference their channels and locks), everything
// waited for until parked and stable, and runtime.GC() so that waitsince is
// set.
//
// Environment:
//
//	PILEUP_SHAPE=NAME  the shape (see shapes below); required
//	HANG_MODE=gcore    dump every goroutine to $HANG_DUMP, then READY
//	HANG_MODE=crash    READY; the caller sends SIGABRT (GOTRACEBACK=crash)
//	HANG_LEAKS=FILE    where to write the goroutine-leak profile (debug=2),
//	                   if the runtime has one
//
// Stdout lines (in this order): shape, scenario, addr, group, cycle, leak,
// leakprofile, dumper, READY.
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// shapes: name -> setup. Each setup function starts its goroutines and
// waits until they are parked.
var shapes = map[string]func(){
	"pool8":          func() { startPool(8) },
	"pool5000":       func() { startPool(5000) },
	"mutex10000":     func() { startMutexPileup(10000) },
	"mutexlive10000": func() { startLivePileup(10000) },
	"deadlocks":      func() { startHealthy(1000); startDeadlocks() },
	"mix20000": func() {
		startPool(2000)
		startMutexPileup(8000)
		startLivePileup(8000)
		startDeadlocks()
		// The rest healthy: 20,000 goroutines in all, main included.
		startHealthy(20000 - runtime.NumGoroutine())
	},
}

type started struct {
	name string
	id   uint64
}

// group: SIZE goroutines running FUNC, all waiting on OBJ (in a wait whose
// reason starts with one of REASONS).
type group struct {
	name, obj, fn string
	size          int
	leaked        bool
	reasons       []string
}

type cycle struct {
	names, objs []string
}

type leak struct{ name, obj string }

var (
	startedCh = make(chan started, 64)

	addrs   = map[string]string{}
	groups  []*group
	cycles  []cycle
	leaks   []leak
	ids     = map[string]uint64{"main": 1}
	order   []string // named goroutines, in start order
	members = map[string][]uint64{}
	joinMu  sync.Mutex

	// named goroutines that are not group members (holders, cycle
	// members): with the groups, every goroutine but main.
	nonMembers int

	mainBlock = make(chan struct{})
	// A pending timer: with every goroutine blocked on channels and locks
	// and no timer, the runtime would end the process ("all goroutines are
	// asleep - deadlock!") before the core is taken.
	wakeup *time.Timer
	stackBuf  = make([]byte, 1<<20)
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

// register tells main which goroutine is the named goroutine NAME; called
// by that goroutine just before it parks.
func register(name string) {
	startedCh <- started{name, goid()}
}

// join records the calling goroutine as a member of group NAME; called just
// before it parks.
func join(name string) {
	id := goid()
	joinMu.Lock()
	members[name] = append(members[name], id)
	joinMu.Unlock()
}

func addr(name string, p interface{}) string {
	s := fmt.Sprintf("%p", p)
	addrs[name] = s
	return s
}

func allStacks() string {
	for {
		n := runtime.Stack(stackBuf, true)
		if n < len(stackBuf) {
			return string(stackBuf[:n])
		}
		stackBuf = make([]byte, 2*len(stackBuf))
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

func parked(state string, reasons []string) bool {
	if state == "" || strings.HasPrefix(state, "running") ||
		strings.HasPrefix(state, "runnable") || strings.HasPrefix(state, "preempted") {
		return false
	}
	if len(reasons) == 0 {
		return true
	}
	for _, r := range reasons {
		if strings.HasPrefix(state, r) {
			return true
		}
	}
	return false
}

// waitParked polls until every goroutine in IDS is parked (in a wait whose
// reason starts with one of REASONS, if any), then until the states were
// the same for several polls.
func waitParked(ids []uint64, what string, reasons ...string) {
	deadline := time.Now().Add(120 * time.Second)
	var last string
	for stable := 0; stable < 5; {
		if time.Now().After(deadline) {
			if len(last) > 2000 {
				last = last[:2000] + "..."
			}
			fmt.Fprintf(os.Stderr, "pileup: %s did not park: %s\n", what, last)
			os.Exit(2)
		}
		st := states()
		var b strings.Builder
		all := true
		for _, id := range ids {
			fmt.Fprintf(&b, "%d=[%s] ", id, st[id])
			all = all && parked(st[id], reasons)
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
		if id, ok := ids[name]; ok {
			return id
		}
		s := <-startedCh
		ids[s.name] = s.id
	}
}

// named waits for the named goroutine NAME (just started) to park in a wait
// whose reason starts with one of REASONS.
func named(name string, reasons ...string) uint64 {
	order = append(order, name)
	nonMembers++
	id := waitFor(name)
	waitParked([]uint64{id}, name, reasons...)
	return id
}

// newGroup records a group; OBJ is what its members wait on.
func newGroup(name, objName string, obj interface{}, size int, leaked bool, fn string, reasons ...string) *group {
	g := &group{name: name, obj: addr(objName, obj), fn: fn, size: size, leaked: leaked, reasons: reasons}
	groups = append(groups, g)
	return g
}

// waitGroup waits until the SIZE members of G joined and are parked, and
// names the first one that joined as the group's sample (SAMPLE).
func waitGroup(g *group, sample string) {
	deadline := time.Now().Add(120 * time.Second)
	for {
		joinMu.Lock()
		n := len(members[g.name])
		joinMu.Unlock()
		if n == g.size {
			break
		}
		if n > g.size || time.Now().After(deadline) {
			fmt.Fprintf(os.Stderr, "pileup: group %s: %d members joined, want %d\n", g.name, n, g.size)
			os.Exit(2)
		}
		time.Sleep(20 * time.Millisecond)
	}
	waitParked(members[g.name], g.name, g.reasons...)
	ids[sample] = members[g.name][0]
	order = append(order, sample)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func main() {
	runtime.GOMAXPROCS(4)
	shape := os.Getenv("PILEUP_SHAPE")
	mode := os.Getenv("HANG_MODE")
	dumpPath := os.Getenv("HANG_DUMP")
	leakPath := os.Getenv("HANG_LEAKS")
	setup, ok := shapes[shape]
	if !ok {
		var names []string
		for n := range shapes {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(os.Stderr, "pileup: PILEUP_SHAPE=%q: want one of %s\n", shape, strings.Join(names, " "))
		os.Exit(2)
	}
	if mode == "gcore" && dumpPath == "" {
		fmt.Fprintln(os.Stderr, "pileup: HANG_MODE=gcore needs HANG_DUMP")
		os.Exit(2)
	}

	wakeup = time.AfterFunc(48*time.Hour, func() {})
	setup()

	// Everything once more, together; then no goroutine but these (and
	// main) may exist.
	var all []uint64
	for _, name := range order {
		all = append(all, ids[name])
	}
	for _, g := range groups {
		all = append(all, members[g.name]...)
	}
	waitParked(all, "all goroutines")
	want := 1 + nonMembers
	for _, g := range groups {
		want += g.size
	}
	if n := runtime.NumGoroutine(); n != want {
		fmt.Fprintf(os.Stderr, "pileup: %d goroutines, want %d\n", n, want)
		os.Exit(2)
	}
	runtime.GC() // sets g.waitsince of every parked goroutine

	fmt.Printf("shape %s\n", shape)
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
	for _, g := range groups {
		fmt.Printf("group %s obj=%s size=%d leaked=%d func=%s\n", g.name, g.obj, g.size, b2i(g.leaked), g.fn)
	}
	for k, c := range cycles {
		var gs []string
		for _, n := range c.names {
			gs = append(gs, strconv.FormatUint(ids[n], 10))
		}
		fmt.Printf("cycle %d goids=%s objs=%s\n", k+1, strings.Join(gs, ","), strings.Join(c.objs, ","))
	}
	for _, l := range leaks {
		fmt.Printf("leak %s goid=%d obj=%s\n", l.name, ids[l.name], l.obj)
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
			fmt.Fprintln(os.Stderr, "pileup:", err)
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
			fmt.Fprintln(os.Stderr, "pileup:", err)
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
