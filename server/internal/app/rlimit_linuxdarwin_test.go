//go:build linux || darwin

package app

import (
	"syscall"
	"testing"
)

// raiseFileLimit lifts the soft limit on open files to at least n, or fails
// the test with the reason (the hard limit is below it).
func raiseFileLimit(t *testing.T, n uint64) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur >= n {
		return
	}
	if lim.Max < n {
		t.Fatalf("needs %d open files; the hard limit is %d (raise it with ulimit -Hn)", n, lim.Max)
	}
	old := lim.Cur
	lim.Cur = n
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lim.Cur = old; syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim) })
}
