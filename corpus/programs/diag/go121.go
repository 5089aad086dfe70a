//go:build go1.21

package main

// Go 1.21+: WithoutCancel.

import (
	"context"
	"fmt"
	"runtime"
)

var cuDetachedCh = make(chan int)

//go:noinline
func diagHoldWithoutCancel(ctx context.Context) {
	holdCtx("cu-without-cancel-ctx", ctx)
	register("cu-without-cancel")
	<-cuDetachedCh
	runtime.KeepAlive(ctx)
}

// A WithoutCancel of a canceled parent: live on purpose. Not a
// cancel_unobserved; reported by cancel_detached.
func startWithoutCancelScenario() {
	parent, cancel := context.WithCancel(context.Background())
	cancel()
	wc := context.WithoutCancel(parent)
	noteCtx("cu-without-cancel-parent", parent)
	noteCtx("cu-without-cancel-ctx", wc)
	clean("cancel_unobserved", "cu-without-cancel")
	expect("cancel_detached", "cu-without-cancel",
		fmt.Sprintf("func=main.diagHoldWithoutCancel ctx=%s canceled=%s",
			ctxAddr("cu-without-cancel-ctx"), ctxAddr("cu-without-cancel-parent")))
	start("cu-without-cancel", func() { diagHoldWithoutCancel(wc) })
	keep = append(keep, parent, wc)
}

// SPDX-License-Identifier: Apache-2.0
