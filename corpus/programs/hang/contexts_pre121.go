//go:build !go1.21

package main

// Before Go 1.21 there is no WithoutCancel nor AfterFunc.
func startGo121Ctx() {}

// SPDX-License-Identifier: Apache-2.0
