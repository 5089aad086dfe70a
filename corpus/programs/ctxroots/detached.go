//go:build go1.21

package main

import (
	"context"
	"runtime"
)

// plantDetached: scenario 6 (Go 1.21+). A canceled parent p, d :=
// WithoutCancel(p), child := WithCancel(d): child is live although p is
// canceled. A goroutine holds child in a live frame variable and blocks.
//
//go:noinline
func plantDetached() {
	p, cancelP := context.WithCancel(context.Background())
	cancelP()
	d := context.WithoutCancel(p)
	child, cancelChild := context.WithCancel(d)
	_ = cancelChild
	go detachedHolder(child, make(chan struct{}))
	id := waitFor("detached")
	waitParked([]uint64{id}, "detached")
	// withoutCancelCtx is a struct, not a pointer: its address is the data
	// word of the interface (the boxed copy).
	plant(p, context.Background(), "cancel", "ancestor", "-", "detached")
	plant(d, p, "withoutCancel", "ancestor", "-", "detached")
	plant(child, d, "cancel", "frame", "goroutine:"+utoa(id), "detached")
	detachedLine = "detached " + ctxAddr(d) + " child=" + ctxAddr(child) + " holder=" + utoa(id)
	runtime.KeepAlive(child)
}

// detachedHolder holds the detached child in a frame variable that is live
// while it blocks on BLOCK (never ready).
//
//go:noinline
func detachedHolder(ctx context.Context, block chan struct{}) {
	register("detached")
	<-block
	runtime.KeepAlive(ctx)
}

// SPDX-License-Identifier: Apache-2.0
