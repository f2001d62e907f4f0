package echo

import (
	"time"

	"github.com/gobwas/ws"

	"github.com/web-socket-js/web-socket-js/internal/keepalive"
)

// pingFrame is the ping every connection gets between messages.
var pingFrame = ws.MustCompileFrame(ws.NewPingFrame(nil))

// startPinger pings s every PingInterval and drops it when the pong does not
// come within PingTimeout (which also frees a write stuck on a client that
// stopped reading); s's pongs reach the pinger through s.onPong. stop ends
// the pings.
func (h *Handler) startPinger(s *session, remote string) (stop func()) {
	if h.opts.PingInterval < 0 {
		return func() {}
	}
	p := keepalive.Start(h.opts.PingInterval, h.opts.PingTimeout,
		func(timeout time.Duration) error { return s.sendControl(pingFrame, timeout) },
		func(err error) {
			h.opts.Logger.Debug("echo: no pong, dropping", "remote", remote, "err", err)
			s.conn.Close()
		})
	s.onPong = p.Pong
	return p.Stop
}
