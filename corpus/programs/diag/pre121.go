//go:build !go1.21

package main

// Before Go 1.21 there is no WithoutCancel (no cu-without-cancel scenario).
func startWithoutCancelScenario() {}

// SPDX-License-Identifier: Apache-2.0
