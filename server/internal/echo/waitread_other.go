//go:build !unix

package echo

import "net"

// newReadWaiter: without a readiness wait on this platform, reads go
// straight to the connection, through the library's small frame reader.
func newReadWaiter(net.Conn) readWaiter { return nil }
