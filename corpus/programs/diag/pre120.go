//go:build !go1.20

package main

import "context"

// Before Go 1.20 there is no WithCancelCause (no cu-cause scenario).
func causeText(ctx context.Context) string { return "" }
func startCauseScenario()                  {}

// SPDX-License-Identifier: Apache-2.0
