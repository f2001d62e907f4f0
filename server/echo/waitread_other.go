//go:build !unix

package echo

import "net"

// newReadWaiter: without a portable readiness wait here, reads block holding
// a buffer (the connection still works; it just keeps one while idle).
func newReadWaiter(net.Conn) readWaiter { return nil }
