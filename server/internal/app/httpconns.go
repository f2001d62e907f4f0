package app

import (
	"context"
	"net"
	"net/http"
	"sync"

	"github.com/gorilla/websocket"

	"github.com/web-socket-js/web-socket-js/server/internal/sniff"
)

// DefaultMaxHTTPConns bounds plain HTTP connections past their headers.
const DefaultMaxHTTPConns = 1024

// httpConns counts the connections past their first request's headers that
// are not WebSockets: ones being answered and kept-alive ones waiting for
// their next request. (Connections before their headers are the front
// door's to count; WebSockets the echo's and the bridge's.) At the cap a
// kept-alive idle connection is closed to make room; when none is idle the
// request gets 503.
type httpConns struct {
	max  int
	mu   sync.Mutex
	open map[net.Conn]bool // value: idle, waiting for its next request
}

func newHTTPConns(max int) *httpConns {
	if max <= 0 {
		max = DefaultMaxHTTPConns
	}
	return &httpConns{max: max, open: make(map[net.Conn]bool)}
}

type httpConnKey struct{}

// connContext carries the connection (as net/http's ConnState sees it) and
// the front door's own for the handlers.
func (h *httpConns) connContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(sniff.ConnContext(ctx, c), httpConnKey{}, c)
}

// connState follows each connection: idle, busy again, gone.
func (h *httpConns) connState(c net.Conn, st http.ConnState) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch st {
	case http.StateIdle, http.StateActive:
		if _, counted := h.open[c]; counted {
			h.open[c] = st == http.StateIdle
		}
	case http.StateHijacked, http.StateClosed:
		delete(h.open, c)
	}
}

// admit counts the request's connection, making room by closing an idle
// one if need be; false when every counted connection is busy.
func (h *httpConns) admit(r *http.Request) bool {
	c, ok := r.Context().Value(httpConnKey{}).(net.Conn)
	if !ok {
		return true
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, counted := h.open[c]; counted {
		h.open[c] = false
		return true
	}
	if len(h.open) >= h.max && !h.closeIdleLocked() {
		return false
	}
	h.open[c] = false
	return true
}

func (h *httpConns) closeIdleLocked() bool {
	for c, idle := range h.open {
		if idle {
			delete(h.open, c)
			c.Close()
			return true
		}
	}
	return false
}

// limit refuses plain HTTP requests beyond the cap with 503; WebSocket
// handshakes pass, as their endpoints count them.
func (h *httpConns) limit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !websocket.IsWebSocketUpgrade(r) && !h.admit(r) {
			w.Header().Set("Connection", "close")
			w.Header().Set("Retry-After", "5")
			http.Error(w, "too many HTTP connections", http.StatusServiceUnavailable)
			return
		}
		next.ServeHTTP(w, r)
	})
}
