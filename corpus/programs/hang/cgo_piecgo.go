//go:build piecgo

// Built only for the corpus's pie-cgo variant (go build -tags piecgo, with
// cgo and -buildmode=pie): links the C code of package cgotwice. Nothing is
// printed: the program's stdout is the plain build's.
package main

import _ "example.com/hang/cgotwice"

// SPDX-License-Identifier: Apache-2.0
