package echo

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// hijacker is the ResponseWriter the library upgrades through. Its Hijack
// puts a messageConn under the connection, so that the message deadline
// sees when bytes arrive and whether any are still waiting. Bytes the
// client sent right behind its handshake, still in net/http's reader, are
// read first.
type hijacker struct {
	http.ResponseWriter
	messageTimeout time.Duration
	conn           *messageConn // set by Hijack
}

func (w *hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	mc := &messageConn{Conn: nc, timeout: w.messageTimeout}
	if n := brw.Reader.Buffered(); n > 0 {
		early, _ := brw.Reader.Peek(n)
		mc.early = bytes.Clone(early)
	}
	w.conn = mc
	return mc, brw, nil
}

// messageConn runs the message deadline: a message (or a control frame
// between messages) has begun once its first bytes have arrived, and the
// deadline is set when the library reads for more of it; it is cleared
// once the echo loop, or a ping or pong handler between messages, has
// read it (settle). A connection waiting between messages has none (the
// pings look after silent clients), while a client that sends part of a
// frame, even part of a header, and stalls is cut: a deadline set only
// once the library reports a new message could not do that. A message
// that arrives whole in one read never sets a deadline at all, which
// keeps small echoes as cheap as the library's own loop. Only the
// connection's reading goroutine uses it.
type messageConn struct {
	net.Conn
	timeout   time.Duration
	frames    *bufio.Reader  // borrowed from framePool while a frame needs more than was read ahead
	first     [waitSize]byte // where an idle connection's next bytes arrive
	early     []byte         // bytes read ahead of frames: behind the handshake, or into first
	begun     bool           // bytes of a message or control frame have arrived
	armed     bool           // the read deadline is set
	inMessage bool           // the echo loop is reading a data message
}

// Frame readers. An idle connection waits for its next bytes in a small
// array of its own and holds no reader; a frame that needs more than that
// first read brought borrows one from framePool, given back when a message
// leaves nothing waiting.
const (
	// waitSize holds a small message whole (a 32-byte message is a 38-byte
	// frame), so the read that ends the wait is the only one it takes.
	waitSize = 128
	// frameReaderSize is net/http's own size: a message up to about 4 KiB
	// comes in one read; a larger one is read straight into its buffer.
	frameReaderSize = 4 << 10
)

var framePool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, frameReaderSize) }}

// awaitFrame blocks until the next frame's first bytes have arrived. The
// echo loop calls it a few calls deep, so a silent connection's goroutine
// fits the runtime's smallest stack.
func (c *messageConn) awaitFrame() error {
	if c.frames != nil || len(c.early) > 0 {
		return nil // the last read brought more than one frame
	}
	n, err := c.Conn.Read(c.first[:])
	if n == 0 {
		if err == nil {
			err = io.ErrNoProgress
		}
		return err
	}
	c.early = c.first[:n]
	c.begun = true
	return nil
}

// releaseFrames gives the borrowed frame reader back.
func (c *messageConn) releaseFrames() {
	if c.frames != nil {
		c.frames.Reset(nil)
		framePool.Put(c.frames)
		c.frames = nil
	}
}

// borrowedFrames is what the library's frame reader reads from: the bytes
// read ahead (a small message is often all there), then a frame reader
// borrowed for the rest. Bytes stay in order: a reader is borrowed only
// once those read ahead are used up, and none are read ahead while one is
// held.
type borrowedFrames messageConn

func (b *borrowedFrames) Read(p []byte) (int, error) {
	if b.frames == nil {
		if len(b.early) > 0 {
			n := copy(p, b.early)
			b.early = b.early[n:]
			b.begun = true
			return n, nil
		}
		b.frames = framePool.Get().(*bufio.Reader)
		b.frames.Reset((*messageConn)(b))
	}
	return b.frames.Read(p)
}

func (c *messageConn) Read(p []byte) (int, error) {
	if c.begun && !c.armed {
		c.armed = true
		if err := c.Conn.SetReadDeadline(time.Now().Add(c.timeout)); err != nil {
			return 0, err
		}
	}
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.begun = true
	}
	return n, err
}

// settle is called once a message, or a control frame between messages,
// has been read: bytes still waiting are the next one's beginning (or the
// frame reader goes back), and the deadline of the one read is cleared.
func (c *messageConn) settle() error {
	c.begun = len(c.early) > 0 || c.frames != nil && c.frames.Buffered() > 0
	if !c.begun {
		c.releaseFrames()
	}
	if !c.armed {
		return nil
	}
	c.armed = false
	return c.Conn.SetReadDeadline(time.Time{})
}

// controlFrameRead settles after a ping or pong, unless it came between the
// fragments of a message, whose deadline goes on.
func (c *messageConn) controlFrameRead() error {
	if c.inMessage {
		return nil
	}
	return c.settle()
}
