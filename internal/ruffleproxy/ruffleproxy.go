// Package ruffleproxy is the WebSocket→TCP bridge that Ruffle's socketProxy
// setting needs: Ruffle carries a Flash socket's raw TCP bytes as binary
// WebSocket messages, and this handler puts them on a real TCP connection.
//
// It is not an open relay: the target must be listed, exactly, in Allow, and a
// target that is not listed is refused with HTTP 403 before anything is dialed.
//
// The WebSocket side is github.com/gorilla/websocket, which allows one reader
// and one writer at a time; control frames (the close frames here) may be
// written from any goroutine. The relay keeps to that: one goroutine reads the
// WebSocket, one writes data messages to it.
package ruffleproxy

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// dialTimeout bounds the TCP connect to an allowed target.
const dialTimeout = 5 * time.Second

// bufSize is the largest chunk read from TCP before it is sent as one binary
// message; big payloads stream through as several messages.
const bufSize = 32 << 10

// closeTimeout bounds each half of the closing handshake: writing our close
// frame (which waits for a data write in progress) and then waiting for the
// peer's answering close. A variable so tests can shorten it.
var closeTimeout = 5 * time.Second

// upgrader accepts any page origin: the target allowlist, not the origin, is
// what keeps the bridge from being an open relay. Its zero read limit means
// no limit, which is right here because messages are streamed, never
// buffered whole.
var upgrader = websocket.Upgrader{
	CheckOrigin: func(*http.Request) bool { return true },
}

// Handler relays one WebSocket to the TCP target named by the query parameter
// "target" (host:port), only when that target is in Allow (exact "host:port"
// match); otherwise HTTP 403, logged.
type Handler struct {
	Allow  []string     // e.g. []string{"127.0.0.1:10081"}
	Logger *slog.Logger // nil → slog.Default()
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

// ServeHTTP checks the target, dials it, upgrades the request and relays until
// either side closes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log := h.logger().With("remote", r.RemoteAddr)
	target := r.URL.Query().Get("target")
	if target == "" || !slices.Contains(h.Allow, target) {
		log.Warn("ruffle bridge: target refused", "target", target)
		http.Error(w, "bridge target not allowed", http.StatusForbidden)
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
	defer tcp.Close()

	// On failure the upgrader has already answered with an HTTP error.
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		log.Warn("ruffle bridge: upgrade failed", "err", err)
		return
	}
	defer ws.Close()

	log.Debug("ruffle bridge: open")
	relay(r.Context(), ws, tcp, log)
	log.Debug("ruffle bridge: closed")
}

// relay copies both ways until one side ends, then closes the other and
// waits for the second copier so no goroutine outlives the call.
func relay(ctx context.Context, ws *websocket.Conn, tcp net.Conn, log *slog.Logger) {
	// When the server shuts down (ctx ends), say so with 1001 rather than
	// just dropping the connection.
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(fired)
		sendClose(ws, websocket.CloseGoingAway, "server shutting down")
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
		err := tcpToWS(tcp, ws)
		switch {
		case ctx.Err() != nil:
			// The target may close first when it is this same server.
			sendClose(ws, websocket.CloseGoingAway, "server shutting down")
		case err == nil:
			// The target finished: a normal close for the Flash side.
			sendClose(ws, websocket.CloseNormalClosure, "")
		default:
			log.Debug("ruffle bridge: tcp read ended", "err", err)
			sendClose(ws, websocket.CloseGoingAway, "target connection failed")
		}
	}()

	err := wsToTCP(ws, tcp) // returns only when the WebSocket side ends
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
func sendClose(ws *websocket.Conn, code int, reason string) {
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
func wsToTCP(ws *websocket.Conn, tcp net.Conn) error {
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
			sendClose(ws, websocket.CloseUnsupportedData, "binary messages only")
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
func tcpToWS(tcp net.Conn, ws *websocket.Conn) error {
	buf := make([]byte, bufSize)
	for {
		n, err := tcp.Read(buf)
		if n > 0 {
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
