package ruffleproxy

import (
	"net"
	"time"

	"github.com/gorilla/websocket"

	"github.com/web-socket-js/web-socket-js/internal/keepalive"
)

// startPings pings ws every PingInterval and drops the relay (closing both
// connections, which ends it) when a ping goes unanswered for PingTimeout:
// a client that vanished, or stopped reading so that even a ping cannot be
// written, does not hold a relay. The returned func stops it.
func (h *Handler) startPings(ws *websocket.Conn, tcp net.Conn) (stop func()) {
	interval, timeout := h.PingInterval, h.PingTimeout
	if interval < 0 {
		return func() {}
	}
	if interval == 0 {
		interval = DefaultPingInterval
	}
	if timeout <= 0 {
		timeout = DefaultPingTimeout
	}
	p := keepalive.Start(interval, timeout,
		func(timeout time.Duration) error {
			return ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(timeout))
		},
		func(error) {
			ws.Close()
			tcp.Close()
		})
	ws.SetPongHandler(func(string) error { p.Pong(); return nil })
	return p.Stop
}
