package echo

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Buffer sizes. An idle connection holds none of the pooled buffers: a
// read borrows one only when bytes have arrived, and returns it once they
// are consumed; a write borrows one for the length of a message.
const (
	// frameHeaderBuffer is the library's read buffer: it only stages frame
	// headers and control frames. The library takes a hijacked reader as
	// its own only when it is larger than 256 bytes.
	frameHeaderBuffer = 264
	// readBufSize is what one read system call may fill.
	readBufSize = 8 << 10
	// writeBufSize bounds the part of a message the library copies into a
	// pooled buffer (with the frame header) before writing; the rest is
	// written from the message itself, without a copy.
	writeBufSize = 4 << 10
)

var readBufPool = sync.Pool{New: func() any { b := make([]byte, readBufSize); return &b }}

// heldDelta, when tests set it, hears each read buffer a connection takes
// (+1) or gives back (-1), so they can check that idle connections hold
// none; a shared counter would cost every message two contended atomics.
var heldDelta func(int64)

// pongsTaken counts the pongs awaitData took in place of the library, for tests.
var pongsTaken atomic.Int64

// writeBufPool lends the library its write buffers.
var writeBufPool websocket.BufferPool = new(sync.Pool)

// pooledHijacker hands the WebSocket library a pooledConn instead of the raw
// connection, and moves any frames the client sent right behind its
// handshake (already in net/http's buffer) into it.
type pooledHijacker struct{ http.ResponseWriter }

func (w pooledHijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	pc := newPooledConn(conn)
	if n := brw.Reader.Buffered(); n > 0 {
		early, _ := brw.Reader.Peek(n)
		pc.keep(early)
	}
	// The library reads through this small reader (see awaitData) and
	// writes its handshake answer with brw's write buffer, then lets it go.
	pc.frames = bufio.NewReaderSize(pc, frameHeaderBuffer)
	return pc, bufio.NewReadWriter(pc.frames, brw.Writer), nil
}

// Unwrap lets http.ResponseController reach the real writer.
func (w pooledHijacker) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// pooledConn is a connection whose reads go through a buffer borrowed from
// readBufPool only while unread bytes are waiting in it. It also applies the
// message deadline lazily: only when a read inside a message would block.
type pooledConn struct {
	net.Conn
	waiter readWaiter    // nil when there is no socket to wait on (TLS): reads pass through
	frames *bufio.Reader // the library's reader on top of this one

	buf     *[]byte // the borrowed buffer; nil when nothing is pending
	pending []byte  // unread bytes in *buf

	msgTimeout time.Duration // > 0 while a message is being read
	armed      bool          // the read deadline is set for this message

	onPong func() // tells the pinger a pong came; nil when pings are off

	// Moving a connection that waits in awaitData to a fresh goroutine.
	state   atomic.Int32 // busy, waiting or nudged
	nudging sync.Mutex   // orders nudge's deadline before awaitData takes it back
}

// pooledConn.state values.
const (
	busy    = iota // reading or echoing a message
	waiting        // waiting for bytes in awaitData
	nudged         // nudge cut that wait short
)

// errMoved ends an awaitData that nudge cut short; nothing was read.
var errMoved = errors.New("echo: waiting connection moved to a fresh goroutine")

// readWaiter waits until the socket is readable and only then borrows a
// buffer from readBufPool and reads into it (see waitread_unix.go).
type readWaiter interface {
	// readWhenReady reads once; n == 0 with a nil error is end of stream.
	// When wait is false it does not block and returns errWouldBlock
	// instead. On success buf holds the bytes and is the caller's to give back.
	readWhenReady(wait bool) (buf *[]byte, n int, err error)
}

var errWouldBlock = errors.New("read would block")

func newPooledConn(c net.Conn) *pooledConn {
	return &pooledConn{Conn: c, waiter: newReadWaiter(c)}
}

// keep stores bytes that arrived before the connection was handed over
// (at most net/http's read buffer) as pending.
func (c *pooledConn) keep(p []byte) {
	if len(p) > readBufSize {
		c.pending = bytes.Clone(p)
		return
	}
	buf := readBufPool.Get().(*[]byte)
	c.hold(buf, copy(*buf, p))
}

// hold keeps buf, whose first n bytes are unread, until they are consumed.
func (c *pooledConn) hold(buf *[]byte, n int) {
	c.buf, c.pending = buf, (*buf)[:n]
	if heldDelta != nil {
		heldDelta(1)
	}
}

// release forgets pending and gives back the borrowed buffer, if any.
func (c *pooledConn) release() {
	if c.buf != nil {
		readBufPool.Put(c.buf)
		if heldDelta != nil {
			heldDelta(-1)
		}
	}
	c.buf, c.pending = nil, nil
}

func (c *pooledConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if len(c.pending) == 0 {
		c.release()
		// With no readiness wait (TLS), a staging buffer would be held for
		// as long as the read blocks, so reads go straight into p, as do big
		// reads, which need no staging.
		if c.waiter == nil || len(p) >= readBufSize {
			if err := c.armForBlockingRead(); err != nil {
				return 0, err
			}
			return c.Conn.Read(p)
		}
		if err := c.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	if len(c.pending) == 0 {
		c.release()
	}
	return n, nil
}

// fill waits until the socket is readable, then reads what it has into a
// borrowed buffer.
func (c *pooledConn) fill() error {
	buf, n, err := c.waiter.readWhenReady(c.msgTimeout == 0 || c.armed)
	if err == errWouldBlock { // inside a message: now the deadline matters
		if err = c.armForBlockingRead(); err != nil {
			return err
		}
		buf, n, err = c.waiter.readWhenReady(true)
	}
	if err != nil {
		return err
	}
	if n == 0 {
		return io.EOF
	}
	c.hold(buf, n)
	return nil
}

// awaitData returns once a message's bytes are at hand, in the library's
// reader or here. Called at the top of the echo loop, it parks the
// goroutine only a few frames deep: a connection that has not spoken yet
// then never outgrows the runtime's smallest stack (2 KiB); parked inside
// the library's frame reader the stack would grow to 4 KiB at once.
//
// The answers to our own pings are what would take an idle connection
// there: the library reads a pong and then waits for the next frame inside
// its frame reader. So when the bytes that arrived are nothing but whole
// pong frames, awaitData takes them itself: it tells the pinger and drops
// them, as the library would (a pong carries nothing to echo and needs no
// answer, RFC 6455 §5.5.3). Any other byte, and everything after it, goes
// to the library.
func (c *pooledConn) awaitData() error {
	if c.waiter == nil {
		if len(c.pending) > 0 || c.frames.Buffered() > 0 {
			return nil
		}
		_, err := c.frames.Peek(1)
		return err
	}
	for {
		if c.frames.Buffered() > 0 || len(c.pending) > 0 && !c.takePongs() {
			return nil
		}
		c.state.Store(waiting)
		err := c.fill()
		if !c.state.CompareAndSwap(waiting, busy) {
			err = c.unnudge(err)
		}
		if err != nil {
			return err
		}
	}
}

// nudge cuts short the wait of a connection in awaitData, from any
// goroutine, so that its goroutine hands over to a fresh one (errMoved).
// A goroutine keeps the stack its busiest moment needed, 4 KiB or more
// once it has echoed messages; the runtime shrinks a stack only when
// almost none of it is in use, which a waiting reader never is, even a
// few frames deep. Moving costs a goroutine start, so it is done on the
// ping timer, not after every message.
func (c *pooledConn) nudge() {
	if c.waiter == nil {
		return // TLS: no wait of ours to cut short
	}
	c.nudging.Lock()
	defer c.nudging.Unlock()
	if c.state.CompareAndSwap(waiting, nudged) {
		c.Conn.SetReadDeadline(time.Unix(1, 0)) // the wait ends with a timeout
	}
}

// unnudge takes back the deadline nudge set, before the library reads
// anything (a timeout there would end the connection), and turns the
// timeout that nudge caused into errMoved.
func (c *pooledConn) unnudge(err error) error {
	c.nudging.Lock() // nudge may still be setting the deadline
	defer c.nudging.Unlock()
	c.state.Store(busy)
	if derr := c.Conn.SetReadDeadline(time.Time{}); derr != nil {
		return derr
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return errMoved
	}
	return err
}

// takePongs drops pending if it holds only whole pong frames and pings are
// on, telling the pinger, and reports whether it did.
func (c *pooledConn) takePongs() bool {
	if c.onPong == nil || !onlyPongFrames(c.pending) {
		return false
	}
	c.release()
	c.onPong()
	pongsTaken.Add(1)
	return true
}

// onlyPongFrames reports whether b is one or more whole client pong frames
// (RFC 6455 §5.2, §5.5.3: FIN set, no RSV bits, opcode 0xA, masked, payload
// of at most 125 bytes), the checks the library makes on a pong.
func onlyPongFrames(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for len(b) > 0 {
		if len(b) < 2 || b[0] != 0x8A || b[1]&0x80 == 0 || b[1]&0x7F > 125 {
			return false
		}
		n := 2 + 4 + int(b[1]&0x7F) // header, mask key, payload
		if len(b) < n {
			return false
		}
		b = b[n:]
	}
	return true
}

// beginMessage bounds the reads of the message that has just begun by
// timeout; the deadline is only set if one of them has to wait.
func (c *pooledConn) beginMessage(timeout time.Duration) {
	c.msgTimeout = timeout
}

// armForBlockingRead sets the message deadline before a read that may block
// inside a message, once per message.
func (c *pooledConn) armForBlockingRead() error {
	if c.msgTimeout == 0 || c.armed {
		return nil
	}
	c.armed = true
	return c.Conn.SetReadDeadline(time.Now().Add(c.msgTimeout))
}

// endMessage clears the message deadline if it was set.
func (c *pooledConn) endMessage() error {
	c.msgTimeout = 0
	if !c.armed {
		return nil
	}
	c.armed = false
	return c.Conn.SetReadDeadline(time.Time{})
}
