//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package echo

import "net"

// readWaiter is the Unix readiness wait; elsewhere echo blocks in the
// library's read instead.
type readWaiter struct{}

var skipAfterReady = 0

func newReadWaiter(net.Conn) *readWaiter { return nil }

func (*readWaiter) busy() bool { return true }

func (*readWaiter) wait() error { return nil }
