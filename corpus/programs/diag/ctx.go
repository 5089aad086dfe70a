package main

// The program's own account of every context it made: the ctx, ctxtext,
// ctxchild, ctxheld and ctxwatcher lines, in the formats of the hang program
// (corpus/README.md, "Contexts"). Parents and children are read from the
// context package's own structures by reflection.

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

type ctxRec struct {
	name string
	ctx  context.Context
}

type ctxHeldRec struct {
	name string
	goid uint64
	addr uintptr
	fn   string
}

var (
	ctxRecs  []ctxRec // keeps every named context reachable from a global
	ctxHelds []ctxHeldRec
	ctxWatch []string
	ctxType  = reflect.TypeOf((*context.Context)(nil)).Elem()

	// contexts whose cancelCtx.mu the program holds (context_lock_wait):
	// Err and Cause would block on it, so they are not called.
	ctxLocked = map[string]bool{}
	// the contexts whose children get a watcher goroutine: child name -> parent
	ctxWatched = map[string]context.Context{}
)

// ctxWord is the data word of the interface value.
func ctxWord(ctx context.Context) uintptr {
	return (*[2]uintptr)(unsafe.Pointer(&ctx))[1]
}

func ctxTypeName(ctx context.Context) string { return fmt.Sprintf("%T", ctx) }

// noteCtx names a context.
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

func ctxNameLocked(ctx context.Context) string {
	w, t := ctxWord(ctx), ctxTypeName(ctx)
	for _, r := range ctxRecs {
		if ctxWord(r.ctx) == w && ctxTypeName(r.ctx) == t {
			return r.name
		}
	}
	return ""
}

func ctxAddr(name string) string {
	addrMu.Lock()
	defer addrMu.Unlock()
	for _, r := range ctxRecs {
		if r.name == name {
			return fmt.Sprintf("0x%x", ctxWord(r.ctx))
		}
	}
	panic("no context " + name)
}

// holdCtx records that the calling function holds context NAME in a
// parameter kept live across its wait.
//
//go:noinline
func holdCtx(name string, ctx context.Context) {
	pc, _, _, _ := runtime.Caller(1)
	id := goid()
	addrMu.Lock()
	ctxHelds = append(ctxHelds, ctxHeldRec{name, id, ctxWord(ctx), runtime.FuncForPC(pc).Name()})
	addrMu.Unlock()
}

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

// ctxParent: the embedded Context field, or withoutCancelCtx.c.
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
		out = append(out, reflect.NewAt(e.Type().Elem(), unsafe.Pointer(e.Pointer())).Interface().(context.Context))
	}
	return out
}

// ctxMutex: the address of cancelCtx.mu (of the cancelCtx embedded in a
// timerCtx too).
func ctxMutex(ctx context.Context) unsafe.Pointer {
	v, ok := ctxStruct(ctx)
	if !ok || v.Kind() != reflect.Struct {
		panic("not a struct context")
	}
	f := v.FieldByName("mu")
	if !f.IsValid() {
		panic("context without mu: " + ctxTypeName(ctx))
	}
	return unsafe.Pointer(f.UnsafeAddr())
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
	}
	return "", false
}

func ctxField(ctx context.Context, name string) interface{} {
	v, _ := ctxStruct(ctx)
	f := v.FieldByName(name)
	return *(*interface{})(unsafe.Pointer(f.UnsafeAddr()))
}

// noteWatchers finds the goroutine the context package started to watch a
// parent that is not a cancelCtx (context.propagateCancel.func1 up to 1.20,
// context.(*cancelCtx).propagateCancel.func2 from 1.21). Main only.
func noteWatchers() {
	var found []string // "goid func"
	for _, blk := range strings.Split(allStacks(), "\n\n") {
		lines := strings.Split(blk, "\n")
		if len(lines) < 2 || !strings.HasPrefix(lines[0], "goroutine ") {
			continue
		}
		id := strings.Fields(lines[0])[1]
		for _, l := range lines[1:] {
			if strings.HasPrefix(l, "context.") && strings.Contains(l, "propagateCancel.func") {
				found = append(found, id+" "+l[:strings.LastIndexByte(l, '(')])
				break
			}
		}
	}
	if len(found) != len(ctxWatched) || len(found) > 1 {
		panic(fmt.Sprintf("context watchers: found %q, want %d", found, len(ctxWatched)))
	}
	for name, parent := range ctxWatched {
		f := strings.Fields(found[0])
		ctxWatch = append(ctxWatch, fmt.Sprintf("ctxwatcher %s goid=%s parent=0x%x child=%s func=%s",
			name, f[0], ctxWord(parent), ctxAddr(name), f[1]))
		id, _ := strconv.ParseUint(f[0], 10, 64)
		watcherIDs = append(watcherIDs, id)
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
		var err error
		if kind != "user" && !ctxLocked[r.name] {
			err = ctx.Err()
		}
		canceled, pending := "-", "-"
		var deadline int64
		if kind != "user" {
			canceled = strconv.Itoa(b2i(err != nil))
		}
		if kind == "timer" {
			d, _ := ctx.Deadline()
			deadline = d.UnixNano()
			pending = strconv.Itoa(b2i(err == nil && time.Now().Before(d)))
		}
		fmt.Printf("ctx %s addr=0x%x kind=%s parent=0x%x canceled=%s deadline=%d pending=%s type=%T\n",
			r.name, ctxWord(ctx), kind, parent, canceled, deadline, pending, ctx)
		if err != nil {
			texts = append(texts, fmt.Sprintf("ctxtext %s err %s", r.name, err))
			if c := causeText(ctx); c != "" && c != err.Error() {
				texts = append(texts, fmt.Sprintf("ctxtext %s cause %s", r.name, c))
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
	// grouped by goroutine (ordered by the name of its first context), in
	// call order (outermost frame first)
	helds := append([]ctxHeldRec(nil), ctxHelds...)
	first := map[uint64]string{}
	for _, h := range helds {
		if _, ok := first[h.goid]; !ok {
			first[h.goid] = h.name
		}
	}
	sort.SliceStable(helds, func(i, j int) bool { return first[helds[i].goid] < first[helds[j].goid] })
	for _, h := range helds {
		fmt.Printf("ctxheld %s goid=%d ctx=0x%x func=%s\n", h.name, h.goid, h.addr, h.fn)
	}
	for _, l := range ctxWatch {
		fmt.Println(l)
	}
}

// SPDX-License-Identifier: Apache-2.0
