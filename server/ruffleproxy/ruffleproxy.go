// Package ruffleproxy is the WebSocket→TCP bridge that Ruffle's socketProxy
// setting needs: Ruffle carries a Flash socket's raw TCP bytes as binary
// WebSocket messages, and this handler puts them on a real TCP connection.
//
// It is not an open relay: the target must be listed, exactly, in Allow, and a
// target that is not listed is refused with HTTP 403 before anything is dialed.
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

	"github.com/coder/websocket"
)

// dialTimeout bounds the TCP connect to an allowed target.
const dialTimeout = 5 * time.Second

// bufSize is the largest chunk read from TCP before it is sent as one binary
// message; big payloads stream through as several messages.
const bufSize = 32 << 10

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

	// Any page origin may use the bridge: the target allowlist, not the
	// origin, is what keeps it from being an open relay.
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		log.Warn("ruffle bridge: upgrade failed", "err", err)
		return
	}
	defer ws.CloseNow()
	// Messages are streamed, never buffered whole, so size needs no limit.
	ws.SetReadLimit(-1)

	log.Debug("ruffle bridge: open")
	relay(r.Context(), ws, tcp, log)
	log.Debug("ruffle bridge: closed")
}

// relay copies both ways until one side ends, then closes the other and
// waits for the second copier so no goroutine outlives the call.
func relay(ctx context.Context, ws *websocket.Conn, tcp net.Conn, log *slog.Logger) {
	// When the server shuts down (ctx ends), say so with 1001 rather than
	// letting a cancelled read drop the connection.
	shutdown := ctx
	stop := context.AfterFunc(shutdown, func() {
		ws.Close(websocket.StatusGoingAway, "server shutting down")
		tcp.Close()
	})
	defer stop()
	ctx = context.WithoutCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		err := tcpToWS(ctx, tcp, ws)
		switch {
		case shutdown.Err() != nil:
			// The target may close first when it is this same server.
			ws.Close(websocket.StatusGoingAway, "server shutting down")
		case err == nil:
			// The target finished: a normal close for the Flash side.
			ws.Close(websocket.StatusNormalClosure, "")
		default:
			log.Debug("ruffle bridge: tcp read ended", "err", err)
			ws.Close(websocket.StatusGoingAway, "target connection failed")
		}
	}()

	err := wsToTCP(ctx, ws, tcp) // returns only when the WebSocket side ends
	log.Debug("ruffle bridge: websocket read ended", "err", err, "status", websocket.CloseStatus(err))
	// Unblocks tcpToWS if it is still reading.
	tcp.Close()
	wg.Wait()
}

// wsToTCP writes each binary message's bytes to tcp until the WebSocket ends.
func wsToTCP(ctx context.Context, ws *websocket.Conn, tcp net.Conn) error {
	for {
		typ, rd, err := ws.Reader(ctx)
		if err != nil {
			return err
		}
		if typ != websocket.MessageBinary {
			ws.Close(websocket.StatusUnsupportedData, "binary messages only")
			return errors.New("text message on the bridge")
		}
		if _, err := io.Copy(tcp, rd); err != nil {
			return err
		}
	}
}

// tcpToWS sends whatever tcp delivers as binary messages. It returns nil when
// the target closed the connection normally (EOF).
func tcpToWS(ctx context.Context, tcp net.Conn, ws *websocket.Conn) error {
	buf := make([]byte, bufSize)
	for {
		n, err := tcp.Read(buf)
		if n > 0 {
			if werr := ws.Write(ctx, websocket.MessageBinary, buf[:n]); werr != nil {
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
