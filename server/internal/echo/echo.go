// Package echo is the WebSocket echo endpoint: every text or binary message
// a client sends comes back to it unchanged, with the limits an operator
// expects on an open port.
//
// The WebSocket protocol is github.com/gobwas/ws's, used through its public
// API only (session.go): its HTTP upgrader, its frame reader (which checks
// every header, reassembles fragments, bounds the message size and checks
// UTF-8) and its control-frame handler (pongs, the close handshake and its
// status-code rules). One goroutine per connection reads a message whole
// and writes it back. This package adds the origin allowlist, subprotocol
// choice, connection limit, idle pings (ping.go), the per-message deadline
// (conn.go), the close codes for the rules it enforces (1007, 1008, 1009)
// and a graceful shutdown that sends 1001 to every client.
package echo

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
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
	// its first byte has arrived (longer → close 1008), and writing its
	// echo to a client that has stopped reading (dropped after between
	// half and all of it).
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

// goingAway is the close frame every client gets at shutdown.
var goingAway = ws.MustCompileFrame(ws.NewCloseFrame(ws.NewCloseFrameBody(ws.StatusGoingAway, "server shutting down")))

const (
	// controlTimeout bounds writing a ping or the shutdown close, which
	// waits for a data write in progress to finish, and the handshake's
	// answer.
	controlTimeout = 5 * time.Second
	// replyTimeout bounds a pong or a close reply, and the close frame sent
	// just before dropping a client that broke a rule (it may well have
	// stopped reading).
	replyTimeout = time.Second
)

// maxPooledMessage keeps one huge message from pinning its buffer forever.
// A message borrows a pooled buffer while it is read and echoed, and a
// frame reader (conn.go) while its bytes are coming in: an idle connection
// holds neither.
const maxPooledMessage = 256 << 10

var messagePool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Handler serves the echo endpoint. Create it with New.
type Handler struct {
	opts Options
	sem  chan struct{} // one token per open connection (MaxConns)
	wg   sync.WaitGroup

	mu       sync.Mutex
	sessions map[*session]struct{}
	shutting bool
}

// New returns a Handler with opts (zero fields → defaults).
func New(opts Options) *Handler {
	opts = opts.withDefaults()
	return &Handler{
		opts:     opts,
		sem:      make(chan struct{}, opts.MaxConns),
		sessions: make(map[*session]struct{}),
	}
}

// IsUpgrade reports whether r asks for a WebSocket (Connection: upgrade and
// Upgrade: websocket, as tokens in any case).
func IsUpgrade(r *http.Request) bool { return websocket.IsWebSocketUpgrade(r) }

// Active is the number of open WebSocket connections.
func (h *Handler) Active() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.sessions)
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
	if !validKey(r.Header.Get("Sec-WebSocket-Key")) {
		// RFC 6455 §4.2.1; the library checks only the length. Closed, as
		// the library closes the connections it refuses.
		w.Header().Set("Connection", "close")
		http.Error(w, "Sec-WebSocket-Key must be 16 bytes in base64", http.StatusBadRequest)
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

	s, hijacked, err := h.upgrade(w, r)
	if err != nil {
		// The slot goes back before the connection closes: a client that
		// sees its refusal end can have the slot at once.
		<-h.sem
		if hijacked != nil {
			hijacked.Close()
		}
		log.Info("echo: handshake failed", "remote", r.RemoteAddr, "err", err)
		return
	}
	if !h.track(s) {
		<-h.sem
		s.sendClose(goingAway, controlTimeout)
		s.conn.Close()
		return
	}
	stopPing := h.startPinger(s, r.RemoteAddr)
	log.Debug("echo: open", "remote", r.RemoteAddr, "subprotocol", s.subprotocol)
	go h.serve(s, r.RemoteAddr, stopPing)
}

// validKey reports whether key is base64 for 16 bytes, as a client's
// Sec-WebSocket-Key must be.
func validKey(key string) bool {
	b, err := base64.StdEncoding.DecodeString(key)
	return err == nil && len(b) == 16
}

// upgrade answers the handshake and returns the connection's session. When
// the request is not a valid WebSocket handshake the library has written
// the HTTP error itself; the hijacked connection, if any, is returned for
// the caller to close.
func (h *Handler) upgrade(w http.ResponseWriter, r *http.Request) (*session, *messageConn, error) {
	// The client's order decides among the subprotocols both sides speak.
	chosen := SelectSubprotocol(r.Header.Values("Sec-WebSocket-Protocol"), h.opts.Subprotocols)
	u := ws.HTTPUpgrader{
		Timeout:  controlTimeout,
		Protocol: func(p string) bool { return p == chosen },
	}
	hj := &hijacker{ResponseWriter: w, messageTimeout: h.opts.MessageTimeout}
	_, _, hs, err := u.Upgrade(r, hj)
	if err != nil {
		return nil, hj.conn, err
	}
	return newSession(hj.conn, hs.Protocol, h.opts), hj.conn, nil
}

// serve echoes on s until it ends, then releases its slot and connection.
func (h *Handler) serve(s *session, remote string, stopPing func()) {
	var err error
	for err == nil {
		err = h.echoMessage(s)
	}
	stopPing()
	s.conn.releaseFrames()
	h.closeFor(s, err)
	h.untrack(s)
	h.opts.Logger.Debug("echo: closed", "remote", remote, "err", err)
}

// echoMessage reads the next message whole into a pooled buffer (bounded by
// MaxMessage, and by MessageTimeout once it has begun) and writes it back
// as one message of the same type. Pings, pongs and the client's close are
// answered while it reads.
func (h *Handler) echoMessage(s *session) error {
	// Wait for the next byte here, a few calls deep, rather than inside the
	// library's frame reader: a silent connection's goroutine then fits the
	// runtime's smallest stack (BenchmarkIdleConnectionMemory).
	if err := s.conn.awaitFrame(); err != nil {
		return err
	}
	buf := messagePool.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledMessage {
			buf.Reset()
			messagePool.Put(buf)
		}
	}()
	op, err := s.readMessage(buf)
	if err != nil || op == 0 { // op 0: a control frame, answered
		return err
	}
	return s.writeMessage(op, buf.Bytes())
}

// closeFor tells the client why the server ends the connection, when that
// is a rule of ours or one the frame reader enforces: a close frame with a
// code and a reason, written with a short deadline as the client may no
// longer read. The client's own close, and a close frame that breaks the
// protocol (1002), were answered while reading; a session writes one close
// frame at most.
func (h *Handler) closeFor(s *session, err error) {
	code, reason := ws.StatusCode(0), ""
	var netErr net.Error
	var protoErr ws.ProtocolError
	switch {
	case errors.Is(err, wsutil.ErrInvalidUTF8):
		code, reason = ws.StatusInvalidFramePayloadData, "invalid UTF-8 in a text message"
	case errors.As(err, &netErr) && netErr.Timeout():
		code, reason = ws.StatusPolicyViolation, "message not received within the message timeout"
	case errors.Is(err, wsutil.ErrMessageTooLarge), errors.Is(err, ws.ErrHeaderLengthMSB):
		// The second is a length too large to be one (2^63 and up).
		code, reason = ws.StatusMessageTooBig, "message too big"
	case errors.As(err, &protoErr):
		code, reason = ws.StatusProtocolError, protoErr.Error()
	default:
		return
	}
	s.sendClose(ws.MustCompileFrame(ws.NewCloseFrame(ws.NewCloseFrameBody(code, reason))), replyTimeout)
}

// track registers s for Shutdown; false when already shutting down.
func (h *Handler) track(s *session) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.shutting {
		return false
	}
	h.sessions[s] = struct{}{}
	h.wg.Add(1)
	return true
}

// untrack forgets s and gives its slot back, then closes its connection:
// a client that sees its connection end can have the slot at once.
func (h *Handler) untrack(s *session) {
	h.mu.Lock()
	delete(h.sessions, s)
	h.mu.Unlock()
	<-h.sem
	s.conn.Close()
	h.wg.Done()
}

// Shutdown refuses new connections, sends close 1001 to every client and
// waits for them to finish; when ctx ends first, the rest are dropped and
// Shutdown still waits (briefly) for their handlers to return.
func (h *Handler) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.shutting = true
	sessions := make([]*session, 0, len(h.sessions))
	for s := range h.sessions {
		sessions = append(sessions, s)
	}
	h.mu.Unlock()

	timeout := controlTimeout
	if deadline, ok := ctx.Deadline(); ok {
		timeout = time.Until(deadline)
	}
	for _, s := range sessions {
		go func() {
			if s.sendClose(goingAway, timeout) != nil {
				s.conn.Close()
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
	for _, s := range sessions {
		s.conn.Close()
	}
	<-done
	return errors.New("echo: shutdown deadline passed; remaining connections were dropped")
}
