package echo

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
)

// hijacker is the ResponseWriter gorilla upgrades through. Its Hijack hands
// gorilla a messageConn and a frame reader of ours on top of it; with
// Upgrader.ReadBufferSize 0, gorilla reads through the reader the upgrade
// hands it ("buffers allocated by the HTTP server are used", its documented
// rule; the reader is as large as net/http's own, which is what that rule is
// for), so that the message deadline sees when bytes arrive and whether any
// are still waiting. Bytes the client sent right behind its handshake, still
// in net/http's reader, are read first: gorilla would refuse the connection
// if the reader it got held any.
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
	mc.frames = bufio.NewReaderSize(mc, readBufferSize)
	w.conn = mc
	return mc, bufio.NewReadWriter(mc.frames, brw.Writer), nil
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
	frames    *bufio.Reader // what gorilla reads frames through
	early     []byte        // bytes that came with the handshake, not read yet
	begun     bool          // bytes of a message or control frame have arrived
	armed     bool          // the read deadline is set
	inMessage bool          // the echo loop is reading a data message
}

func (c *messageConn) Read(p []byte) (int, error) {
	if c.begun && !c.armed {
		c.armed = true
		if err := c.Conn.SetReadDeadline(time.Now().Add(c.timeout)); err != nil {
			return 0, err
		}
	}
	if len(c.early) > 0 {
		n := copy(p, c.early)
		c.early = c.early[n:]
		c.begun = true
		return n, nil
	}
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.begun = true
	}
	return n, err
}

// settle is called once a message, or a control frame between messages,
// has been read: bytes still waiting are the next one's beginning, and
// the deadline of the one read is cleared.
func (c *messageConn) settle() error {
	c.begun = c.frames.Buffered() > 0
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

// watchControlFrames has c's ping and pong handlers settle the message
// deadline. A ping is answered as gorilla's default handler answers it;
// onPong tells the pinger.
func (c *messageConn) watchControlFrames(ws *websocket.Conn, onPong func()) {
	ws.SetPongHandler(func(string) error {
		onPong()
		return c.controlFrameRead()
	})
	ws.SetPingHandler(func(data string) error {
		if err := c.controlFrameRead(); err != nil {
			return err
		}
		err := ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(replyTimeout))
		var netErr net.Error
		if errors.Is(err, websocket.ErrCloseSent) || errors.As(err, &netErr) {
			return nil // the connection is ending; the next read says so
		}
		return err
	})
}
