// Package echo is the WebSocket echo endpoint: every text or binary message
// a client sends comes back to it unchanged, with the limits an operator
// expects on an open port.
//
// The WebSocket protocol itself is github.com/gorilla/websocket's; this
// package adds the origin allowlist, subprotocol choice, connection limit,
// idle pings, message deadlines, a graceful shutdown that sends 1001 to
// every client, and buffers that an idle connection does not hold.
package echo

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

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

// goingAway is the close frame payload every client gets at shutdown.
var goingAway = websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down")

// controlTimeout bounds writing one control frame (ping, close), which waits
// for a data write in progress to finish.
const controlTimeout = 5 * time.Second

// Handler serves the echo endpoint. Create it with New.
type Handler struct {
	opts     Options
	upgrader websocket.Upgrader
	sem      chan struct{}
	wg       sync.WaitGroup

	mu       sync.Mutex
	conns    map[*websocket.Conn]struct{}
	shutting bool

	serving atomic.Int64 // connections with a goroutine (the rest wait in the idle poller)
}

// New returns a Handler with opts (zero fields → defaults).
func New(opts Options) *Handler {
	opts = opts.withDefaults()
	h := &Handler{
		opts:  opts,
		sem:   make(chan struct{}, opts.MaxConns),
		conns: make(map[*websocket.Conn]struct{}),
	}
	h.upgrader = websocket.Upgrader{
		// ReadBufferSize stays 0 so the library reads through the small
		// reader pooledHijacker hands it; the pooledConn below that does the
		// real buffering, and only while bytes are waiting.
		WriteBufferSize: writeBufSize,
		WriteBufferPool: writeBufPool,
		// The origin is checked in ServeHTTP, with logging.
		CheckOrigin: func(*http.Request) bool { return true },
	}
	return h
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

// ServeHTTP upgrades r and starts echoing on a goroutine of its own.
//
// Returning right after the upgrade lets net/http drop its per-request
// state (request, headers, the deep handler stack): an idle connection then
// costs only the WebSocket and one small goroutine.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log := h.opts.Logger
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
	c, err := h.upgrader.Upgrade(pooledHijacker{w}, r, header)
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
	log.Debug("echo: open", "remote", r.RemoteAddr, "subprotocol", c.Subprotocol())
	h.rest(c, r.RemoteAddr, h.startPinger(c, r.RemoteAddr))
}

// rest lets c wait for its next bytes without a goroutine when it can: the
// idle poller starts one when bytes arrive (or when c is closed). A silent
// connection then costs no stack at all. Otherwise c waits on a fresh
// goroutine, whose stack is the runtime's smallest.
func (h *Handler) rest(c *websocket.Conn, remote string, stopPing func()) {
	pc := c.NetConn().(*pooledConn)
	wake := func() {
		pc.fromIdle = true
		go h.serveConn(c, remote, stopPing)
	}
	if !pc.park(wake) {
		go h.serveConn(c, remote, stopPing)
	}
}

// serveConn echoes on c until it ends, then releases its slot. It runs on
// a fresh goroutine; everything it does before the first message arrives
// is kept shallow, so a connection that waits on its goroutine (where there
// is no idle poller, or until the next ping tick) keeps the runtime's
// smallest stack (see pooledConn.awaitData).
func (h *Handler) serveConn(c *websocket.Conn, remote string, stopPing func()) {
	h.serving.Add(1)
	err := h.echo(c)
	h.serving.Add(-1)
	if err == errMoved || err == errOnlyPongs {
		// Waiting with a stack grown by earlier messages, or woken by pongs
		// alone: wait without this goroutine.
		movedConns.Add(1)
		h.rest(c, remote, stopPing)
		return
	}
	stopPing()
	h.closed(c, remote, err)
}

// closed releases a finished connection's slot and logs it. It is kept out
// of serveConn so that the logging call's frame is not on the stack the
// idle goroutine parks with: that stack only just fits the runtime's
// smallest (2 KiB); BenchmarkIdleConnectionMemory shows when it no longer
// does.
func (h *Handler) closed(c *websocket.Conn, remote string, err error) {
	h.untrack(c)
	<-h.sem
	h.opts.Logger.Debug("echo: closed", "remote", remote, "err", err)
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

// movedConns counts connections taken off their goroutine between messages, for tests.
var movedConns atomic.Int64

// bufPool holds message buffers between messages, so an idle connection
// holds none.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooled keeps one huge message from pinning its buffer forever.
const maxPooled = 256 << 10

// echo reads each message whole (bounded by MaxMessage, and by
// MessageTimeout once it has begun) and writes it back as one message of
// the same type. Pings, pongs and the close handshake are answered by the
// library while it reads.
func (h *Handler) echo(c *websocket.Conn) error {
	// Always a *pooledConn: pooledHijacker made it.
	pc := c.NetConn().(*pooledConn)
	if pc.echoOne == nil { // made once, not on every move to a fresh goroutine
		pc.echoOne = func() error { return h.echoMessage(c, pc) }
	}
	for {
		// Messages that arrive whole are echoed inside awaitData.
		if err := pc.awaitData(); err != nil {
			return err
		}
		if err := h.echoMessage(c, pc); err != nil {
			return err
		}
	}
}

// echoMessage reads the next message and writes it back.
func (h *Handler) echoMessage(c *websocket.Conn, pc *pooledConn) error {
	typ, rd, err := c.NextReader()
	if err != nil {
		return err
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	pc.beginMessage(h.opts.MessageTimeout)
	_, err = buf.ReadFrom(rd)
	if err == nil {
		err = pc.endMessage()
	}
	if err == nil {
		err = c.WriteMessage(typ, buf.Bytes())
	}
	if buf.Cap() <= maxPooled {
		bufPool.Put(buf)
	}
	return err
}

// startPinger pings c every PingInterval and drops it when the pong does not
// come within PingTimeout (which also frees a write stuck on a client that
// stopped reading). It is a timer, not a goroutine, between pings.
func (h *Handler) startPinger(c *websocket.Conn, remote string) (stop func()) {
	if h.opts.PingInterval < 0 {
		return func() {}
	}
	p := &pinger{c: c, interval: h.opts.PingInterval, timeout: h.opts.PingTimeout, log: h.opts.Logger, remote: remote}
	c.SetPongHandler(func(string) error { p.pong(); return nil })
	if pc, ok := c.NetConn().(*pooledConn); ok {
		pc.onPong = p.pong // set before the reader starts
		p.pc = pc
	}
	p.mu.Lock() // a short interval may fire before the assignment is done
	p.t = time.AfterFunc(p.interval, p.tick)
	p.mu.Unlock()
	return p.stop
}

// pinger is one connection's keep-alive: each tick either sends a ping or,
// when the last ping is still unanswered, drops the connection.
type pinger struct {
	c                 *websocket.Conn
	pc                *pooledConn // nil if the library was given another connection
	interval, timeout time.Duration
	log               *slog.Logger
	remote            string

	mu       sync.Mutex
	t        *time.Timer
	awaiting bool // a ping went out and its pong has not come back
	stopped  bool
}

func (p *pinger) tick() {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return
	}
	unanswered := p.awaiting
	p.awaiting = true
	p.mu.Unlock()
	if unanswered {
		p.log.Debug("echo: pong not received in time, dropping", "remote", p.remote)
		p.c.Close()
		return
	}
	if p.pc != nil {
		p.pc.nudge() // a reader waiting between messages leaves its goroutine (see Handler.rest)
	}
	// Not under mu: the write may wait up to timeout behind a data write,
	// and the reader's pong handler must not wait with it.
	if err := p.c.WriteControl(websocket.PingMessage, nil, time.Now().Add(p.timeout)); err != nil {
		p.log.Debug("echo: ping failed, dropping", "remote", p.remote, "err", err)
		p.c.Close()
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.stopped && p.awaiting { // the pong may already be back
		p.t.Reset(p.timeout)
	}
}

// pong runs on the connection's reading goroutine.
func (p *pinger) pong() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.awaiting && !p.stopped {
		p.awaiting = false
		p.t.Reset(p.interval)
	}
}

func (p *pinger) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopped = true
	p.t.Stop()
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
		go func() {
			deadline, ok := ctx.Deadline()
			if !ok {
				deadline = time.Now().Add(controlTimeout)
			}
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
