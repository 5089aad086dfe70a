//go:build !go1.21

package main

// plantDetached: scenario 6 needs context.WithoutCancel (Go 1.21+); before
// that it is absent and prints nothing.
func plantDetached() {}

// SPDX-License-Identifier: Apache-2.0
