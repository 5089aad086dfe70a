//go:build go1.20

package main

// Go 1.20+: WithCancelCause and Cause.

import (
	"context"
	"errors"
	"runtime"
)

func causeText(ctx context.Context) string {
	if c := context.Cause(ctx); c != nil {
		return c.Error()
	}
	return ""
}

//go:noinline
func ctxCauseWaiter(name string, ctx context.Context) {
	holdCtx(name, ctx)
	<-ctxBlock
	runtime.KeepAlive(ctx)
}

func startCauseCtx() {
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("upstream reset"))
	noteCtx("cause-canceled", ctx)
	ctxExpect++
	go ctxCauseWaiter("cause-canceled", ctx)
}

// SPDX-License-Identifier: Apache-2.0
