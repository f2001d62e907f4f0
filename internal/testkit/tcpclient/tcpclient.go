// Package tcpclient opens the raw TCP connections tests speak bytes over.
package tcpclient

import (
	"net"
	"testing"
	"time"
)

// Dial connects to addr (loopback in every test) or fails the test. The
// connection has a 10 s deadline, which only stops a broken test, and is
// closed when the test ends.
func Dial(t testing.TB, addr string) *net.TCPConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c.(*net.TCPConn)
}
