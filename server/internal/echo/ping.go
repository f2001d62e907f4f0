package echo

import (
	"log/slog"
	"sync"
	"time"

	"github.com/gobwas/ws"
)

// pingFrame is the ping every connection gets between messages.
var pingFrame = ws.MustCompileFrame(ws.NewPingFrame(nil))

// startPinger pings s every PingInterval and drops it when the pong does not
// come within PingTimeout (which also frees a write stuck on a client that
// stopped reading). It is a timer, not a goroutine, between pings; s's pongs
// reach it through s.onPong. stop ends the pings.
func (h *Handler) startPinger(s *session, remote string) (stop func()) {
	if h.opts.PingInterval < 0 {
		return func() {}
	}
	p := &pinger{s: s, interval: h.opts.PingInterval, timeout: h.opts.PingTimeout, log: h.opts.Logger, remote: remote}
	s.onPong = p.pong
	p.mu.Lock() // a short interval may fire before the assignment is done
	p.t = time.AfterFunc(p.interval, p.tick)
	p.mu.Unlock()
	return p.stop
}

// pinger is one connection's keep-alive: each tick either sends a ping or,
// when the last ping is still unanswered, drops the connection.
type pinger struct {
	s                 *session
	interval, timeout time.Duration
	log               *slog.Logger
	remote            string

	mu       sync.Mutex
	t        *time.Timer
	awaiting bool // a ping went out and its pong has not come back
	stopped  bool
}

func (p *pinger) tick() {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return
	}
	unanswered := p.awaiting
	p.awaiting = true
	p.mu.Unlock()
	if unanswered {
		p.log.Debug("echo: pong not received in time, dropping", "remote", p.remote)
		p.s.conn.Close()
		return
	}
	// Not under mu: the write may wait up to timeout behind a data write,
	// and the reader's pong handler must not wait with it.
	if err := p.s.sendControl(pingFrame, p.timeout); err != nil {
		p.log.Debug("echo: ping failed, dropping", "remote", p.remote, "err", err)
		p.s.conn.Close()
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.stopped && p.awaiting { // the pong may already be back
		p.t.Reset(p.timeout)
	}
}

// pong runs on the connection's reading goroutine.
func (p *pinger) pong() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.awaiting && !p.stopped {
		p.awaiting = false
		p.t.Reset(p.interval)
	}
}

func (p *pinger) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopped = true
	p.t.Stop()
}
