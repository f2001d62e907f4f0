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

	"github.com/web-socket-js/web-socket-js/server/internal/idlepoll"
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

// wouldBlockHook, when tests set it, hears each read(2) that found the
// socket empty while a connection waited between messages.
// Atomic, as connections of earlier tests may still be reading.
var wouldBlockHook atomic.Pointer[func()]

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

	// echoOne reads one message through the library and answers it; set
	// by the handler. awaitData runs it in the poller's callback while a
	// whole message is at hand (see gotBetweenMessages).
	echoOne    func() error
	bufferOnly bool                                   // echoOne is running there: reads must not touch the socket
	gotBetween func(buf *[]byte, n int) (bool, error) // gotBetweenMessages, bound once

	writeDeadline time.Time // the last one set; the library's writes are serialised

	// Waiting without a goroutine (see Handler.rest); idle is nil where
	// that cannot be done (TLS, platforms without idlepoll).
	idle     *idlepoll.Poller
	fd       int
	fromIdle bool       // woken by idle: only pongs so far, so park again after them
	parkMu   sync.Mutex // orders park against Close
	closed   bool       // Close has begun; under parkMu

	// Taking a connection that waits in awaitData off its goroutine (nudge).
	state   atomic.Int32 // busy, waiting or nudged
	nudging sync.Mutex   // orders nudge's deadline before awaitData takes it back
}

// pooledConn.state values.
const (
	busy    = iota // reading or echoing a message
	waiting        // waiting for bytes in awaitData
	nudged         // nudge cut that wait short
)

// errMoved ends an awaitData that nudge cut short; nothing was read, and
// the connection goes on waiting without this goroutine (Handler.rest).
var errMoved = errors.New("echo: waiting connection taken off its goroutine")

// errOnlyPongs ends an awaitData woken from the idle poller by nothing but
// pongs: the connection can go back to waiting without a goroutine.
var errOnlyPongs = errors.New("echo: woken by pongs only")

// errNotBuffered would mean wholeMessage said a message was all there when
// the library needed more of it: a bug, which ends the connection rather
// than block in the poller's callback.
var errNotBuffered = errors.New("echo: the library read past the bytes at hand while echoing in the poller callback")

// readWaiter waits until the socket is readable and only then borrows a
// buffer from readBufPool and reads into it (see waitread_unix.go).
type readWaiter interface {
	// readWhenReady reads once; n == 0 with a nil error is end of stream.
	// When wait is false it does not block and returns errWouldBlock
	// instead. On success buf holds the bytes and is the caller's to give back.
	readWhenReady(wait bool) (buf *[]byte, n int, err error)
	// readLoop waits and reads as readWhenReady(true) does, handing each
	// read's buffer to got, until got returns false or an error; end of
	// stream is io.EOF.
	readLoop(got func(buf *[]byte, n int) (more bool, err error)) error
	// sysfd is the socket's descriptor, for idlepoll.
	sysfd() int
}

var errWouldBlock = errors.New("read would block")

func newPooledConn(c net.Conn) *pooledConn {
	pc := &pooledConn{Conn: c, waiter: newReadWaiter(c)}
	pc.gotBetween = pc.gotBetweenMessages
	if pc.waiter != nil {
		if idle, err := idlepoll.Default(); err == nil {
			pc.idle, pc.fd = idle, pc.waiter.sysfd()
		}
	}
	return pc
}

// park hands the connection to the idle poller, which runs wake when bytes
// arrive or Close is called, and reports whether it did. It does not when
// there is no poller, when bytes were read but not used (the poller only
// sees bytes still in the socket), or once Close has begun: a descriptor
// closed while registered would leave the poller without a wake-up.
func (c *pooledConn) park(wake func()) bool {
	if c.idle == nil || c.frames.Buffered() > 0 || len(c.pending) > 0 {
		return false
	}
	c.parkMu.Lock()
	defer c.parkMu.Unlock()
	return !c.closed && c.idle.Park(c.fd, wake) == nil
}

// Close releases the connection from the idle poller first, which starts
// its goroutine again to see the connection end. Only the first Close does:
// a later one could find the descriptor's number reused by a connection
// parked since.
func (c *pooledConn) Close() error {
	if c.idle != nil && c.beginClose() {
		c.idle.Unpark(c.fd)
	}
	return c.Conn.Close()
}

// beginClose marks the connection closed and reports whether it was the
// first to.
func (c *pooledConn) beginClose() bool {
	c.parkMu.Lock()
	defer c.parkMu.Unlock()
	first := !c.closed
	c.closed = true
	return first
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
		if c.bufferOnly {
			return 0, errNotBuffered
		}
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

// SetWriteDeadline passes t on only when it changes: the library sets the
// write deadline before every write, nearly always to the same zero time,
// and each call takes the runtime poller's lock. The library calls it only
// while holding its write lock, so writeDeadline needs no lock of its own.
func (c *pooledConn) SetWriteDeadline(t time.Time) error {
	if t.Equal(c.writeDeadline) {
		return nil
	}
	if err := c.Conn.SetWriteDeadline(t); err != nil {
		return err
	}
	c.writeDeadline = t
	return nil
}

// SetDeadline keeps writeDeadline true.
func (c *pooledConn) SetDeadline(t time.Time) error {
	if err := c.Conn.SetDeadline(t); err != nil {
		return err
	}
	c.writeDeadline = t
	return nil
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
// reader or here; while they arrive whole, it echoes them itself, in the
// poller's callback (see gotBetweenMessages). Called at the top of the
// echo loop, it parks the goroutine only a few frames deep: a connection
// that has not spoken yet then never outgrows the runtime's smallest stack
// (2 KiB); parked inside the library's frame reader the stack would grow
// to 4 KiB at once.
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
			c.fromIdle = false
			return nil
		}
		c.state.Store(waiting)
		err := c.waiter.readLoop(c.gotBetween)
		if !c.state.CompareAndSwap(waiting, busy) {
			err = c.unnudge(err)
		}
		if err != nil {
			return err
		}
	}
}

// gotBetweenMessages takes the bytes awaitData read. Whole pong frames are
// taken as awaitData says. While the bytes at hand hold a whole message,
// echoOne answers it right here, in the poller's callback: the read that
// follows an echo then goes on in the same RawConn.Read call, where a read
// that emptied the socket needs no second read(2) just to learn that it is
// empty (see drainedReadMeansEmpty). That is one system call of the three
// a small echo otherwise costs. Part of a message, or a ping alone, goes
// to the library outside (false), where it may wait for the rest.
func (c *pooledConn) gotBetweenMessages(buf *[]byte, n int) (more bool, err error) {
	c.hold(buf, n)
	if c.takePongs() {
		if c.fromIdle {
			return false, errOnlyPongs
		}
		return true, nil
	}
	c.fromIdle = false
	for c.echoOne != nil && c.wholeMessageAtHand() {
		c.bufferOnly = true
		err = c.echoOne()
		c.bufferOnly = false
		if err != nil {
			return false, err
		}
	}
	return c.frames.Buffered() == 0 && len(c.pending) == 0, nil
}

// wholeMessageAtHand reports whether the library's reader and pending
// together hold a whole message (see wholeMessage).
func (c *pooledConn) wholeMessageAtHand() bool {
	inLibrary, _ := c.frames.Peek(c.frames.Buffered())
	return wholeMessage(inLibrary, c.pending)
}

// wholeMessage reports whether the bytes a and then b begin with whole
// frames up to the end of a data message (a data frame with FIN set) or of
// a close frame: everything the library reads to deliver that message or
// to end the connection, so it can do so without waiting for more bytes.
// Only the frames' lengths are read here (RFC 6455 §5.2: 7-bit length, or
// 126 and 16 bits, or 127 and 64 bits; 4 more bytes when masked); whether
// a frame is valid is for the library to say when it reads it.
func wholeMessage(a, b []byte) bool {
	at := func(i int) byte {
		if i < len(a) {
			return a[i]
		}
		return b[i-len(a)]
	}
	avail := len(a) + len(b)
	for off := 0; avail-off >= 2; {
		b0, b1 := at(off), at(off+1)
		header, size := 2, uint64(b1&0x7F)
		switch size {
		case 126:
			header += 2
		case 127:
			header += 8
		}
		if b1&0x80 != 0 {
			header += 4
		}
		if avail-off < header {
			return false
		}
		switch size {
		case 126:
			size = uint64(at(off+2))<<8 | uint64(at(off+3))
		case 127:
			size = 0
			for i := range 8 {
				size = size<<8 | uint64(at(off+2+i))
			}
		}
		if size > uint64(avail-off-header) {
			return false
		}
		off += header + int(size)
		if op := b0 & 0x0F; op == websocket.CloseMessage || op < websocket.CloseMessage && b0&0x80 != 0 {
			return true
		}
	}
	return false
}

// nudge cuts short the wait of a connection in awaitData, from any
// goroutine, so that it leaves its goroutine (errMoved) for the idle
// poller, or for a fresh goroutine where there is none (Handler.rest).
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
