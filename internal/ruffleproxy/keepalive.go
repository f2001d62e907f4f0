package ruffleproxy

import (
	"net"
	"sync"
	"time"

	"github.com/gorilla/websocket"
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
	k := &keepalive{ws: ws, tcp: tcp, interval: interval, timeout: timeout}
	ws.SetPongHandler(func(string) error { k.pong(); return nil })
	k.mu.Lock()
	k.timer = time.AfterFunc(interval, k.tick)
	k.mu.Unlock()
	return k.stop
}

type keepalive struct {
	ws                *websocket.Conn
	tcp               net.Conn
	interval, timeout time.Duration

	mu       sync.Mutex
	timer    *time.Timer
	awaiting bool // a ping is out and no pong came back yet
	stopped  bool
}

// tick sends a ping, or drops the relay when the last one went unanswered.
func (k *keepalive) tick() {
	k.mu.Lock()
	if k.stopped {
		k.mu.Unlock()
		return
	}
	if k.awaiting {
		k.mu.Unlock()
		k.drop()
		return
	}
	k.awaiting = true
	k.timer.Reset(k.timeout)
	k.mu.Unlock()
	if err := k.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(k.timeout)); err != nil {
		k.drop()
	}
}

func (k *keepalive) pong() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.awaiting && !k.stopped {
		k.awaiting = false
		k.timer.Reset(k.interval)
	}
}

// drop closes both sides; the relay's readers fail and it ends.
func (k *keepalive) drop() {
	k.ws.Close()
	k.tcp.Close()
}

func (k *keepalive) stop() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.stopped = true
	k.timer.Stop()
}
