//go:build unix

package echo

import (
	"io"
	"net"
	"os"
	"runtime"
	"syscall"
)

// rawWaiter waits on the runtime's network poller and reads with read(2).
// Its state lives here, and its callback is made once, so a read allocates
// nothing.
type rawWaiter struct {
	raw      syscall.RawConn
	tryRead  func(fd uintptr) bool // bound to attempt, made once
	loopRead func(fd uintptr) bool // bound to readEach, made once

	got func(buf *[]byte, n int) (more bool, err error) // readLoop's

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
	w.loopRead = w.readEach
	return w
}

func (w *rawWaiter) sysfd() int {
	fd := -1
	w.raw.Control(func(s uintptr) { fd = int(s) })
	return fd
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
	buf, n, err := readFD(fd)
	if err == syscall.EAGAIN {
		if w.wait {
			return false
		}
		err = errWouldBlock
	}
	w.buf, w.n, w.err = buf, n, err
	return true
}

// readLoop waits until the socket is readable and hands every read to got,
// inside the poller's callback, for as long as got asks for more. It ends
// when got says so or fails, or at end of stream (io.EOF).
func (w *rawWaiter) readLoop(got func(buf *[]byte, n int) (more bool, err error)) error {
	w.got = got
	err := w.raw.Read(w.loopRead)
	rerr := w.err
	w.got, w.err = nil, nil
	if err != nil {
		return err
	}
	return rerr
}

// drainedReadMeansEmpty: on Linux the poller is edge-triggered epoll, and
// every arrival of data on a socket posts a new event, even when unread
// bytes are still waiting. So once a read has returned less than it asked
// for, anything sent later wakes the poller again, and the read(2) that
// would only confirm EAGAIN can be skipped. This holds only within one
// RawConn.Read call: each call begins by clearing readiness the poller has
// already seen, which is why readLoop stays in one call across messages.
const drainedReadMeansEmpty = runtime.GOOS == "linux"

// readEach is readLoop's poller callback: it reads and hands the bytes to
// got until got is done, the stream ends, or the socket is empty (false:
// park until readable).
func (w *rawWaiter) readEach(fd uintptr) bool {
	for {
		buf, n, err := readFD(fd)
		switch {
		case err == syscall.EAGAIN:
			if hook := wouldBlockHook.Load(); hook != nil {
				(*hook)()
			}
			return false
		case err != nil:
			w.err = os.NewSyscallError("read", err)
			return true
		case n == 0:
			w.err = io.EOF
			return true
		}
		drained := n < len(*buf) // got may give buf back
		more, err := w.got(buf, n)
		if err != nil || !more {
			w.err = err
			return true
		}
		if drained && drainedReadMeansEmpty {
			return false
		}
	}
}

// readFD makes one read(2) into a buffer borrowed from readBufPool. The
// buffer is given back at once unless bytes arrived (n > 0): an idle
// connection holds none.
func readFD(fd uintptr) (buf *[]byte, n int, err error) {
	buf = readBufPool.Get().(*[]byte)
	for {
		n, err = syscall.Read(int(fd), *buf)
		if err != syscall.EINTR {
			break
		}
	}
	if n <= 0 {
		readBufPool.Put(buf)
		return nil, n, err
	}
	return buf, n, err
}
