//go:build !unix

package app

import "testing"

// raiseFileLimit does nothing where open files are not limited by rlimit.
func raiseFileLimit(t *testing.T, n uint64) {}
