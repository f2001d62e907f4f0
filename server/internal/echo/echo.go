// Package echo is the WebSocket echo endpoint: every text or binary message
// a client sends comes back to it unchanged, with the limits an operator
// expects on an open port.
//
// The WebSocket protocol is github.com/gorilla/websocket's, used through its
// public API only: one goroutine per connection reads a message whole and
// writes it back. This package adds the origin allowlist, subprotocol
// choice, connection limit, idle pings (ping.go), the per-message deadline
// (conn.go), the close codes the library leaves to us (1007, 1008, 1009)
// and a graceful shutdown that sends 1001 to every client.
package echo

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/web-socket-js/web-socket-js/server/internal/origin"
)

// Defaults for the zero Options fields.
const (
	DefaultMaxMessage     = 1 << 20
	DefaultMaxConns       = 10000
	DefaultPingInterval   = 30 * time.Second
	DefaultPingTimeout    = 15 * time.Second
	DefaultMessageTimeout = 60 * time.Second
)

// Options configures a Handler. Zero fields take the defaults above.
type Options struct {
	// Origins are the pages allowed to connect; nil → only clients that
	// send no Origin (non-browsers).
	Origins *origin.Policy
	// Subprotocols the server speaks; the first one the client offers wins.
	Subprotocols []string
	// MaxMessage is the largest message accepted, in bytes; larger → close 1009.
	MaxMessage int64
	// MaxConns is the most WebSocket connections at once; more → HTTP 503.
	MaxConns int
	// PingInterval is the time between pings; a ping unanswered within
	// PingTimeout drops the connection. Negative PingInterval turns pings off.
	PingInterval, PingTimeout time.Duration
	// MessageTimeout bounds receiving one message (or control frame) once
	// its first byte has arrived; longer → close 1008.
	MessageTimeout time.Duration
	Logger         *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.MaxMessage <= 0 {
		o.MaxMessage = DefaultMaxMessage
	}
	if o.MaxConns <= 0 {
		o.MaxConns = DefaultMaxConns
	}
	if o.PingInterval == 0 {
		o.PingInterval = DefaultPingInterval
	}
	if o.PingTimeout <= 0 {
		o.PingTimeout = DefaultPingTimeout
	}
	if o.MessageTimeout <= 0 {
		o.MessageTimeout = DefaultMessageTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// goingAway is the close frame payload every client gets at shutdown.
var goingAway = websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down")

const (
	// controlTimeout bounds writing a ping or the shutdown close, which
	// waits for a data write in progress to finish.
	controlTimeout = 5 * time.Second
	// replyTimeout bounds a pong, and the close frame sent just before
	// dropping a client that broke a rule (it may well have stopped
	// reading), as gorilla bounds its own.
	replyTimeout = time.Second
)

// Buffers. An idle connection holds only its frame reader; a write
// borrows a buffer for the length of a message, and so does the echo.
const (
	// readBufferSize is the reader gorilla reads frames through (conn.go),
	// held by every connection: net/http's own size, the reader gorilla's
	// zero-ReadBufferSize rule exists to reuse (a size tuned to its
	// present cut-off would break silently if that moved). Larger messages
	// are read straight into the message buffer.
	readBufferSize = 4 << 10
	// writeBufferSize is the part of a message gorilla copies next to the
	// frame header; the rest is written from the message itself.
	writeBufferSize = 4 << 10
	// maxPooledMessage keeps one huge message from pinning its buffer forever.
	maxPooledMessage = 256 << 10
)

var (
	writeBufferPool websocket.BufferPool = new(sync.Pool)
	messagePool                          = sync.Pool{New: func() any { return new(bytes.Buffer) }}
)

// errInvalidUTF8 ends a connection that sent a text message which is not
// UTF-8 (RFC 6455 §8.1); gorilla leaves that check to the application.
var errInvalidUTF8 = errors.New("echo: text message is not valid UTF-8")

// Handler serves the echo endpoint. Create it with New.
type Handler struct {
	opts     Options
	upgrader websocket.Upgrader
	sem      chan struct{} // one token per open connection (MaxConns)
	wg       sync.WaitGroup

	mu       sync.Mutex
	conns    map[*websocket.Conn]struct{}
	shutting bool
}

// New returns a Handler with opts (zero fields → defaults).
func New(opts Options) *Handler {
	opts = opts.withDefaults()
	return &Handler{
		opts:  opts,
		sem:   make(chan struct{}, opts.MaxConns),
		conns: make(map[*websocket.Conn]struct{}),
		upgrader: websocket.Upgrader{
			// ReadBufferSize stays 0: gorilla then reads through the
			// reader our hijacker hands it (conn.go).
			WriteBufferSize: writeBufferSize,
			WriteBufferPool: writeBufferPool,
			// The origin is checked in ServeHTTP, with logging.
			CheckOrigin: func(*http.Request) bool { return true },
		},
	}
}

// IsUpgrade reports whether r asks for a WebSocket (Connection: upgrade and
// Upgrade: websocket, as tokens in any case), by the library's own rule.
func IsUpgrade(r *http.Request) bool { return websocket.IsWebSocketUpgrade(r) }

// Active is the number of open WebSocket connections.
func (h *Handler) Active() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

// ServeHTTP checks r, upgrades it and echoes on a goroutine of its own.
// Returning right after the upgrade lets net/http drop its per-request
// state, which a long-lived connection would otherwise keep.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log := h.opts.Logger
	if !r.ProtoAtLeast(1, 1) {
		// RFC 6455 §4.1: the opening handshake is HTTP/1.1 or later.
		http.Error(w, "WebSocket needs HTTP/1.1 or later", http.StatusHTTPVersionNotSupported)
		return
	}
	if origin := r.Header.Get("Origin"); !h.opts.Origins.Allowed(origin) {
		log.Warn("echo: origin refused", "remote", r.RemoteAddr, "origin", origin, "host", r.Host)
		http.Error(w, "origin not allowed", http.StatusForbidden)
		return
	}
	select {
	case h.sem <- struct{}{}:
	default:
		log.Warn("echo: connection limit reached, refusing", "remote", r.RemoteAddr, "max_conns", h.opts.MaxConns)
		w.Header().Set("Retry-After", "5")
		http.Error(w, "too many connections", http.StatusServiceUnavailable)
		return
	}

	var header http.Header
	if p := SelectSubprotocol(r.Header.Values("Sec-WebSocket-Protocol"), h.opts.Subprotocols); p != "" {
		// With Upgrader.Subprotocols unset the library answers with this
		// header, so the client's order decides, as documented.
		header = http.Header{"Sec-Websocket-Protocol": {p}}
	}
	hj := &hijacker{ResponseWriter: w, messageTimeout: h.opts.MessageTimeout}
	c, err := h.upgrader.Upgrade(hj, r, header)
	if err != nil {
		<-h.sem
		log.Info("echo: handshake failed", "remote", r.RemoteAddr, "err", err)
		return
	}
	if !h.track(c) {
		<-h.sem
		c.WriteControl(websocket.CloseMessage, goingAway, time.Now().Add(controlTimeout))
		c.Close()
		return
	}
	c.SetReadLimit(h.opts.MaxMessage)
	onPong, stopPing := h.startPinger(c, r.RemoteAddr)
	hj.conn.watchControlFrames(c, onPong)
	log.Debug("echo: open", "remote", r.RemoteAddr, "subprotocol", c.Subprotocol())
	go h.serve(c, hj.conn, r.RemoteAddr, stopPing)
}

// serve echoes on c until it ends, then releases its slot.
func (h *Handler) serve(c *websocket.Conn, mc *messageConn, remote string, stopPing func()) {
	var err error
	for err == nil {
		err = h.echoMessage(c, mc)
	}
	stopPing()
	h.closeFor(c, err)
	h.untrack(c)
	<-h.sem
	h.opts.Logger.Debug("echo: closed", "remote", remote, "err", err)
}

// echoMessage reads the next message whole into a pooled buffer (bounded by
// MaxMessage, and by MessageTimeout once it has begun) and writes it back
// as one message of the same type. Pings, pongs and the client's close are
// handled by the library while it reads.
func (h *Handler) echoMessage(c *websocket.Conn, mc *messageConn) error {
	// Wait for the next byte here, a few calls deep, rather than inside the
	// library's frame reader: a silent connection's goroutine then fits the
	// runtime's smallest stack (2 KiB, not 4; BenchmarkIdleConnectionMemory).
	if _, err := mc.frames.Peek(1); err != nil {
		return err
	}
	typ, rd, err := c.NextReader()
	if err != nil {
		return err
	}
	buf := messagePool.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledMessage {
			buf.Reset()
			messagePool.Put(buf)
		}
	}()
	mc.inMessage = true
	_, err = buf.ReadFrom(rd)
	mc.inMessage = false
	if err != nil {
		return err
	}
	if err := mc.settle(); err != nil {
		return err
	}
	if typ == websocket.TextMessage && !utf8.Valid(buf.Bytes()) {
		return errInvalidUTF8
	}
	return c.WriteMessage(typ, buf.Bytes())
}

// closeFor tells the client why the server ends the connection, when that
// is a rule of ours the library does not report itself: a close frame with
// a code and a reason, written with a short deadline as the client may no
// longer read. Protocol errors (1002), the client's own close, and a
// message over the limit (1009) are answered by the library; writing a
// second close frame is a no-op there (websocket.ErrCloseSent).
func (h *Handler) closeFor(c *websocket.Conn, err error) {
	code, reason := 0, ""
	var netErr net.Error // gorilla hides the deadline error behind one of its own
	switch {
	case errors.Is(err, errInvalidUTF8):
		code, reason = websocket.CloseInvalidFramePayloadData, "invalid UTF-8 in a text message"
	case errors.As(err, &netErr) && netErr.Timeout():
		code, reason = websocket.ClosePolicyViolation, "message not received within the message timeout"
	case errors.Is(err, websocket.ErrReadLimit):
		// Also a length too large to be one (2^63 and up), where gorilla
		// stops without a close frame.
		code, reason = websocket.CloseMessageTooBig, "message too big"
	default:
		return
	}
	c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(replyTimeout))
}

// track registers c for Shutdown; false when already shutting down.
func (h *Handler) track(c *websocket.Conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.shutting {
		return false
	}
	h.conns[c] = struct{}{}
	h.wg.Add(1)
	return true
}

func (h *Handler) untrack(c *websocket.Conn) {
	h.mu.Lock()
	delete(h.conns, c)
	h.mu.Unlock()
	c.Close()
	h.wg.Done()
}

// Shutdown refuses new connections, sends close 1001 to every client and
// waits for them to finish; when ctx ends first, the rest are dropped and
// Shutdown still waits (briefly) for their handlers to return.
func (h *Handler) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.shutting = true
	conns := make([]*websocket.Conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()

	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(controlTimeout)
	}
	for _, c := range conns {
		go func() {
			if c.WriteControl(websocket.CloseMessage, goingAway, deadline) != nil {
				c.Close()
			}
		}()
	}
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	for _, c := range conns {
		c.Close()
	}
	<-done
	return errors.New("echo: shutdown deadline passed; remaining connections were dropped")
}
