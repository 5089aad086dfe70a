//go:build go1.21

package main

// Go 1.21+: WithoutCancel and AfterFunc.

import (
	"context"
	"runtime"
)

//go:noinline
func ctxWithoutCancelWaiter(name string, ctx context.Context) {
	holdCtx(name, ctx)
	<-ctxBlock
	runtime.KeepAlive(ctx)
}

//go:noinline
func ctxAfterFuncWaiter(name string, ctx context.Context, stop func() bool) {
	holdCtx(name, ctx)
	<-ctxBlock
	runtime.KeepAlive(ctx)
	runtime.KeepAlive(stop)
}

var afterFuncRan bool

func startGo121Ctx() {
	bg := context.Background()

	// WithoutCancel of a canceled parent: not canceled itself.
	wcParent, wcCancel := context.WithCancel(bg)
	wcCancel()
	wc := context.WithoutCancel(wcParent)
	noteCtx("without-cancel-parent", wcParent)
	noteCtx("without-cancel", wc)

	// AfterFunc on a live parent: an *afterFuncCtx registered in the
	// parent's children (reachable only from there and from stop).
	afParent, afCancel := context.WithCancel(bg)
	cancels = append(cancels, afCancel)
	stop := context.AfterFunc(afParent, func() { afterFuncRan = true })
	noteCtx("afterfunc-parent", afParent)
	kids := ctxChildren(afParent)
	if len(kids) != 1 || ctxKind(kids[0]) != "afterFunc" {
		panic("AfterFunc: no afterFuncCtx among the parent's children")
	}
	noteCtx("afterfunc", kids[0])

	ctxExpect += 2
	go ctxWithoutCancelWaiter("without-cancel", wc)
	go ctxAfterFuncWaiter("afterfunc-parent", afParent, stop)
}

// SPDX-License-Identifier: Apache-2.0
