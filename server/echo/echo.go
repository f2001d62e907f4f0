// Package echo is the WebSocket echo endpoint: every text or binary message
// a client sends comes back to it unchanged, with the limits an operator
// expects on an open port.
//
// The WebSocket protocol itself is github.com/coder/websocket's; this package
// adds the origin allowlist, subprotocol choice, connection limit, idle pings,
// message deadlines and a graceful shutdown that sends 1001 to every client.
package echo

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
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
	opts  Options
	sem   chan struct{}
	wg    sync.WaitGroup
	epoch time.Time // origin of the watchdog's clock

	moveAfter time.Duration // idle time before a connection moves to a fresh goroutine
	moves     atomic.Int64  // connections moved so far (for tests)

	mu        sync.Mutex
	conns     map[*conn]struct{}
	shutting  bool
	watchStop chan struct{} // non-nil while the watchdog runs (while conns is not empty)
}

// New returns a Handler with opts (zero fields → defaults).
func New(opts Options) *Handler {
	opts = opts.withDefaults()
	return &Handler{
		opts:  opts,
		sem:   make(chan struct{}, opts.MaxConns),
		epoch: time.Now(),

		moveAfter: moveIdleAfter,
		conns:     make(map[*conn]struct{}),
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
	lw := &leanWriter{ResponseWriter: w}
	ws, err := websocket.Accept(lw, r, &websocket.AcceptOptions{Subprotocols: protos, InsecureSkipVerify: true})
	if err != nil {
		<-h.sem
		log.Info("echo: handshake failed", "remote", r.RemoteAddr, "err", err)
		return
	}
	c := &conn{ws: ws, remote: r.RemoteAddr, br: lw.br, netConn: lw.conn}
	// The library put a reader of its own in front of the connection (the
	// early bytes, then the connection); nothing has read from br yet, so
	// br is pointed at the connection directly (one indirection less per
	// read), or at an earlyReader the readiness wait can look into.
	if lw.early == nil {
		lw.br.Reset(lw.conn)
	} else {
		c.early = &earlyReader{early: lw.early, conn: lw.conn}
		lw.br.Reset(c.early)
	}
	c.wait = newReadWaiter(lw.conn)
	c.lastPing.Store(h.now())
	if !h.track(c) {
		<-h.sem
		ws.Close(websocket.StatusGoingAway, "server shutting down")
		return
	}
	go h.serveConn(c)
}

// conn is one WebSocket and what the echo loop shares with the watchdog
// and Shutdown.
type conn struct {
	ws      *websocket.Conn
	remote  string
	wait    *readWaiter // nil when the connection cannot be polled (TLS)
	netConn net.Conn    // the hijacked connection, for the watchdog's read deadline

	// waitMu guards the readiness wait's state, shared with the watchdog.
	waitMu    sync.Mutex
	waiting   bool  // in awaitMessage's wait
	waitSince int64 // Handler.now() when the wait began
	moving    bool  // the watchdog set a read deadline to end the wait
	deep      bool  // the waiting goroutine has been through the library's read path

	// brMu guards looking into br (the library's read buffer) outside the
	// library's own reads, against Shutdown's close handshake reading it.
	brMu  sync.Mutex
	br    *bufio.Reader
	early *earlyReader // br's source while bytes sent behind the handshake last; else nil

	msgStart atomic.Int64 // Handler.now() when the message being read began; 0 between messages
	lastPing atomic.Int64 // Handler.now() of the connection's start or last answered ping
	pinging  atomic.Bool  // a ping is in flight
}

// serveConn echoes on c until it ends, then releases its slot.
func (h *Handler) serveConn(c *conn) {
	h.opened(c)
	h.run(c)
}

// run echoes on c; when c moves to a fresh goroutine (see awaitMessage), it
// starts that goroutine and returns.
func (h *Handler) run(c *conn) {
	err := h.echo(c)
	if err == errMoved {
		h.moves.Add(1)
		go h.run(c)
		return
	}
	h.closed(c, err)
}

// opened and closed check the log level first: slog's logging call has a
// frame of almost 1 KiB, enough to double a fresh goroutine's stack for good.
func (h *Handler) opened(c *conn) {
	c.ws.SetReadLimit(h.opts.MaxMessage)
	if h.opts.Logger.Enabled(context.Background(), slog.LevelDebug) {
		h.opts.Logger.Debug("echo: open", "remote", c.remote, "subprotocol", c.ws.Subprotocol())
	}
}

func (h *Handler) closed(c *conn, err error) {
	h.untrack(c)
	<-h.sem
	if h.opts.Logger.Enabled(context.Background(), slog.LevelDebug) {
		h.opts.Logger.Debug("echo: closed", "remote", c.remote, "status", websocket.CloseStatus(err), "err", err)
	}
}

// track registers c for Shutdown and the watchdog; false when already
// shutting down.
func (h *Handler) track(c *conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.shutting {
		return false
	}
	h.conns[c] = struct{}{}
	h.wg.Add(1)
	if h.watchStop == nil {
		h.watchStop = make(chan struct{})
		go h.watch(h.watchStop)
	}
	return true
}

func (h *Handler) untrack(c *conn) {
	h.mu.Lock()
	delete(h.conns, c)
	if len(h.conns) == 0 && h.watchStop != nil {
		close(h.watchStop)
		h.watchStop = nil
	}
	h.mu.Unlock()
	c.ws.CloseNow()
	h.wg.Done()
}

// bufPool holds message buffers between messages, so an idle connection
// holds none.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooled keeps one huge message from pinning its buffer forever.
const maxPooled = 256 << 10

// echo reads each message whole (bounded by MaxMessage) and writes it back
// as one message of the same type.
//
// A background context keeps the library's reads and writes free of
// per-call timers; a message that stalls is dropped by the watchdog, which
// sees msgStart, and a client that stops reading by the pings.
func (h *Handler) echo(c *conn) error {
	ctx := context.Background()
	deep := false // this goroutine has been through the library's read path
	for {
		if err := c.awaitMessage(h, deep); err != nil {
			return err
		}
		typ, rd, err := c.ws.Reader(ctx)
		if err != nil {
			return err
		}
		deep = true
		c.msgStart.Store(h.now())
		buf := bufPool.Get().(*bytes.Buffer)
		buf.Reset()
		_, err = buf.ReadFrom(rd)
		c.msgStart.Store(0)
		if err == nil {
			err = c.ws.Write(ctx, typ, buf.Bytes())
		}
		if buf.Cap() <= maxPooled {
			bufPool.Put(buf)
		}
		if err != nil {
			return err
		}
	}
}

// awaitMessage waits, on a shallow stack, until the client sends something,
// unless a frame is already buffered. Blocked inside the library's read, a
// goroutine's stack is about 2 KiB deep and needs 4 KiB; blocked here, a
// goroutine that has not been deeper fits the 2 KiB goroutines start with.
// The runtime never shrinks a stack back once it has grown (it would have to
// be less than a quarter used), so the watchdog moves a connection idle for a
// while to a fresh goroutine: it ends the wait with a read deadline, and
// awaitMessage returns errMoved. Other errors are left for the library's
// read to report.
func (c *conn) awaitMessage(h *Handler, deep bool) error {
	if c.wait == nil || c.wait.busy() {
		return nil
	}
	c.brMu.Lock()
	buffered := c.br.Buffered() > 0 || c.early.pending()
	c.brMu.Unlock()
	if buffered {
		return nil
	}
	c.waitMu.Lock()
	c.waiting, c.waitSince, c.deep = true, h.now(), deep
	c.waitMu.Unlock()
	err := c.wait.wait()
	c.waitMu.Lock()
	moving := c.moving
	c.waiting, c.moving = false, false
	c.waitMu.Unlock()
	if !moving {
		return nil
	}
	if err := c.netConn.SetReadDeadline(time.Time{}); err != nil {
		return err
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return errMoved
	}
	return nil // a message came first: carry on here
}

// errMoved ends an echo goroutine that hands its connection to a new one.
var errMoved = errors.New("echo: connection moved to a fresh goroutine")

// moveIfIdle ends c's readiness wait, for awaitMessage to move c to a fresh
// goroutine, when the goroutine has read a message and has now been waiting
// longer than after.
func (c *conn) moveIfIdle(now, after int64) {
	c.waitMu.Lock()
	defer c.waitMu.Unlock()
	if c.waiting && !c.moving && c.deep && now-c.waitSince > after {
		c.moving = true
		c.netConn.SetReadDeadline(time.Unix(1, 0))
	}
}

// Shutdown refuses new connections, sends close 1001 to every client and
// waits for them to finish; when ctx ends first, the rest are dropped and
// Shutdown still waits (briefly) for their handlers to return.
func (h *Handler) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.shutting = true
	conns := make([]*conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()

	for _, c := range conns {
		go c.goingAway()
	}
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	for _, c := range conns {
		c.ws.CloseNow()
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
