package app

import (
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/web-socket-js/web-socket-js/server/internal/sniff"
)

// idleTimeout is how long a kept-alive HTTP connection may wait for its next
// request.
const idleTimeout = 2 * time.Minute

// maxHeaderBytes caps a request's headers.
const maxHeaderBytes = 16 << 10

// frontDoor is the main port's listener: it routes policy requests (by their
// first byte) to divert, and holds every other connection to one deadline
// from accept through its request headers, with at most -max-handshakes of
// them waiting at once.
func frontDoor(inner net.Listener, cfg Config, divert func(net.Conn), log *slog.Logger) *sniff.Listener {
	return sniff.Listen(inner, sniff.Options{
		Timeout:         cfg.HandshakeTimeout,
		MaxPending:      cfg.MaxHandshakes,
		MaxPendingPerIP: cfg.MaxHandshakesIP,
		UntilHeaders:    true,
		Divert:          divert,
		Logger:          log,
	})
}

// httpServer serves h on connections from frontDoor, with a deadline on
// everything that is not an upgraded WebSocket: reading a request (headers,
// and the body, which is refused anyway), writing its answer
// (-http-write-timeout), and waiting for the next one; and at most
// -max-http-conns of them at once. Once a handler
// hijacks a connection for a WebSocket, net/http clears these deadlines and
// the WebSocket handler owns them.
func httpServer(cfg Config, h http.Handler, log *slog.Logger) *http.Server {
	conns := newHTTPConns(cfg.MaxHTTPConns)
	return &http.Server{
		Handler:           handshakeDone(noBodies(conns.limit(h))),
		ReadHeaderTimeout: cfg.HandshakeTimeout,
		ReadTimeout:       cfg.HandshakeTimeout,
		WriteTimeout:      cfg.HTTPWriteTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ConnContext:       conns.connContext,
		ConnState:         conns.connState,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
}

// handshakeDone tells the front door that a request's headers are in: the
// connection stops counting against -max-handshakes, and the deadlines net/http
// set for the request apply as set.
func handshakeDone(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sniff.PastHandshakeOf(r.Context())
		h.ServeHTTP(w, r)
	})
}

// noBodies refuses requests that carry a body: nothing here takes one, and
// a body is one more thing a client could trickle. The connection is closed
// after the answer; its read deadline is moved to now so that net/http does
// not wait for the body it would otherwise read to reuse the connection.
func noBodies(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength != 0 || len(r.TransferEncoding) > 0 {
			w.Header().Set("Connection", "close")
			http.Error(w, "request bodies are not accepted", http.StatusRequestEntityTooLarge)
			http.NewResponseController(w).SetReadDeadline(time.Now())
			return
		}
		h.ServeHTTP(w, r)
	})
}
