// Package keepalive pings a connection every interval and drops it when a
// ping goes unanswered for a timeout: a peer that vanished, or stopped
// reading so that even a ping cannot be written, does not hold the
// connection. Between pings it is a timer, not a goroutine.
package keepalive

import (
	"errors"
	"sync"
	"time"
)

// ErrNoPong is what drop is given when a ping went unanswered.
var ErrNoPong = errors.New("keepalive: no pong within the timeout")

// Pinger is one connection's keep-alive. Create it with Start.
type Pinger struct {
	interval, timeout time.Duration
	ping              func(timeout time.Duration) error
	drop              func(error)

	mu       sync.Mutex
	timer    *time.Timer
	awaiting bool // a ping went out and its pong has not come back
	stopped  bool
}

// Start sends the first ping after interval. ping writes one ping within
// the timeout it is given; drop ends the connection, with ErrNoPong or the
// error ping returned. The connection's reader calls Pong for every pong.
func Start(interval, timeout time.Duration, ping func(timeout time.Duration) error, drop func(error)) *Pinger {
	p := &Pinger{interval: interval, timeout: timeout, ping: ping, drop: drop}
	p.mu.Lock() // a short interval may fire before the assignment is done
	p.timer = time.AfterFunc(interval, p.tick)
	p.mu.Unlock()
	return p
}

// tick sends a ping, or drops the connection when the last one went
// unanswered.
func (p *Pinger) tick() {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return
	}
	unanswered := p.awaiting
	p.awaiting = true
	if !unanswered {
		p.timer.Reset(p.timeout)
	}
	p.mu.Unlock()
	if unanswered {
		p.drop(ErrNoPong)
		return
	}
	// Not under mu: the write may wait up to timeout behind another write,
	// and Pong must not wait with it.
	if err := p.ping(p.timeout); err != nil {
		p.drop(err)
	}
}

// Pong records an answer: the next ping goes out interval from now.
func (p *Pinger) Pong() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.awaiting && !p.stopped {
		p.awaiting = false
		p.timer.Reset(p.interval)
	}
}

// Stop ends the pings; drop is not called after it returns, unless a tick
// was already running.
func (p *Pinger) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopped = true
	p.timer.Stop()
}
