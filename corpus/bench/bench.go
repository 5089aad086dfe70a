// SPDX-License-Identifier: Apache-2.0

// Command bench parks 100,000 goroutines with realistic stacks so that
// gocoroner can be benchmarked on a large core. See gen-bench-core.sh.
//
// Goroutine i runs a call chain of 10 to 20 frames of main (plus the runtime's)
// through handler-like layers, then parks by kind i%4: channel receive,
// select, sleep or sync.Mutex.Lock. Every second goroutine carries a
// context chain 3 or 4 deep (cancel, value, timeout, value) made under a
// shared per-"server" root. Prints "goroutines N" and "READY" when all are
// started, parked (after a settle delay) and a GC has run. BENCH_N overrides
// the number of goroutines. Every frame of main takes the request's ctx (nil
// for the goroutines without a context).
//
// BENCH_SHAPE=pileup parks instead BENCH_N goroutines on one sync.Mutex
// whose holder is itself blocked forever on a channel only it holds, both
// made by a function that returned: nothing that can run reaches either, so
// all of them are leaked (the shape of the commonest production hang, and
// the worst case of the wait-for analysis).
package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

const defaultN = 100000

type ctxKey string

type req struct {
	id    int
	depth int // calls of next still to make
	kind  int
	ctx   context.Context
}

var (
	recvChans [1024]chan int
	selChans  [1024]chan int
	mutexes   [128]sync.Mutex
	ready     sync.WaitGroup
	sink      int
)

type layer func(ctx context.Context, r *req, n int) int

var layers []layer

//go:noinline
func next(ctx context.Context, r *req, n int) int {
	r.depth--
	if r.depth <= 0 {
		return park(ctx, r)
	}
	return layers[(r.id+r.depth)%len(layers)](ctx, r, n+1)
}

//go:noinline
func serveHTTP(ctx context.Context, r *req, n int) int { return next(ctx, r, n) + 1 }

//go:noinline
func routeRequest(ctx context.Context, r *req, n int) int { return next(ctx, r, n) + 2 }

//go:noinline
func authMiddleware(ctx context.Context, r *req, n int) int { return next(ctx, r, n) + 3 }

//go:noinline
func loggingMiddleware(ctx context.Context, r *req, n int) int { return next(ctx, r, n) + 4 }

//go:noinline
func checkoutHandler(ctx context.Context, r *req, n int) int { return next(ctx, r, n) + 5 }

//go:noinline
func orderService(ctx context.Context, r *req, n int) int { return next(ctx, r, n) + 6 }

//go:noinline
func inventoryClient(ctx context.Context, r *req, n int) int { return next(ctx, r, n) + 7 }

//go:noinline
func repoQuery(ctx context.Context, r *req, n int) int { return next(ctx, r, n) + 8 }

//go:noinline
func sqlExec(ctx context.Context, r *req, n int) int { return next(ctx, r, n) + 9 }

//go:noinline
func poolAcquire(ctx context.Context, r *req, n int) int { return next(ctx, r, n) + 10 }

//go:noinline
func cacheLookup(ctx context.Context, r *req, n int) int { return next(ctx, r, n) + 11 }

//go:noinline
func rpcCall(ctx context.Context, r *req, n int) int { return next(ctx, r, n) + 12 }

//go:noinline
func retryLoop(ctx context.Context, r *req, n int) int { return next(ctx, r, n) + 13 }

//go:noinline
func decodeJSON(ctx context.Context, r *req, n int) int { return next(ctx, r, n) + 14 }

func init() {
	layers = []layer{serveHTTP, routeRequest, authMiddleware, loggingMiddleware,
		checkoutHandler, orderService, inventoryClient, repoQuery, sqlExec,
		poolAcquire, cacheLookup, rpcCall, retryLoop, decodeJSON}
}

//go:noinline
func park(ctx context.Context, r *req) int {
	ready.Done()
	switch r.kind {
	case 0:
		return waitRecv(r)
	case 1:
		return waitSelect(ctx, r)
	case 2:
		return waitSleep(r)
	default:
		return waitMutex(r)
	}
}

//go:noinline
func waitRecv(r *req) int { return <-recvChans[r.id%len(recvChans)] }

//go:noinline
func waitSelect(ctx context.Context, r *req) int {
	done := (<-chan struct{})(nil)
	if ctx != nil {
		done = ctx.Done()
	}
	select {
	case <-done:
		return 0
	case v := <-selChans[r.id%len(selChans)]:
		return v
	}
}

//go:noinline
func waitSleep(r *req) int {
	time.Sleep(time.Hour + time.Duration(r.id)*time.Millisecond)
	return 0
}

//go:noinline
func waitMutex(r *req) int {
	mu := &mutexes[r.id%len(mutexes)]
	mu.Lock()
	mu.Unlock()
	return 0
}

//go:noinline
func worker(r *req) {
	sink += next(r.ctx, r, 0)
}

//go:noinline
func pileupHolder(mu *sync.Mutex, block chan int, held *sync.WaitGroup) {
	mu.Lock()
	held.Done()
	<-block // nobody sends: the lock is never released
	mu.Unlock()
}

//go:noinline
func pileupWaiter(mu *sync.Mutex) {
	ready.Done()
	mu.Lock()
	sink++
	mu.Unlock()
}

// A mutex with a pointer beside it: a lone sync.Mutex has no pointers and
// is 8 bytes, so Go's tiny allocator would pack it into a 16-byte block with
// other small objects, and anything reaching those reaches the block (for
// Go's own collector and leak detector too).
type pileBox struct {
	mu    sync.Mutex
	owner *int
}

// startPileup returns: only the goroutines it starts keep the mutex and the
// channel.
//
//go:noinline
func startPileup(n int) {
	box := &pileBox{owner: new(int)}
	mu := &box.mu
	var held sync.WaitGroup
	held.Add(1)
	go pileupHolder(mu, make(chan int), &held)
	held.Wait()
	ready.Add(n)
	for i := 0; i < n; i++ {
		go pileupWaiter(mu)
	}
}

func main() {
	n := defaultN
	if s := os.Getenv("BENCH_N"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil {
			panic(err)
		}
		n = v
	}
	if os.Getenv("BENCH_SHAPE") == "pileup" {
		// A goroutine that can run (a sleeper), or the runtime would end
		// the process: "all goroutines are asleep - deadlock!".
		go func() {
			for {
				time.Sleep(time.Hour)
			}
		}()
		startPileup(n)
		ready.Wait()
		time.Sleep(2 * time.Second) // let the last ones park
		runtime.GC()
		fmt.Printf("goroutines %d\n", runtime.NumGoroutine())
		fmt.Println("READY")
		select {}
	}
	for i := range recvChans {
		recvChans[i] = make(chan int)
		selChans[i] = make(chan int)
	}
	for i := range mutexes {
		mutexes[i].Lock() // held by main forever
	}
	// 64 "servers", each with a root context that requests derive from.
	var roots [64]context.Context
	var cancels []context.CancelFunc
	for i := range roots {
		ctx, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey("server"), i))
		roots[i] = ctx
		cancels = append(cancels, cancel)
	}

	ready.Add(n)
	for i := 0; i < n; i++ {
		// frames of main: worker, next x (k+1), layer x k, park, wait* = 2k+4
		frames := 10 + i%11
		r := &req{id: i, depth: (frames-4)/2 + 1, kind: i % 4}
		if i%2 == 0 {
			ctx := roots[i%len(roots)]
			ctx, cancel := context.WithCancel(ctx)
			ctx = context.WithValue(ctx, ctxKey("request_id"), i)
			if i%4 == 0 {
				var c2 context.CancelFunc
				ctx, c2 = context.WithTimeout(ctx, 2*time.Hour)
				cancels = append(cancels, c2)
			}
			cancels = append(cancels, cancel)
			r.ctx = ctx
		}
		go worker(r)
	}
	ready.Wait()
	time.Sleep(2 * time.Second) // let the last ones finish parking
	runtime.GC()
	fmt.Printf("goroutines %d\n", runtime.NumGoroutine())
	fmt.Println("READY")
	_ = cancels
	select {}
}
