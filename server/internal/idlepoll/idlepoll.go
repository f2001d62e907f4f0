// Package idlepoll holds sockets that wait for their next bytes without a
// goroutine each. One goroutine waits on all of them and, when one becomes
// readable (or is released with Unpark), runs the function it was parked
// with, exactly once.
//
// A goroutine costs at least a 2 KiB stack and its descriptor, which is
// most of what a silent WebSocket connection otherwise costs a Go server;
// Node pays nothing like it. The runtime's own network poller cannot call
// back without a parked goroutine, so this package keeps a second poller
// (epoll on Linux) for sockets that are idle. Elsewhere New returns
// ErrUnsupported and callers keep a goroutine per socket.
package idlepoll

import (
	"errors"
	"sync"
)

// ErrUnsupported: this platform has no idle poller; keep a goroutine.
var ErrUnsupported = errors.New("idlepoll: not supported on this platform")

// Poller is a set of parked sockets. Its zero value is not usable; use
// Default or New.
type Poller struct {
	impl   *poller // the platform's
	mu     sync.Mutex
	parked map[int]func() // fd → what to run when it wakes
}

var shared struct {
	once sync.Once
	p    *Poller
	err  error
}

// Default is the process's shared Poller, started on first use; its
// goroutine lives as long as the process, as the runtime's poller does.
func Default() (*Poller, error) {
	shared.once.Do(func() { shared.p, shared.err = New() })
	return shared.p, shared.err
}

// New starts a Poller with a goroutine of its own, which lives as long as
// the process.
func New() (*Poller, error) {
	p := &Poller{parked: make(map[int]func())}
	impl, err := start(p.wake)
	if err != nil {
		return nil, err
	}
	p.impl = impl
	return p, nil
}

// Park hands fd to the poller: wake runs once, on the poller's goroutine or
// in Unpark, as soon as fd is readable (at once if it already is), has hung
// up or failed. wake must be quick; it should only start the work (a new
// goroutine). On error nothing was parked and wake will not run.
//
// fd must stay open until wake has run: release it with Unpark before
// closing it.
func (p *Poller) Park(fd int, wake func()) error {
	p.mu.Lock()
	if _, dup := p.parked[fd]; dup {
		p.mu.Unlock()
		return errors.New("idlepoll: descriptor already parked")
	}
	p.parked[fd] = wake
	p.mu.Unlock()
	if err := p.impl.add(fd); err != nil {
		p.mu.Lock()
		_, still := p.parked[fd]
		delete(p.parked, fd)
		p.mu.Unlock()
		if !still {
			return nil // an Unpark got in first and has run wake
		}
		return err
	}
	return nil
}

// Unpark runs fd's wake function now, if fd is parked, and reports whether
// it was. Call it before closing a descriptor that may be parked.
func (p *Poller) Unpark(fd int) bool {
	wake := p.take(fd)
	if wake == nil {
		return false
	}
	wake()
	return true
}

// Parked reports whether fd is parked.
func (p *Poller) Parked(fd int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.parked[fd]
	return ok
}

// Len is the number of parked descriptors.
func (p *Poller) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.parked)
}

// wake is called by the poller's goroutine for a descriptor that is ready.
// An event read just before an Unpark and a close may name a number that a
// newer parked descriptor has taken since; that one is then woken early,
// which costs its owner a goroutine start and nothing else.
func (p *Poller) wake(fd int) {
	if wake := p.take(fd); wake != nil {
		wake()
	}
}

// take removes fd, and its registration, and returns its wake function;
// nil if it was not parked. Holding mu while the registration goes means
// fd cannot be closed (and its number reused) in between: closing first
// takes mu in Unpark.
func (p *Poller) take(fd int) func() {
	p.mu.Lock()
	defer p.mu.Unlock()
	wake, ok := p.parked[fd]
	if !ok {
		return nil
	}
	delete(p.parked, fd)
	p.impl.remove(fd)
	return wake
}
