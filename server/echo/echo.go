// Package echo is the WebSocket echo endpoint: every text or binary message
// a client sends comes back to it unchanged, with the limits an operator
// expects on an open port.
//
// The WebSocket protocol itself is github.com/coder/websocket's; this package
// adds the origin allowlist, subprotocol choice, connection limit, idle pings,
// message deadlines and a graceful shutdown that sends 1001 to every client.
package echo

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
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
	// OriginPatterns are origins allowed besides the server's own (see OriginAllowed).
	OriginPatterns []string
	// Subprotocols the server speaks; the first one the client offers wins.
	Subprotocols []string
	// MaxMessage is the largest message accepted, in bytes; larger → close 1009.
	MaxMessage int64
	// MaxConns is the most WebSocket connections at once; more → HTTP 503.
	MaxConns int
	// PingInterval is the idle time between pings; a ping unanswered within
	// PingTimeout drops the connection. Negative PingInterval turns pings off.
	PingInterval, PingTimeout time.Duration
	// MessageTimeout bounds receiving one message once its first frame arrived.
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

// Handler serves the echo endpoint. Create it with New.
type Handler struct {
	opts Options
	sem  chan struct{}
	wg   sync.WaitGroup

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
	}
}

// IsUpgrade reports whether r asks for a WebSocket.
func IsUpgrade(r *http.Request) bool {
	return headerHasToken(r.Header, "Connection", "upgrade") && headerHasToken(r.Header, "Upgrade", "websocket")
}

// Active is the number of open WebSocket connections.
func (h *Handler) Active() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

// ServeHTTP upgrades r and starts echoing on a goroutine of its own.
//
// Returning right after the upgrade lets net/http drop its per-request
// state (request, headers, the deep handler stack): an idle connection then
// costs only the WebSocket and one small goroutine.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log := h.opts.Logger
	if origin := r.Header.Get("Origin"); !OriginAllowed(origin, r.Host, h.opts.OriginPatterns) {
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

	var protos []string
	if p := SelectSubprotocol(r.Header.Values("Sec-WebSocket-Protocol"), h.opts.Subprotocols); p != "" {
		protos = []string{p}
	}
	// The origin was checked above, with logging; coder's own check is off.
	c, err := websocket.Accept(leanWriter{w}, r, &websocket.AcceptOptions{Subprotocols: protos, InsecureSkipVerify: true})
	if err != nil {
		<-h.sem
		log.Info("echo: handshake failed", "remote", r.RemoteAddr, "err", err)
		return
	}
	if !h.track(c) {
		<-h.sem
		c.Close(websocket.StatusGoingAway, "server shutting down")
		return
	}
	go h.serveConn(c, r.RemoteAddr)
}

// serveConn echoes on c until it ends, then releases its slot.
func (h *Handler) serveConn(c *websocket.Conn, remote string) {
	defer func() { <-h.sem }()
	defer h.untrack(c)
	c.SetReadLimit(h.opts.MaxMessage)
	log := h.opts.Logger
	log.Debug("echo: open", "remote", remote, "subprotocol", c.Subprotocol())
	stopPing := h.startPinger(c, remote)
	defer stopPing()
	err := h.echo(c)
	log.Debug("echo: closed", "remote", remote, "status", websocket.CloseStatus(err), "err", err)
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
	c.CloseNow()
	h.wg.Done()
}

// bufPool holds message buffers between messages, so an idle connection
// holds none.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooled keeps one huge message from pinning its buffer forever.
const maxPooled = 256 << 10

// echo reads each message whole (bounded by MaxMessage) and writes it back
// as one message of the same type.
func (h *Handler) echo(c *websocket.Conn) error {
	// A background context keeps coder's reads free of per-call timers;
	// stalls are caught by the message timer and the pinger instead.
	ctx := context.Background()
	stall := time.AfterFunc(time.Hour, func() { c.CloseNow() })
	stall.Stop()
	defer stall.Stop()
	for {
		typ, rd, err := c.Reader(ctx)
		if err != nil {
			return err
		}
		stall.Reset(h.opts.MessageTimeout)
		buf := bufPool.Get().(*bytes.Buffer)
		buf.Reset()
		_, err = buf.ReadFrom(rd)
		stall.Stop()
		if err == nil {
			err = c.Write(ctx, typ, buf.Bytes())
		}
		if buf.Cap() <= maxPooled {
			bufPool.Put(buf)
		}
		if err != nil {
			return err
		}
	}
}

// startPinger pings c after each PingInterval and drops it when a pong does
// not come within PingTimeout (which also frees a write stuck on a client
// that stopped reading). It uses a timer, not a goroutine, while idle.
func (h *Handler) startPinger(c *websocket.Conn, remote string) (stop func()) {
	if h.opts.PingInterval < 0 {
		return func() {}
	}
	var mu sync.Mutex
	stopped := false
	var t *time.Timer
	t = time.AfterFunc(h.opts.PingInterval, func() {
		ctx, cancel := context.WithTimeout(context.Background(), h.opts.PingTimeout)
		err := c.Ping(ctx)
		cancel()
		if err != nil {
			h.opts.Logger.Debug("echo: ping failed, dropping", "remote", remote, "err", err)
			c.CloseNow()
			return
		}
		mu.Lock()
		if !stopped {
			t.Reset(h.opts.PingInterval)
		}
		mu.Unlock()
	})
	return func() {
		mu.Lock()
		stopped = true
		t.Stop()
		mu.Unlock()
	}
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

	for _, c := range conns {
		go c.Close(websocket.StatusGoingAway, "server shutting down")
	}
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	for _, c := range conns {
		c.CloseNow()
	}
	<-done
	return errors.New("echo: shutdown deadline passed; remaining connections were dropped")
}

func headerHasToken(h http.Header, key, token string) bool {
	for _, v := range h.Values(key) {
		for _, t := range bytes.Split([]byte(v), []byte(",")) {
			if string(bytes.ToLower(bytes.TrimSpace(t))) == token {
				return true
			}
		}
	}
	return false
}
