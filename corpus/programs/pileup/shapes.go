package main

// The goroutines of the shapes. Leaked goroutines are started by functions
// that return (startPool, startMutexPileup, startChanCycle, ...): once they
// have, nothing but the leaked goroutines themselves references their
// channels and locks (only their addresses are kept, as strings). The other
// goroutines wait on objects reachable from package-level variables.

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// cache: a package-level structure whose lock the live pile-up waits on.
type cache struct {
	mu      sync.Mutex
	entries map[int]int
}

// guarded: a lock in a struct with a pointer field, as locks usually are.
// A bare new(sync.Mutex) (8 bytes, no pointers) would come from the tiny
// allocator, which packs several small objects into one 16-byte block with a
// single mark bit: Go's leak detector would then take an unreachable mutex
// for reachable when a live object shares its block, and miss its waiters.
type guarded struct {
	mu    sync.Mutex
	owner string
}

//go:noinline
func newLock(owner string) *sync.Mutex {
	return &(&guarded{owner: owner}).mu
}

var (
	liveCache = &cache{entries: map[int]int{}}
	healthyCh = make(chan int)
	jobsDone  int64
)

// --- pool: idle workers on a channel the producer forgot to close.

//go:noinline
func pileupPoolWorker(jobs chan int) {
	join("pool")
	for j := range jobs {
		atomic.AddInt64(&jobsDone, int64(j))
	}
}

// pileupProducer hands out N jobs and returns without closing JOBS.
//
//go:noinline
func pileupProducer(jobs chan int, n int) {
	for i := 0; i < n; i++ {
		jobs <- 1
	}
}

//go:noinline
func startPool(n int) {
	jobs := make(chan int)
	g := newGroup("pool", "pool-chan", jobs, n, true, "main.pileupPoolWorker", "chan receive")
	for i := 0; i < n; i++ {
		go pileupPoolWorker(jobs)
	}
	pileupProducer(jobs, n)
	waitGroup(g, "pool-worker")
}

// --- mutex pile-up behind a holder that is blocked for ever: all leaked.

// pileupBlockedHolder locks MU and waits on NEVER, which only it references.
//
//go:noinline
func pileupBlockedHolder(mu *sync.Mutex, never chan int) {
	mu.Lock()
	register("mutex-holder")
	<-never
	mu.Unlock()
}

//go:noinline
func pileupMutexWaiter(mu *sync.Mutex) {
	join("mutex-waiters")
	mu.Lock()
	mu.Unlock()
}

//go:noinline
func startMutexPileup(n int) {
	mu := newLock("mutex-pileup")
	never := make(chan int)
	leaks = append(leaks, leak{"mutex-holder", addr("mutex-holder-chan", never)})
	go pileupBlockedHolder(mu, never)
	named("mutex-holder", "chan receive")
	g := newGroup("mutex-waiters", "mutex-mu", mu, n, true, "main.pileupMutexWaiter",
		"sync.Mutex.Lock", "semacquire")
	for i := 0; i < n; i++ {
		go pileupMutexWaiter(mu)
	}
	waitGroup(g, "mutex-waiter")
}

// --- live pile-up: the lock of a package-level cache, held by a goroutine
// that sleeps and will unlock when it wakes. Nothing leaked.

//go:noinline
func pileupSleepingHolder(c *cache) {
	c.mu.Lock()
	register("live-holder")
	time.Sleep(24 * time.Hour)
	c.mu.Unlock()
}

//go:noinline
func pileupLiveWaiter(c *cache, k int) {
	join("live-waiters")
	c.mu.Lock()
	c.entries[k]++
	c.mu.Unlock()
}

func startLivePileup(n int) {
	go pileupSleepingHolder(liveCache)
	named("live-holder", "sleep")
	g := newGroup("live-waiters", "live-mu", &liveCache.mu, n, false, "main.pileupLiveWaiter",
		"sync.Mutex.Lock", "semacquire")
	for i := 0; i < n; i++ {
		go pileupLiveWaiter(liveCache, i)
	}
	waitGroup(g, "live-waiter")
}

// --- healthy waiters on a package-level channel.

//go:noinline
func pileupHealthyWaiter(ch chan int) {
	join("healthy")
	<-ch
}

func startHealthy(n int) {
	g := newGroup("healthy", "healthy-chan", healthyCh, n, false, "main.pileupHealthyWaiter", "chan receive")
	for i := 0; i < n; i++ {
		go pileupHealthyWaiter(healthyCh)
	}
	waitGroup(g, "healthy-waiter")
}

// --- planted deadlocks.

func startDeadlocks() {
	startChanCycle()
	startMutexCycle()
	startTriCycle()
}

// pileupCycleRecv waits on MINE; it would then send on OTHER, the channel
// the other member of the pair waits on.
//
//go:noinline
func pileupCycleRecv(name string, mine, other chan int) {
	register(name)
	<-mine
	other <- 1
	runtime.KeepAlive(other)
}

// A waits on a, which only B could send on; B waits on b, which only A could
// send on.
//
//go:noinline
func startChanCycle() {
	a, b := make(chan int), make(chan int)
	cycles = append(cycles, cycle{[]string{"cycle-chan-a", "cycle-chan-b"},
		[]string{addr("cycle-chan-a-chan", a), addr("cycle-chan-b-chan", b)}})
	go pileupCycleRecv("cycle-chan-a", a, b)
	named("cycle-chan-a", "chan receive")
	go pileupCycleRecv("cycle-chan-b", b, a)
	named("cycle-chan-b", "chan receive")
}

// pileupLockOrder locks FIRST, waits until its partner locked its own, then
// locks SECOND: the classic lock-order deadlock.
//
//go:noinline
func pileupLockOrder(name string, first, second *sync.Mutex, bar *sync.WaitGroup) {
	first.Lock()
	bar.Done()
	bar.Wait()
	register(name)
	second.Lock()
	runtime.KeepAlive(first)
}

// A holds m1 and waits for m2; B holds m2 and waits for m1.
//
//go:noinline
func startMutexCycle() {
	m1, m2 := newLock("cycle-mutex-m1"), newLock("cycle-mutex-m2")
	bar := new(sync.WaitGroup)
	bar.Add(2)
	p1, p2 := addr("cycle-mutex-m1", m1), addr("cycle-mutex-m2", m2)
	cycles = append(cycles, cycle{[]string{"cycle-mutex-a", "cycle-mutex-b"}, []string{p2, p1}})
	go pileupLockOrder("cycle-mutex-a", m1, m2, bar)
	go pileupLockOrder("cycle-mutex-b", m2, m1, bar)
	named("cycle-mutex-a", "sync.Mutex.Lock", "semacquire")
	named("cycle-mutex-b", "sync.Mutex.Lock", "semacquire")
}

// The three-goroutine deadlock, across channels and a mutex: A holds m and
// waits on x, which only B could send on; B waits on y, which only C could
// send on; C waits for m.

//go:noinline
func pileupTriA(x chan int, m *sync.Mutex) {
	m.Lock()
	register("cycle3-a")
	<-x
	m.Unlock()
}

//go:noinline
func pileupTriB(x, y chan int) {
	register("cycle3-b")
	<-y
	x <- 1
	runtime.KeepAlive(x)
}

//go:noinline
func pileupTriC(y chan int, m *sync.Mutex) {
	register("cycle3-c")
	m.Lock()
	y <- 1
	m.Unlock()
}

//go:noinline
func startTriCycle() {
	x, y, m := make(chan int), make(chan int), newLock("cycle3-m")
	cycles = append(cycles, cycle{[]string{"cycle3-a", "cycle3-b", "cycle3-c"},
		[]string{addr("cycle3-x", x), addr("cycle3-y", y), addr("cycle3-m", m)}})
	go pileupTriA(x, m)
	named("cycle3-a", "chan receive")
	go pileupTriB(x, y)
	named("cycle3-b", "chan receive")
	go pileupTriC(y, m)
	named("cycle3-c", "sync.Mutex.Lock", "semacquire")
}

// SPDX-License-Identifier: Apache-2.0
