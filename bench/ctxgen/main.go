// SPDX-License-Identifier: Apache-2.0

// Command ctxgen parks N goroutines in realistic blocking states so that a core
// dump (gcore) can be taken of it. Stdlib only.
//
// Shape (per goroutine):
//   - created by handleRequest -> serviceCall -> repoCall -> spawnWorker (each
//     takes a context.Context; contexts are derived with WithValue, WithTimeout
//     or WithCancel from a per-request parent);
//   - the goroutine body nests worker -> processBatch -> fetchRecord (+0..6
//     recursive walk frames) -> waitFor -> block*, each taking ctx;
//   - blocking kinds (weights): 55% unbuffered chan receive (no ctx.Done),
//     15% select on ctx.Done() + chan, 10% sync.Mutex, 10% time.Sleep,
//     10% several defers (3 open-coded-able + 4 loop defers) then chan receive;
//   - a fraction of request parents are canceled before "ready"; select
//     goroutines of canceled requests then leak in a send on an unread channel.
//
// When every goroutine is parked it prints "ready <pid>" and sleeps.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

type ctxKey string

const (
	kindRecv = iota
	kindSelect
	kindMutex
	kindSleep
	kindDefers
	numKinds
)

var kindNames = [numKinds]string{"chanrecv", "select", "mutex", "sleep", "defers"}

type request struct {
	id      int
	ctx     context.Context
	cancel  context.CancelFunc
	mu      sync.Mutex
	in      chan []byte // unbuffered, never sent on
	cancels []context.CancelFunc
	kinds   []int
	depths  []int
}

var (
	parked   atomic.Int64
	leaked   atomic.Int64
	sink     = make(chan int) // never read: leak target after cancellation
	payloadN int
	deferHit atomic.Int64 // touched only by deferred funcs (never run before dump)
)

// ---- creation path: 4 nested calls taking ctx -------------------------------

func handleRequest(ctx context.Context, r *request, per int) {
	ctx = context.WithValue(ctx, ctxKey("route"), fmt.Sprintf("/api/v1/items/%d", r.id))
	for i := 0; i < per; i++ {
		serviceCall(ctx, r, i)
	}
}

func serviceCall(ctx context.Context, r *request, i int) {
	var cancel context.CancelFunc
	if i%2 == 0 {
		ctx, cancel = context.WithTimeout(ctx, 2*time.Hour)
	} else {
		ctx, cancel = context.WithCancel(ctx)
	}
	r.cancels = append(r.cancels, cancel)
	repoCall(ctx, r, i)
}

func repoCall(ctx context.Context, r *request, i int) {
	ctx = context.WithValue(ctx, ctxKey("trace"), uint64(r.id)<<16|uint64(i))
	spawnWorker(ctx, r, i)
}

func spawnWorker(ctx context.Context, r *request, i int) {
	go worker(ctx, r, i)
}

// ---- goroutine body ---------------------------------------------------------

func worker(ctx context.Context, r *request, i int) {
	ctx = context.WithValue(ctx, ctxKey("worker"), i)
	processBatch(ctx, r, i)
}

func processBatch(ctx context.Context, r *request, i int) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fetchRecord(ctx, r, i)
}

func fetchRecord(ctx context.Context, r *request, i int) {
	buf := make([]byte, payloadN)
	for j := range buf {
		buf[j] = byte(r.id + i + j)
	}
	walk(ctx, r, i, r.depths[i])
	runtime.KeepAlive(buf)
}

func walk(ctx context.Context, r *request, i, depth int) {
	if depth > 0 {
		walk(ctx, r, i, depth-1)
		return
	}
	waitFor(ctx, r, i)
}

func waitFor(ctx context.Context, r *request, i int) {
	switch r.kinds[i] {
	case kindRecv:
		blockRecv(ctx, r.in)
	case kindSelect:
		blockSelect(ctx, r.in)
	case kindMutex:
		blockMutex(ctx, r)
	case kindSleep:
		blockSleep(ctx, time.Hour)
	case kindDefers:
		blockDefers(ctx, r)
	}
}

func blockRecv(ctx context.Context, in chan []byte) {
	parked.Add(1)
	b := <-in
	_ = ctx.Value(ctxKey("trace"))
	_ = b
}

func blockSelect(ctx context.Context, in chan []byte) {
	parked.Add(1)
	select {
	case <-ctx.Done():
		leakAfterCancel(ctx, ctx.Err())
	case b := <-in:
		_ = b
	}
}

func leakAfterCancel(ctx context.Context, err error) {
	leaked.Add(1)
	sink <- len(err.Error()) // nobody reads sink: goroutine leaks here
	_ = ctx
}

func blockMutex(ctx context.Context, r *request) {
	parked.Add(1)
	r.mu.Lock() // one goroutine of the request gets it and parks below
	defer r.mu.Unlock()
	b := <-r.in
	_, _ = b, ctx
}

func blockSleep(ctx context.Context, d time.Duration) {
	parked.Add(1)
	time.Sleep(d)
	_ = ctx
}

func blockDefers(ctx context.Context, r *request) {
	defer deferHit.Add(1)
	defer func() { deferHit.Add(int64(r.id)) }()
	defer closeResource(ctx, "db-conn")
	for k := 0; k < 4; k++ { // loop defers: never open-coded
		defer deferHit.Add(int64(k))
	}
	parked.Add(1)
	b := <-r.in
	_ = b
}

func closeResource(ctx context.Context, name string) {
	_ = ctx.Value(ctxKey(name))
	deferHit.Add(1)
}

// ---- main --------------------------------------------------------------------

func main() {
	n := flag.Int("n", 1000, "number of goroutines to park")
	per := flag.Int("per", 10, "goroutines per request (per-request parent context)")
	cancelFrac := flag.Float64("cancel", 0.1, "fraction of request parents canceled before ready")
	payload := flag.Int("payload", 256, "bytes of heap payload per goroutine")
	life := flag.Duration("life", 2*time.Hour, "exit after this long once ready")
	seed := flag.Int64("seed", 1, "random seed")
	flag.Parse()
	payloadN = *payload

	rng := rand.New(rand.NewSource(*seed))
	weights := [numKinds]int{55, 15, 10, 10, 10}
	pick := func() int {
		x := rng.Intn(100)
		for k, w := range weights {
			if x < w {
				return k
			}
			x -= w
		}
		return kindRecv
	}

	nreq := (*n + *per - 1) / *per
	reqs := make([]*request, nreq)
	counts := [numKinds]int{}
	remaining := *n
	for q := 0; q < nreq; q++ {
		m := *per
		if remaining < m {
			m = remaining
		}
		remaining -= m
		base, cancel := context.WithCancel(context.Background())
		base = context.WithValue(base, ctxKey("request-id"), fmt.Sprintf("req-%08d", q))
		r := &request{id: q, ctx: base, cancel: cancel, in: make(chan []byte),
			kinds: make([]int, m), depths: make([]int, m)}
		for i := 0; i < m; i++ {
			r.kinds[i] = pick()
			r.depths[i] = rng.Intn(7)
			counts[r.kinds[i]]++
		}
		reqs[q] = r
	}

	start := time.Now()
	for _, r := range reqs {
		handleRequest(r.ctx, r, len(r.kinds))
	}
	waitCount(&parked, int64(*n), "parked")

	// Cancel a fraction of request parents; their select goroutines move on
	// to leak in a send on sink.
	wantLeak := 0
	ncancel := 0
	for _, r := range reqs {
		if rng.Float64() < *cancelFrac {
			r.cancel()
			ncancel++
			for _, k := range r.kinds {
				if k == kindSelect {
					wantLeak++
				}
			}
		}
	}
	waitCount(&leaked, int64(wantLeak), "leaked")
	// Let the last goroutines actually reach gopark (they counted just before).
	time.Sleep(300 * time.Millisecond)
	runtime.GC()
	time.Sleep(200 * time.Millisecond)

	fmt.Fprintf(os.Stderr, "n=%d requests=%d canceled=%d leaked=%d kinds=%v:%v goroutines=%d setup=%v\n",
		*n, nreq, ncancel, wantLeak, kindNames, counts, runtime.NumGoroutine(), time.Since(start).Round(time.Millisecond))
	fmt.Printf("ready %d\n", os.Getpid())
	time.Sleep(*life)
	runtime.KeepAlive(reqs)
}

func waitCount(c *atomic.Int64, want int64, what string) {
	deadline := time.Now().Add(10 * time.Minute)
	for c.Load() < want {
		if time.Now().After(deadline) {
			fmt.Fprintf(os.Stderr, "timeout waiting for %s: %d/%d\n", what, c.Load(), want)
			os.Exit(2)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
