package main

// context.Context scenarios: trees of contexts held by parked goroutines,
// and the program's own account of each context, printed as the ctx,
// ctxtext, ctxchild, ctxheld and ctxwatcher lines (see corpus/README.md).
// These goroutines have no "scenario" lines: they are announced by their
// ctxheld lines only.
//
// A context is named by its data word: the second word of the
// context.Context interface value (a pointer to the *cancelCtx, *timerCtx,
// *valueCtx...; for non-pointer types such as context.withoutCancelCtx or
// main.detachedCtx the pointer to the boxed copy; for the zero-size
// context.backgroundCtx/todoCtx of Go 1.21+ the address of runtime.zerobase).
//
// Parents and children are read from the context package's own structures
// (the embedded Context field, cancelCtx.children) by reflection, so every
// line is what the process really holds.

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// ctxKey: a named integer key type (rendered main.ctxKey(1)).
type ctxKey int

// detachedCtx wraps a parent but does not propagate its cancellation: its
// Done channel is never closed and Err is always nil. A context derived
// from it cannot register with the parent's cancelCtx (Done differs), so
// the context package starts a watcher goroutine (propagateCancel).
type detachedCtx struct {
	context.Context
	done chan struct{}
}

func (d detachedCtx) Done() <-chan struct{} { return d.done }
func (d detachedCtx) Err() error            { return nil }

type ctxRec struct {
	name string
	ctx  context.Context
}

type ctxHeldRec struct {
	name string
	goid uint64
	addr uintptr
	fn   string
	via  string
}

var (
	ctxRecs    []ctxRec
	ctxHelds   []ctxHeldRec
	ctxWatch   []string // ctxwatcher lines
	ctxHeldCh  = make(chan uint64, 256)
	ctxExpect  = 11 // holdCtx calls of the deep chain
	ctxBlock   = make(chan int)
	ctxHTTPBlk = make(chan int)
	ctxType    = reflect.TypeOf((*context.Context)(nil)).Elem()

	// the contexts whose children get a watcher goroutine: child name -> parent
	ctxWatched = map[string]context.Context{}
)

// ctxWord is the data word of the interface value.
func ctxWord(ctx context.Context) uintptr {
	return (*[2]uintptr)(unsafe.Pointer(&ctx))[1]
}

func ctxTypeName(ctx context.Context) string { return fmt.Sprintf("%T", ctx) }

// noteCtx names a context. Any goroutine.
func noteCtx(name string, ctx context.Context) {
	addrMu.Lock()
	defer addrMu.Unlock()
	for _, r := range ctxRecs {
		if r.name == name {
			panic("context name used twice: " + name)
		}
	}
	ctxRecs = append(ctxRecs, ctxRec{name, ctx})
}

// noteChain names CTX as NAME and its unnamed ancestors NAME-up-1, -2...
func noteChain(name string, ctx context.Context) {
	for i := 0; ctx != nil; i++ {
		if ctxNameOf(ctx) != "" {
			return
		}
		n := name
		if i > 0 {
			n = fmt.Sprintf("%s-up-%d", name, i)
		}
		noteCtx(n, ctx)
		ctx = ctxParent(ctx)
	}
}

func ctxNameOf(ctx context.Context) string {
	addrMu.Lock()
	defer addrMu.Unlock()
	return ctxNameLocked(ctx)
}

func ctxNameLocked(ctx context.Context) string {
	w, t := ctxWord(ctx), ctxTypeName(ctx)
	for _, r := range ctxRecs {
		if ctxWord(r.ctx) == w && ctxTypeName(r.ctx) == t {
			return r.name
		}
	}
	return ""
}

// holdCtx records that the calling function holds CTX (named NAME) in a
// parameter or local, and tells main the goroutine's id.
//
//go:noinline
func holdCtx(name string, ctx context.Context) { holdCtxVia(name, ctx, "", 2) }

func holdCtxVia(name string, ctx context.Context, via string, skip int) {
	pc, _, _, _ := runtime.Caller(skip)
	id := goid()
	addrMu.Lock()
	ctxHelds = append(ctxHelds, ctxHeldRec{name, id, ctxWord(ctx), runtime.FuncForPC(pc).Name(), via})
	addrMu.Unlock()
	ctxHeldCh <- id
}

// ctxWaitIDs collects the goroutine ids of every holdCtx call (and of the
// http client). Main only.
func ctxWaitIDs() []uint64 {
	seen := map[uint64]bool{}
	var out []uint64
	for i := 0; i < ctxExpect; i++ {
		id := <-ctxHeldCh
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// ctxStruct returns the (addressable) struct behind CTX.
func ctxStruct(ctx context.Context) (reflect.Value, bool) {
	v := reflect.ValueOf(ctx)
	if v.Kind() == reflect.Ptr {
		v = v.Elem()
	} else {
		cp := reflect.New(v.Type()).Elem()
		cp.Set(v)
		v = cp
	}
	return v, v.Kind() == reflect.Struct
}

// ctxParent: the Context a context was derived from (its embedded Context
// field, or withoutCancelCtx.c); nil for Background/TODO.
func ctxParent(ctx context.Context) context.Context {
	v, ok := ctxStruct(ctx)
	if !ok {
		return nil
	}
	for _, n := range []string{"Context", "c"} {
		f := v.FieldByName(n)
		if f.IsValid() && f.Type() == ctxType {
			return *(*context.Context)(unsafe.Pointer(f.UnsafeAddr()))
		}
	}
	return nil
}

// ctxChildren: the contexts registered in cancelCtx.children.
func ctxChildren(ctx context.Context) []context.Context {
	v, ok := ctxStruct(ctx)
	if !ok {
		return nil
	}
	f := v.FieldByName("children")
	if !f.IsValid() || f.Kind() != reflect.Map {
		return nil
	}
	var out []context.Context
	for _, k := range f.MapKeys() {
		e := k.Elem()
		if e.Kind() != reflect.Ptr {
			panic("non-pointer canceler " + e.Type().String())
		}
		c := reflect.NewAt(e.Type().Elem(), unsafe.Pointer(e.Pointer())).Interface().(context.Context)
		out = append(out, c)
	}
	return out
}

func ctxKind(ctx context.Context) string {
	switch t := ctxTypeName(ctx); t {
	case "*context.cancelCtx":
		return "cancel"
	case "*context.timerCtx":
		return "timer"
	case "*context.valueCtx":
		return "value"
	case "context.withoutCancelCtx":
		return "withoutCancel"
	case "*context.afterFuncCtx":
		return "afterFunc"
	case "context.backgroundCtx":
		return "background"
	case "context.todoCtx":
		return "todo"
	case "*context.emptyCtx": // up to Go 1.20
		if ctxWord(ctx) == ctxWord(context.Background()) {
			return "background"
		}
		return "todo"
	default:
		if strings.HasPrefix(strings.TrimPrefix(t, "*"), "context.") {
			panic("unknown context type " + t)
		}
		return "user"
	}
}

// ctxRender renders a key or value of a valueCtx: strings quoted, plain
// integers in decimal, named string/integer types as TYPE("s")/TYPE(N).
func ctxRender(x interface{}) (string, bool) {
	if x == nil {
		return "", false
	}
	v := reflect.ValueOf(x)
	named := v.Type().PkgPath() != ""
	switch v.Kind() {
	case reflect.String:
		if named {
			return fmt.Sprintf("%s(%q)", v.Type(), v.String()), true
		}
		return strconv.Quote(v.String()), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if named {
			return fmt.Sprintf("%s(%d)", v.Type(), v.Int()), true
		}
		return strconv.FormatInt(v.Int(), 10), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if named {
			return fmt.Sprintf("%s(%d)", v.Type(), v.Uint()), true
		}
		return strconv.FormatUint(v.Uint(), 10), true
	}
	return "", false
}

func ctxField(ctx context.Context, name string) interface{} {
	v, _ := ctxStruct(ctx)
	f := v.FieldByName(name)
	return *(*interface{})(unsafe.Pointer(f.UnsafeAddr()))
}

// ---------------------------------------------------------------------------
// Holders: each parks on a channel receive holding its context in a
// parameter, kept live across the receive.

//go:noinline
func ctxTreeWaiter(name string, ctx context.Context) {
	holdCtx(name, ctx)
	<-ctxBlock
	runtime.KeepAlive(ctx)
}

//go:noinline
func ctxTimeoutWaiter(name string, ctx context.Context) {
	holdCtx(name, ctx)
	<-ctxBlock
	runtime.KeepAlive(ctx)
}

//go:noinline
func ctxDetachedWaiter(name string, ctx context.Context) {
	holdCtx(name, ctx)
	<-ctxBlock
	runtime.KeepAlive(ctx)
}

// ctxHTTPHandler: the context is reachable only through r (r.ctx).
//
//go:noinline
func ctxHTTPHandler(w http.ResponseWriter, r *http.Request) {
	noteChain("http-req", r.Context())
	holdCtxVia("http-req", r.Context(), "field", 1)
	<-ctxHTTPBlk
	runtime.KeepAlive(r)
	runtime.KeepAlive(w)
}

//go:noinline
func ctxHTTPClient(url string) {
	c := &http.Client{Transport: &http.Transport{}}
	ctxHeldCh <- goid()
	resp, err := c.Get(url) // never answered
	if err == nil {
		resp.Body.Close()
	}
	panic("http client: request returned")
}

// startContexts starts the goroutines of this file. Main only.
func startContexts() {
	bg := context.Background()

	// tree
	root, rootCancel := context.WithCancel(bg)
	noteCtx("tree-root", root)
	cancels = append(cancels, rootCancel)
	child2v := context.WithValue(root, ctxKey(1), "two")
	noteCtx("tree-child-2-value", child2v)
	var children [3]context.Context
	var childCancel [3]context.CancelFunc
	children[0], childCancel[0] = context.WithCancel(root)
	children[1], childCancel[1] = context.WithCancel(child2v)
	children[2], childCancel[2] = context.WithCancel(root)
	var gcs []context.Context
	var gcNames []string
	for i, c := range children {
		n := i + 1
		noteCtx(fmt.Sprintf("tree-child-%d", n), c)
		gv := context.WithValue(c, "request_id", fmt.Sprintf("r-%d", n)) //nolint:staticcheck // a plain string key on purpose
		gt, gtCancel := context.WithTimeout(c, time.Hour)
		cancels = append(cancels, childCancel[i], gtCancel)
		gcs = append(gcs, gv, gt)
		gcNames = append(gcNames, fmt.Sprintf("tree-gc-%d-value", n), fmt.Sprintf("tree-gc-%d-timer", n))
	}
	childCancel[2]() // the third subtree is canceled
	for i, gc := range gcs {
		noteCtx(gcNames[i], gc)
		ctxExpect++
		go ctxTreeWaiter(gcNames[i], gc)
	}

	// timeouts: one expired, one pending (under TODO)
	expired, c1 := context.WithTimeout(bg, time.Millisecond)
	for expired.Err() == nil {
		time.Sleep(2 * time.Millisecond)
	}
	pending, c2 := context.WithDeadline(context.TODO(), time.Now().Add(2*time.Hour))
	cancels = append(cancels, c1, c2)
	noteCtx("timeout-expired", expired)
	noteCtx("timeout-pending", pending)
	ctxExpect += 2
	go ctxTimeoutWaiter("timeout-expired", expired)
	go ctxTimeoutWaiter("timeout-pending", pending)

	// Go 1.20+ / 1.21+ scenarios (stubs on older releases)
	startCauseCtx()
	startGo121Ctx()

	// a user-defined Context that does not propagate cancellation
	detParent, detCancel := context.WithCancel(bg)
	detCancel()
	var det context.Context = detachedCtx{detParent, make(chan struct{})}
	detChild, detChildCancel := context.WithCancel(det)
	cancels = append(cancels, detChildCancel)
	noteCtx("detached-parent", detParent)
	noteCtx("detached", det)
	noteCtx("detached-child", detChild)
	ctxWatched["detached-child"] = det
	ctxExpect++
	go ctxDetachedWaiter("detached-child", detChild)

	// net/http: the request context is held through r *http.Request
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(ctxHTTPHandler)}
	keepalive = append(keepalive, ln, srv, ctxBlock, ctxHTTPBlk)
	go srv.Serve(ln)
	ctxExpect += 2 // handler, client
	go ctxHTTPClient("http://" + ln.Addr().String() + "/")
}

// noteWatchers finds the goroutines that the context package started to
// watch a parent that is not a cancelCtx (context.propagateCancel.funcN).
// Main only, once everything is parked.
func noteWatchers() {
	if len(ctxWatched) == 0 {
		return
	}
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var found []string // "goid func"
	for _, blk := range strings.Split(string(buf), "\n\n") {
		lines := strings.Split(blk, "\n")
		if len(lines) < 2 || !strings.HasPrefix(lines[0], "goroutine ") {
			continue
		}
		id := strings.Fields(lines[0])[1]
		for _, l := range lines[1:] {
			// context.propagateCancel.func1 up to 1.20,
			// context.(*cancelCtx).propagateCancel.func2 from 1.21
			if strings.HasPrefix(l, "context.") && strings.Contains(l, "propagateCancel.func") {
				fn := l[:strings.LastIndexByte(l, '(')]
				found = append(found, id+" "+fn)
				break
			}
		}
	}
	if len(found) != len(ctxWatched) {
		panic(fmt.Sprintf("context watchers: found %q, want %d", found, len(ctxWatched)))
	}
	// One watched context only (more would need telling them apart).
	for name, parent := range ctxWatched {
		addrMu.Lock()
		var child context.Context
		for _, r := range ctxRecs {
			if r.name == name {
				child = r.ctx
			}
		}
		addrMu.Unlock()
		f := strings.Fields(found[0])
		ctxWatch = append(ctxWatch, fmt.Sprintf("ctxwatcher %s goid=%s parent=0x%x child=0x%x func=%s",
			name, f[0], ctxWord(parent), ctxWord(child), f[1]))
	}
}

// printContexts prints the ctx, ctxtext, ctxchild, ctxheld and ctxwatcher
// lines, each kind sorted by context name. Main only.
func printContexts() {
	addrMu.Lock()
	defer addrMu.Unlock()
	recs := append([]ctxRec(nil), ctxRecs...)
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].name < recs[j].name })
	type child struct{ name, line string }
	var texts []string
	var childs []child
	for _, r := range recs {
		ctx := r.ctx
		kind := ctxKind(ctx)
		var parent uintptr
		if p := ctxParent(ctx); p != nil {
			if ctxNameLocked(p) == "" {
				panic(fmt.Sprintf("context %s: unnamed parent %T 0x%x", r.name, p, ctxWord(p)))
			}
			parent = ctxWord(p)
		}
		canceled, pending := "-", "-"
		var deadline int64
		if kind != "user" {
			canceled = strconv.Itoa(b2i(ctx.Err() != nil))
		}
		if kind == "timer" {
			d, ok := ctx.Deadline()
			if !ok {
				panic("timer context without deadline: " + r.name)
			}
			deadline = d.UnixNano()
			pending = strconv.Itoa(b2i(ctx.Err() == nil && time.Now().Before(d)))
		}
		fmt.Printf("ctx %s addr=0x%x kind=%s parent=0x%x canceled=%s deadline=%d pending=%s type=%T\n",
			r.name, ctxWord(ctx), kind, parent, canceled, deadline, pending, ctx)
		if kind != "user" {
			if err := ctx.Err(); err != nil {
				texts = append(texts, fmt.Sprintf("ctxtext %s err %s", r.name, err))
				if c := causeText(ctx); c != "" && c != err.Error() {
					texts = append(texts, fmt.Sprintf("ctxtext %s cause %s", r.name, c))
				}
			}
		}
		if kind == "value" {
			if s, ok := ctxRender(ctxField(ctx, "key")); ok {
				texts = append(texts, fmt.Sprintf("ctxtext %s key %s", r.name, s))
			}
			if s, ok := ctxRender(ctxField(ctx, "val")); ok {
				texts = append(texts, fmt.Sprintf("ctxtext %s value %s", r.name, s))
			}
		}
		for _, c := range ctxChildren(ctx) {
			n := ctxNameLocked(c)
			if n == "" {
				panic(fmt.Sprintf("context %s: unnamed child %T 0x%x", r.name, c, ctxWord(c)))
			}
			childs = append(childs, child{n, fmt.Sprintf("ctxchild %s parent=0x%x child=0x%x", n, ctxWord(ctx), ctxWord(c))})
		}
	}
	for _, t := range texts {
		fmt.Println(t)
	}
	sort.SliceStable(childs, func(i, j int) bool { return childs[i].name < childs[j].name })
	for _, c := range childs {
		fmt.Println(c.line)
	}
	// grouped by goroutine (ordered by the name of its first context),
	// in the order of the calls (the deep chain: outermost frame first)
	helds := append([]ctxHeldRec(nil), ctxHelds...)
	first := map[uint64]string{}
	for _, h := range helds {
		if _, ok := first[h.goid]; !ok {
			first[h.goid] = h.name
		}
	}
	sort.SliceStable(helds, func(i, j int) bool { return first[helds[i].goid] < first[helds[j].goid] })
	for _, h := range helds {
		n := ""
		for _, r := range recs {
			if r.name == h.name {
				n = r.name
				if ctxWord(r.ctx) != h.addr {
					panic("ctxheld " + h.name + ": address differs")
				}
			}
		}
		if n == "" {
			panic("ctxheld of an unnamed context " + h.name)
		}
		via := ""
		if h.via != "" {
			via = " via=" + h.via
		}
		fmt.Printf("ctxheld %s goid=%d ctx=0x%x func=%s%s\n", h.name, h.goid, h.addr, h.fn, via)
	}
	for _, l := range ctxWatch {
		fmt.Println(l)
	}
}

// SPDX-License-Identifier: Apache-2.0
