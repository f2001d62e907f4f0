// Package ruffleproxy is the WebSocket→TCP bridge that Ruffle's socketProxy
// setting needs: Ruffle carries a Flash socket's raw TCP bytes as binary
// WebSocket messages, and this handler puts them on a real TCP connection.
//
// It is not an open relay: the target must be listed, exactly, in Allow, and a
// target that is not listed is refused with HTTP 403 before anything is dialed.
// Pages may use it only as CheckOrigin allows; relays are limited in number,
// pinged, and their writes have deadlines.
//
// The WebSocket side is github.com/gorilla/websocket, which allows one reader
// and one writer at a time; control frames (the close frames here) may be
// written from any goroutine. The relay keeps to that: one goroutine reads the
// WebSocket, one writes data messages to it.
package ruffleproxy

import (
	"cmp"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// dialTimeout bounds the TCP connect to an allowed target.
const dialTimeout = 5 * time.Second

// bufSize is the largest chunk read from TCP before it is sent as one binary
// message; big payloads stream through as several messages.
const bufSize = 32 << 10

// Defaults for the zero Handler fields.
const (
	DefaultMaxConns     = 100
	DefaultPingInterval = 30 * time.Second
	DefaultPingTimeout  = 15 * time.Second
	DefaultWriteTimeout = 30 * time.Second
	DefaultCloseTimeout = 5 * time.Second
)

// Handler relays one WebSocket to the TCP target named by the query parameter
// "target" (host:port), only when that target is in Allow (exact "host:port"
// match); otherwise HTTP 403, logged.
//
// Everything is checked before anything is dialed: that the request is a
// WebSocket handshake (else 400), the page's Origin (else 403), that the
// request does not come from a connection this handler dialed itself (a
// bridge nested in itself would multiply one client connection into many
// server sockets; 403), the target (403) and the connection limit (503).
type Handler struct {
	Allow  []string     // e.g. []string{"127.0.0.1:10081"}
	Logger *slog.Logger // nil → slog.Default()
	// CheckOrigin decides whether the page that opened the WebSocket may
	// use the bridge. nil → the library's default (the Origin's host equals
	// the request's Host), which is for tests: a server passes its Origin
	// allowlist.
	CheckOrigin func(*http.Request) bool
	// MaxConns is the most relays at once; 0 → DefaultMaxConns.
	MaxConns int
	// PingInterval is the time between pings to the WebSocket client; one
	// unanswered within PingTimeout drops the relay. 0 → the defaults;
	// a negative PingInterval turns pings off.
	PingInterval, PingTimeout time.Duration
	// WriteTimeout bounds each write to either side, so a peer that stops
	// reading cannot hold a relay; 0 → DefaultWriteTimeout.
	WriteTimeout time.Duration
	// CloseTimeout bounds each half of the closing handshake: writing our
	// close frame (which waits for a data write in progress) and then
	// waiting for the client's answering close; 0 → DefaultCloseTimeout.
	CloseTimeout time.Duration

	once   sync.Once
	sem    chan struct{}
	dialed sync.Map // local address of each open target connection → struct{}
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

func (h *Handler) init() {
	h.once.Do(func() {
		n := h.MaxConns
		if n <= 0 {
			n = DefaultMaxConns
		}
		h.sem = make(chan struct{}, n)
	})
}

// Active is the number of relays open now.
func (h *Handler) Active() int {
	h.init()
	return len(h.sem)
}

// ServeHTTP checks the request, dials the target, upgrades and relays until
// either side closes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.init()
	log := h.logger().With("remote", r.RemoteAddr)
	target, code, why := h.admit(r)
	if code != 0 {
		log.Warn("ruffle bridge: refused", "why", why, "target", target, "origin", r.Header.Get("Origin"))
		http.Error(w, "ruffle bridge: "+why, code)
		return
	}
	select {
	case h.sem <- struct{}{}:
		defer func() { <-h.sem }()
	default:
		log.Warn("ruffle bridge: connection limit reached, refusing", "max_conns", cap(h.sem))
		w.Header().Set("Retry-After", "5")
		http.Error(w, "ruffle bridge: too many connections", http.StatusServiceUnavailable)
		return
	}
	log = log.With("target", target)

	// Dial before upgrading so an unreachable target is an HTTP error, not an
	// accepted WebSocket that closes at once.
	d := net.Dialer{Timeout: dialTimeout}
	tcp, err := d.DialContext(r.Context(), "tcp", target)
	if err != nil {
		log.Warn("ruffle bridge: dial failed", "err", err)
		http.Error(w, "bridge target unreachable", http.StatusBadGateway)
		return
	}
	// Remember the connection before any byte goes through it, so a request
	// arriving over it at this same handler is recognized as nested.
	local := tcp.LocalAddr().String()
	h.dialed.Store(local, struct{}{})
	defer h.dialed.Delete(local)
	defer tcp.Close()

	// On failure the upgrader has already answered with an HTTP error.
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		log.Warn("ruffle bridge: upgrade failed", "err", err)
		return
	}
	defer ws.Close()

	log.Debug("ruffle bridge: open")
	stopPings := h.startPings(ws, tcp)
	defer stopPings()
	timeouts := timeouts{write: h.writeTimeout(), close: cmp.Or(h.CloseTimeout, DefaultCloseTimeout)}
	relay(r.Context(), ws, deadlineConn{tcp, timeouts.write}, timeouts, log)
	log.Debug("ruffle bridge: closed")
}

// admit returns the target, or an HTTP status and the reason to refuse r.
func (h *Handler) admit(r *http.Request) (target string, code int, why string) {
	target = r.URL.Query().Get("target")
	switch {
	case !isHandshake(r):
		return target, http.StatusBadRequest, "not a WebSocket handshake"
	case !h.originAllowed(r):
		return target, http.StatusForbidden, "origin not allowed"
	case h.isDialed(r.RemoteAddr):
		return target, http.StatusForbidden, "a bridged connection may not open another bridge"
	case target == "" || !slices.Contains(h.Allow, target):
		return target, http.StatusForbidden, "bridge target not allowed"
	}
	return target, 0, ""
}

// isHandshake checks what the library's Upgrade checks of the request line
// and headers, so that nothing is dialed for a request it would refuse.
func isHandshake(r *http.Request) bool {
	return r.Method == http.MethodGet && websocket.IsWebSocketUpgrade(r) &&
		r.Header.Get("Sec-Websocket-Version") == "13" && r.Header.Get("Sec-Websocket-Key") != ""
}

func (h *Handler) originAllowed(r *http.Request) bool {
	if h.CheckOrigin != nil {
		return h.CheckOrigin(r)
	}
	return sameHost(r)
}

// sameHost is the library's default Origin rule: no Origin, or one whose
// host equals the request's Host.
func sameHost(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

// isDialed reports whether remote is the local end of a target connection
// this handler opened: a request through the bridge to the bridge.
func (h *Handler) isDialed(remote string) bool {
	_, ok := h.dialed.Load(remote)
	return ok
}

func (h *Handler) writeTimeout() time.Duration {
	if h.WriteTimeout > 0 {
		return h.WriteTimeout
	}
	return DefaultWriteTimeout
}

// upgrader runs after ServeHTTP has checked the Origin. Its zero read limit
// means no limit, which is right here because messages are streamed, never
// buffered whole.
var upgrader = websocket.Upgrader{
	CheckOrigin: func(*http.Request) bool { return true },
}

// timeouts are a relay's write and closing-handshake deadlines.
type timeouts struct{ write, close time.Duration }

// deadlineConn gives every write to the target its own deadline.
type deadlineConn struct {
	net.Conn
	timeout time.Duration
}

func (c deadlineConn) Write(p []byte) (int, error) {
	if err := c.Conn.SetWriteDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

// relay copies both ways until one side ends, then closes the other and
// waits for the second copier so no goroutine outlives the call.
func relay(ctx context.Context, ws *websocket.Conn, tcp net.Conn, to timeouts, log *slog.Logger) {
	// When the server shuts down (ctx ends), say so with 1001 rather than
	// just dropping the connection.
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(fired)
		sendClose(ws, to.close, websocket.CloseGoingAway, "server shutting down")
		tcp.Close()
	})
	defer func() {
		if !stop() {
			<-fired // it started: let it finish before ServeHTTP closes ws
		}
	}()

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		err := tcpToWS(tcp, ws, to.write)
		switch {
		case ctx.Err() != nil:
			// The target may close first when it is this same server.
			sendClose(ws, to.close, websocket.CloseGoingAway, "server shutting down")
		case err == nil:
			// The target finished: a normal close for the Flash side.
			sendClose(ws, to.close, websocket.CloseNormalClosure, "")
		default:
			log.Debug("ruffle bridge: tcp read ended", "err", err)
			sendClose(ws, to.close, websocket.CloseGoingAway, "target connection failed")
		}
	}()

	err := wsToTCP(ws, tcp, to.close) // returns only when the WebSocket side ends
	log.Debug("ruffle bridge: websocket read ended", "err", err, "status", closeCode(err))
	// The closing handshake is over (or abandoned), so nothing more may go
	// out: closing both ends unblocks tcpToWS whether it waits on a TCP read
	// or on a WebSocket write to a client that stopped reading.
	tcp.Close()
	ws.Close()
	wg.Wait()
}

// sendClose starts the closing handshake with code and reason, unless a close
// frame already went out (the first one wins), and gives the peer
// closeTimeout to answer before the WebSocket read fails.
func sendClose(ws *websocket.Conn, closeTimeout time.Duration, code int, reason string) {
	deadline := time.Now().Add(closeTimeout)
	err := ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), deadline)
	switch {
	case err == nil:
		// Through the net.Conn, whose deadlines may be set from any
		// goroutine; the reader may be blocked in a read right now.
		ws.NetConn().SetReadDeadline(deadline)
	case errors.Is(err, websocket.ErrCloseSent):
		// The handshake is already under way.
	default:
		// The peer cannot be told: drop the connection, which also ends
		// the reader.
		ws.Close()
	}
}

// errTextMessage ends a relay whose client sent a text message.
var errTextMessage = errors.New("text message on the bridge")

// wsToTCP writes each binary message's bytes to tcp. It returns only when
// reading the WebSocket fails: after a close frame from either side, that is
// once the peer's close arrived or closeTimeout passed.
//
// When the relay ends on this side (a text message, or a failed write to the
// target), the TCP connection is closed at once, and later messages are read
// and discarded only to see the client's answering close.
func wsToTCP(ws *websocket.Conn, tcp net.Conn, closeTimeout time.Duration) error {
	var ended error
	for {
		typ, rd, err := ws.NextReader()
		if err != nil {
			if ended != nil {
				return ended
			}
			return err
		}
		switch {
		case ended != nil:
			io.Copy(io.Discard, rd) // a read error shows up at NextReader
		case typ != websocket.BinaryMessage:
			// Close frame first, so the 1001 that tcpToWS sends once its
			// TCP read fails is not the one the client sees.
			sendClose(ws, closeTimeout, websocket.CloseUnsupportedData, "binary messages only")
			tcp.Close()
			ended = errTextMessage
		default:
			if _, err := io.Copy(tcp, rd); err != nil {
				// tcpToWS then fails its TCP read and sends the close.
				tcp.Close()
				ended = err
			}
		}
	}
}

// tcpToWS sends whatever tcp delivers as binary messages. It returns nil when
// the target closed the connection normally (EOF). It is the only goroutine
// that writes data messages to ws.
func tcpToWS(tcp net.Conn, ws *websocket.Conn, writeTimeout time.Duration) error {
	buf := make([]byte, bufSize)
	for {
		n, err := tcp.Read(buf)
		if n > 0 {
			ws.SetWriteDeadline(time.Now().Add(writeTimeout))
			if werr := ws.WriteMessage(websocket.BinaryMessage, buf[:n]); werr != nil {
				return werr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// closeCode is the close status carried by err, or -1 when it carries none.
func closeCode(err error) int {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return -1
}
