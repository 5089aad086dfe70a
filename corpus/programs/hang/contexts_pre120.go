//go:build !go1.20

package main

import "context"

// Before Go 1.20 there is no context.Cause (nor WithCancelCause).
func causeText(ctx context.Context) string { return "" }

func startCauseCtx() {}

// SPDX-License-Identifier: Apache-2.0
