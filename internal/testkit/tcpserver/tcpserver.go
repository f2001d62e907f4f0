// Package tcpserver runs throwaway TCP servers on 127.0.0.1 for tests: an
// echo target, a silent target, a fake upstream, a fake policy server.
package tcpserver

import (
	"net"
	"sync"
	"testing"
	"time"
)

// Serve listens on a fresh 127.0.0.1 port and serves it with ServeOn.
func Serve(t testing.TB, timeout time.Duration, handle func(net.Conn)) *net.TCPAddr {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ServeOn(t, ln, timeout, handle)
	return ln.Addr().(*net.TCPAddr)
}

// ServeOn runs handle on a goroutine of its own for every connection ln
// accepts, with timeout as the connection's deadline (0: none), and closes
// the connection when handle returns. When the test ends, ln and every
// connection still open are closed, and ServeOn waits for the handlers to
// return, so none outlives the test.
func ServeOn(t testing.TB, ln net.Listener, timeout time.Duration, handle func(net.Conn)) {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		open = map[net.Conn]struct{}{}
	)
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for c := range open {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if timeout > 0 {
				c.SetDeadline(time.Now().Add(timeout))
			}
			mu.Lock()
			open[c] = struct{}{}
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() {
					mu.Lock()
					delete(open, c)
					mu.Unlock()
					c.Close()
				}()
				handle(c)
			}()
		}
	}()
}
