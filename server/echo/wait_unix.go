//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package echo

import (
	"net"
	"syscall"
)

// readWaiter blocks until a socket has bytes to read, without reading them.
type readWaiter struct {
	rc syscall.RawConn
	fn func(fd uintptr) bool // poll, made once so that waiting allocates nothing
	// skip counts waits left out: when bytes were already there the last
	// time, the client is busy and the check would only cost a system call.
	skip   int
	polled bool
}

// skipAfterReady is how many messages go by without a check after one that
// found bytes waiting. (While skipping, the goroutine waits inside the
// library's read, where the watchdog cannot move it: a client that goes
// quiet right after a burst keeps its goroutine's 4 KiB stack until its next
// message.) A variable for tests.
var skipAfterReady = 16

// newReadWaiter returns nil unless c exposes its socket (TLS does not).
func newReadWaiter(c net.Conn) *readWaiter {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	w := &readWaiter{rc: rc}
	w.fn = w.poll
	return w
}

// busy reports (and counts down) whether the next wait is left out because
// the client has been sending faster than we echo.
func (w *readWaiter) busy() bool {
	if w.skip > 0 {
		w.skip--
		return true
	}
	return false
}

// wait returns once the socket is readable, or with the error that ended the
// wait (a read deadline, a closed connection).
func (w *readWaiter) wait() error {
	w.polled = false
	return w.rc.Read(w.fn)
}

// poll is called by the runtime's poller: first to check for bytes with a
// non-consuming MSG_PEEK (false: not yet, park until readable), then once
// the poller says the socket is readable (true: done, no second check).
func (w *readWaiter) poll(fd uintptr) bool {
	if w.polled {
		return true
	}
	w.polled = true
	var b [1]byte
	n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK)
	if err == syscall.EAGAIN {
		return false
	}
	if n > 0 {
		w.skip = skipAfterReady
	}
	return true
}
