package keepalive

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; !cond(); i++ {
		if i == 500 {
			t.Fatalf("after 5 s: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A peer that answers every ping is pinged again and again, never dropped.
func TestAnsweredPingsContinue(t *testing.T) {
	var pings atomic.Int32
	var dropped atomic.Bool
	var p *Pinger
	ready := make(chan struct{})
	p = Start(10*time.Millisecond, 50*time.Millisecond, func(time.Duration) error {
		<-ready
		pings.Add(1)
		go p.Pong() // as a reader goroutine would
		return nil
	}, func(error) { dropped.Store(true) })
	close(ready)
	defer p.Stop()
	waitFor(t, "5 pings", func() bool { return pings.Load() >= 5 })
	if dropped.Load() {
		t.Fatal("dropped although every ping was answered")
	}
}

// No pong within the timeout: dropped with ErrNoPong, after one ping.
func TestUnansweredPingDrops(t *testing.T) {
	var pings atomic.Int32
	dropped := make(chan error, 1)
	p := Start(10*time.Millisecond, 30*time.Millisecond, func(time.Duration) error {
		pings.Add(1)
		return nil
	}, func(err error) { dropped <- err })
	defer p.Stop()
	select {
	case err := <-dropped:
		if !errors.Is(err, ErrNoPong) || pings.Load() != 1 {
			t.Fatalf("dropped with %v after %d pings, want ErrNoPong after 1", err, pings.Load())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("not dropped")
	}
}

// A ping that cannot be written drops the connection with its error, and
// the write is given the timeout.
func TestFailedPingDrops(t *testing.T) {
	writeErr := errors.New("write failed")
	dropped := make(chan error, 1)
	var given atomic.Int64
	p := Start(10*time.Millisecond, time.Hour, func(timeout time.Duration) error {
		given.Store(int64(timeout))
		return writeErr
	}, func(err error) { dropped <- err })
	defer p.Stop()
	select {
	case err := <-dropped:
		if err != writeErr || time.Duration(given.Load()) != time.Hour {
			t.Fatalf("dropped with %v, ping given %v", err, time.Duration(given.Load()))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("not dropped")
	}
}

// After Stop no ping goes out and nothing is dropped.
func TestStopEndsThePings(t *testing.T) {
	var calls atomic.Int32
	p := Start(20*time.Millisecond, 20*time.Millisecond, func(time.Duration) error {
		calls.Add(1)
		return nil
	}, func(error) { calls.Add(1) })
	p.Stop()
	time.Sleep(100 * time.Millisecond)
	if n := calls.Load(); n != 0 {
		t.Fatalf("%d pings or drops after Stop", n)
	}
}
