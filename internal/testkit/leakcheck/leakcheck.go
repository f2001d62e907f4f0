// Package leakcheck lets server tests prove that connections they opened left
// no goroutine behind.
package leakcheck

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// Matching returns the stacks of live goroutines whose stack mentions any of
// the given substrings (function or package names).
func Matching(subs ...string) []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		for _, s := range subs {
			if strings.Contains(g, s) {
				out = append(out, g)
				break
			}
		}
	}
	return out
}

// Wait fails t unless, within a bounded wait, no goroutine mentions any of
// subs. Goroutines wind down asynchronously after a close, so it polls.
func Wait(t testing.TB, subs ...string) {
	t.Helper()
	const limit = 10 * time.Second
	deadline := time.Now().Add(limit)
	for {
		left := Matching(subs...)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutine(s) still running %d s after close:\n%s",
				len(left), int(limit.Seconds()), strings.Join(left, "\n\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
