//go:build unix

package echo

import (
	"net"
	"os"
	"syscall"
)

// rawWaiter waits on the runtime's network poller and reads with read(2).
// Its state lives here, and its callback is made once, so a read allocates
// nothing.
type rawWaiter struct {
	raw     syscall.RawConn
	tryRead func(fd uintptr) bool // bound to attempt, made once

	wait bool    // in: park until readable (else report errWouldBlock)
	buf  *[]byte // out: the filled buffer, borrowed from readBufPool
	n    int
	err  error
}

// newReadWaiter returns nil when c exposes no socket (TLS, pipes); reads
// then go straight to c.
func newReadWaiter(c net.Conn) readWaiter {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	w := &rawWaiter{raw: raw}
	w.tryRead = w.attempt
	return w
}

func (w *rawWaiter) readWhenReady(wait bool) (*[]byte, int, error) {
	w.wait = wait
	err := w.raw.Read(w.tryRead)
	buf, n, rerr := w.buf, w.n, w.err
	w.buf, w.err = nil, nil
	switch {
	case err != nil:
		return nil, 0, err
	case rerr == errWouldBlock:
		return nil, 0, rerr
	case rerr != nil:
		return nil, 0, os.NewSyscallError("read", rerr)
	}
	return buf, n, nil
}

// attempt is the poller callback: one non-blocking read into a buffer
// borrowed just for it; false asks the poller to park until readable.
func (w *rawWaiter) attempt(fd uintptr) bool {
	buf := readBufPool.Get().(*[]byte)
	var n int
	var err error
	for {
		n, err = syscall.Read(int(fd), *buf)
		if err != syscall.EINTR {
			break
		}
	}
	if n <= 0 {
		// Give the buffer back before the poller parks us: an idle
		// connection holds none.
		readBufPool.Put(buf)
		buf = nil
	}
	if err == syscall.EAGAIN {
		if w.wait {
			return false
		}
		err = errWouldBlock
	}
	w.buf, w.n, w.err = buf, n, err
	return true
}
