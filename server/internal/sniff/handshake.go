package sniff

import (
	"container/list"
	"context"
	"net"
	"sync"
	"time"
)

// handshakes are the connections not yet past their handshake, oldest
// first, at most max of them.
type handshakes struct {
	mu    sync.Mutex
	max   int
	conns list.List // of *Conn; a Conn's elem is its place here
}

func (h *handshakes) init(max int) { h.max = max }

// add records c and, when that goes over the cap, removes and returns the
// oldest pending connection for the caller to close.
func (h *handshakes) add(c *Conn) (evicted *Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.conns.Len() >= h.max {
		evicted = h.conns.Remove(h.conns.Front()).(*Conn)
		evicted.elem = nil
	}
	c.elem = h.conns.PushBack(c)
	return evicted
}

func (h *handshakes) remove(c *Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c.elem != nil {
		h.conns.Remove(c.elem)
		c.elem = nil
	}
}

func (h *handshakes) len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.conns.Len()
}

// closeAll closes every pending connection (the listener is closing).
func (h *handshakes) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for e := h.conns.Front(); e != nil; e = e.Next() {
		c := e.Value.(*Conn)
		c.elem = nil
		c.Conn.Close()
	}
	h.conns.Init()
}

// handshakeState is a Conn's part in the handshake deadline.
type handshakeState struct {
	mu                  sync.Mutex
	past                bool      // PastHandshake was called (or never applied)
	wantRead, wantWrite time.Time // deadlines asked for while held to the handshake's
}

// PastHandshake ends the connection's handshake: it no longer counts as
// pending, and the deadlines last asked for apply as asked, no longer held
// to the handshake deadline. Later calls do nothing.
func (c *Conn) PastHandshake() {
	c.hs.mu.Lock()
	if c.hs.past {
		c.hs.mu.Unlock()
		return
	}
	c.hs.past = true
	r, w := c.hs.wantRead, c.hs.wantWrite
	c.hs.mu.Unlock()
	if c.l != nil {
		c.l.pending.remove(c)
	}
	c.Conn.SetReadDeadline(r)
	c.Conn.SetWriteDeadline(w)
}

// held returns t, or the handshake deadline if that comes first (a zero t
// is no deadline), and records t for PastHandshake.
func (c *Conn) held(t time.Time, want *time.Time) time.Time {
	c.hs.mu.Lock()
	defer c.hs.mu.Unlock()
	if c.hs.past {
		return t
	}
	*want = t
	if t.IsZero() || t.After(c.deadline) {
		return c.deadline
	}
	return t
}

// SetReadDeadline sets the read deadline, held to the handshake deadline
// until PastHandshake.
func (c *Conn) SetReadDeadline(t time.Time) error {
	return c.Conn.SetReadDeadline(c.held(t, &c.hs.wantRead))
}

// SetWriteDeadline sets the write deadline, held to the handshake deadline
// until PastHandshake.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	return c.Conn.SetWriteDeadline(c.held(t, &c.hs.wantWrite))
}

// SetDeadline sets both deadlines, as the two calls above do.
func (c *Conn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

// Close closes the connection; it is no longer pending.
func (c *Conn) Close() error {
	if c.l != nil {
		c.l.pending.remove(c)
	}
	return c.Conn.Close()
}

type connKey struct{}

// ConnContext returns ctx carrying c's sniffed connection, below TLS if c is
// a TLS connection, for PastHandshakeOf; use it as http.Server.ConnContext.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	if tc, ok := c.(interface{ NetConn() net.Conn }); ok {
		c = tc.NetConn()
	}
	if sc, ok := c.(*Conn); ok {
		return context.WithValue(ctx, connKey{}, sc)
	}
	return ctx
}

// PastHandshakeOf calls PastHandshake on the connection ctx carries (see
// ConnContext), if any. An HTTP handler calls it with the request's context:
// the headers are in.
func PastHandshakeOf(ctx context.Context) {
	if c, ok := ctx.Value(connKey{}).(*Conn); ok {
		c.PastHandshake()
	}
}
