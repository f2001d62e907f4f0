package sniff

import (
	"context"
	"net"
	"sync"
	"time"
)

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
		c.l.pending.Remove(c)
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
		c.l.pending.Remove(c)
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
