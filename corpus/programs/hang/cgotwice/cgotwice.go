// Package cgotwice is C code for the corpus's pie-cgo variant of hang: main
// imports it only when built with -tags piecgo (cgo_piecgo.go), so that
// runtime/cgo and gcc's external link shape that executable and its
// process. A package of its own: cgo's generated code imports "syscall",
// which package main cannot (main.syscall is a layer of the deep chain).
package cgotwice

// static int gocoroner_twice(int x) { return 2 * x; }
import "C"

// Twice is computed by C at start-up.
var Twice = int(C.gocoroner_twice(21))

// SPDX-License-Identifier: Apache-2.0
