//go:build go1.20

package main

// Go 1.20+: WithCancelCause and Cause.

import (
	"context"
	"errors"
	"fmt"
	"runtime"
)

var cuCauseCh = make(chan int)

func causeText(ctx context.Context) string {
	if c := context.Cause(ctx); c != nil {
		return c.Error()
	}
	return ""
}

//go:noinline
func diagCauseCanceled(ctx context.Context) {
	holdCtx("cu-cause-ctx", ctx)
	register("cu-cause")
	<-cuCauseCh
	runtime.KeepAlive(ctx)
}

func startCauseScenario() {
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("upstream reset"))
	noteCtx("cu-cause-ctx", ctx)
	a := ctxAddr("cu-cause-ctx")
	expect("cancel_unobserved", "cu-cause",
		fmt.Sprintf("func=main.diagCauseCanceled ctx=%s canceled=%s", a, a))
	start("cu-cause", func() { diagCauseCanceled(ctx) })
	keep = append(keep, ctx)
}

// SPDX-License-Identifier: Apache-2.0
