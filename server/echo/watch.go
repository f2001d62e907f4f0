package echo

import (
	"context"
	"math"
	"time"

	"github.com/coder/websocket"
)

// The watchdog: one goroutine per Handler, running while it has connections,
// enforces MessageTimeout and sends the pings. Per connection this costs two
// atomic stores per message instead of a timer each for the message deadline
// and the ping (timers that would also take the runtime's timer locks on
// every message).

// moveIdleAfter is how long a connection waits for a message before it
// moves to a fresh goroutine with a small stack (see awaitMessage).
const moveIdleAfter = 2 * time.Second

// now is the watchdog's clock: monotonic nanoseconds since New, never 0
// (0 marks "no message in progress").
func (h *Handler) now() int64 { return int64(time.Since(h.epoch)) + 1 }

// tick is how often the watchdog looks: a quarter of the shortest interval it
// enforces, at most a second, so a deadline is enforced at most a quarter
// late (and a connection idle for moveAfter moves soon after).
func (h *Handler) tick() time.Duration {
	d := min(h.opts.MessageTimeout, h.moveAfter)
	if h.opts.PingInterval > 0 {
		d = min(d, h.opts.PingInterval)
	}
	return min(max(d/4, time.Millisecond), time.Second)
}

// watch checks every connection each tick until stop is closed.
func (h *Handler) watch(stop <-chan struct{}) {
	t := time.NewTicker(h.tick())
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		now := h.now()
		h.mu.Lock()
		moveAfter := int64(h.moveAfter)
		if h.shutting { // leave the close handshakes' reads alone
			moveAfter = math.MaxInt64
		}
		for c := range h.conns {
			h.check(c, now)
			if c.wait != nil {
				c.moveIfIdle(now, moveAfter)
			}
		}
		h.mu.Unlock()
	}
}

// check drops c when its current message has taken longer than
// MessageTimeout, and starts a ping when PingInterval has passed since the
// last answered one.
func (h *Handler) check(c *conn, now int64) {
	if start := c.msgStart.Load(); start != 0 && now-start > int64(h.opts.MessageTimeout) {
		h.opts.Logger.Debug("echo: message stalled, dropping", "remote", c.remote, "message_timeout", h.opts.MessageTimeout)
		go c.ws.CloseNow()
		return
	}
	if h.opts.PingInterval < 0 || now-c.lastPing.Load() < int64(h.opts.PingInterval) {
		return
	}
	if c.pinging.CompareAndSwap(false, true) {
		go h.ping(c)
	}
}

// ping sends one ping and drops c unless the pong comes within PingTimeout
// (which also frees a write stuck on a client that stopped reading).
func (h *Handler) ping(c *conn) {
	ctx, cancel := context.WithTimeout(context.Background(), h.opts.PingTimeout)
	err := c.ws.Ping(ctx)
	cancel()
	if err != nil {
		h.opts.Logger.Debug("echo: ping failed, dropping", "remote", c.remote, "err", err)
		c.ws.CloseNow()
		return
	}
	c.lastPing.Store(h.now())
	c.pinging.Store(false)
}

// goingAway sends close 1001 and waits for the close handshake. It holds
// brMu so that awaitMessage does not look into the read buffer while the
// handshake reads it.
func (c *conn) goingAway() {
	c.brMu.Lock()
	defer c.brMu.Unlock()
	c.ws.Close(websocket.StatusGoingAway, "server shutting down")
}
