//go:build linux

package idlepoll

import (
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// pair returns both ends of a connected stream socket pair, closed when t ends.
func pair(t *testing.T) (parked, peer int) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fds[0]); syscall.Close(fds[1]) })
	return fds[0], fds[1]
}

// counter counts wake calls and signals the first.
type counter struct {
	n    atomic.Int32
	done chan struct{}
}

func newCounter() *counter { return &counter{done: make(chan struct{}, 100)} }
func (c *counter) wake()   { c.n.Add(1); c.done <- struct{}{} }

func (c *counter) waitWoken(t *testing.T) {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		t.Fatal("not woken within 5 s")
	}
}

// parkPair parks one end of a new socket pair with a fresh counter.
func parkPair(t *testing.T, p *Poller) (fd, peer int, c *counter) {
	t.Helper()
	fd, peer = pair(t)
	c = newCounter()
	if err := p.Park(fd, c.wake); err != nil {
		t.Fatal(err)
	}
	return fd, peer, c
}

func newPoller(t *testing.T) *Poller {
	t.Helper()
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestWakesOnceWhenReadable(t *testing.T) {
	p := newPoller(t)
	fd, peer, c := parkPair(t, p)
	time.Sleep(20 * time.Millisecond)
	if c.n.Load() != 0 || p.Len() != 1 || !p.Parked(fd) {
		t.Fatalf("woken %d times before any byte; %d parked", c.n.Load(), p.Len())
	}
	syscall.Write(peer, []byte("x"))
	c.waitWoken(t)
	syscall.Write(peer, []byte("y")) // no longer parked: no second wake
	time.Sleep(20 * time.Millisecond)
	if c.n.Load() != 1 || p.Len() != 0 || p.Parked(fd) {
		t.Fatalf("woken %d times, %d still parked; want 1 and 0", c.n.Load(), p.Len())
	}
	if p.Unpark(fd) {
		t.Fatal("Unpark found a descriptor that had already woken")
	}
}

func TestBytesThatCameFirstWakeAtOnce(t *testing.T) {
	p := newPoller(t)
	fd, peer := pair(t)
	syscall.Write(peer, []byte("early"))
	c := newCounter()
	if err := p.Park(fd, c.wake); err != nil {
		t.Fatal(err)
	}
	c.waitWoken(t)
}

func TestHangUpWakes(t *testing.T) {
	p := newPoller(t)
	_, peer, c := parkPair(t, p)
	syscall.Close(peer)
	c.waitWoken(t)
}

func TestUnparkWakesOnce(t *testing.T) {
	p := newPoller(t)
	fd, peer, c := parkPair(t, p)
	if !p.Unpark(fd) {
		t.Fatal("Unpark did not find the parked descriptor")
	}
	syscall.Write(peer, []byte("x"))
	time.Sleep(20 * time.Millisecond)
	if c.n.Load() != 1 || p.Len() != 0 {
		t.Fatalf("woken %d times, %d parked; want 1 and 0", c.n.Load(), p.Len())
	}
}

func TestParkRefusesBadDescriptors(t *testing.T) {
	p := newPoller(t)
	fd, _ := pair(t)
	c := newCounter()
	if err := p.Park(-1, c.wake); err == nil {
		t.Fatal("parked descriptor -1")
	}
	if err := p.Park(fd, c.wake); err != nil {
		t.Fatal(err)
	}
	if err := p.Park(fd, c.wake); err == nil {
		t.Fatal("parked the same descriptor twice")
	}
	p.Unpark(fd)
	if c.n.Load() != 1 || p.Len() != 0 {
		t.Fatalf("woken %d times, %d parked; want 1 and 0", c.n.Load(), p.Len())
	}
}

// Readiness and Unpark racing for the same descriptor: exactly one wake.
func TestWakeAndUnparkRaceWakeOnce(t *testing.T) {
	p := newPoller(t)
	for range 200 {
		fd, peer := pair(t)
		c := newCounter()
		if err := p.Park(fd, c.wake); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); syscall.Write(peer, []byte("x")) }()
		go func() { defer wg.Done(); p.Unpark(fd) }()
		wg.Wait()
		c.waitWoken(t)
		time.Sleep(time.Millisecond)
		if n := c.n.Load(); n != 1 {
			t.Fatalf("woken %d times", n)
		}
	}
	if p.Len() != 0 {
		t.Fatalf("%d still parked", p.Len())
	}
}
