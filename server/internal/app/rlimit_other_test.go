//go:build !(linux || darwin)

package app

import "testing"

// raiseFileLimit leaves the limit as it is elsewhere (Windows has none; the BSDs
// declare syscall.Rlimit with other field types).
func raiseFileLimit(t *testing.T, n uint64) {}
