package loadbench

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// dialAll opens n WebSocket connections, at most 64 handshakes at a time
// (a burst of 1,000 SYNs overflows a default accept backlog and stalls on
// retransmits, which would measure the kernel, not the server).
func dialAll(ctx context.Context, url string, n int) ([]*websocket.Conn, error) {
	d := websocket.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 4096, WriteBufferSize: 4096}
	conns := make([]*websocket.Conn, n)
	errs := make([]error, n)
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	for i := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			c, _, err := d.DialContext(ctx, url, nil)
			conns[i], errs[i] = c, err
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		closeAll(conns)
		return nil, fmt.Errorf("opening %d connections to %s: %w", n, url, err)
	}
	return conns, nil
}

func closeAll(conns []*websocket.Conn) {
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
}

// EchoResult is one peer's figures for one row.
type EchoResult struct {
	MsgsPerSec float64
	P50, P99   time.Duration
	// CPUPerMsg is the server process's CPU time per echoed message (0 when
	// not measured): a steadier figure than msg/s on a busy machine.
	CPUPerMsg time.Duration
	// RoundRates is msg/s in each round, in round order.
	RoundRates []float64
	Errors     int
}

// echoTally accumulates one peer's rounds on one row.
type echoTally struct {
	lat     []time.Duration
	rounds  []float64 // msg/s per round
	elapsed time.Duration
	cpu     time.Duration // the server's, over the measured windows
	errs    []error
}

func (t *echoTally) result() (EchoResult, error) {
	res := EchoResult{Errors: len(t.errs)}
	if len(t.lat) == 0 || t.elapsed <= 0 {
		return res, fmt.Errorf("no echo completed (%d errors: %v)", len(t.errs), errors.Join(t.errs...))
	}
	if len(t.errs) > 0 {
		return res, fmt.Errorf("%d connections failed: %w", len(t.errs), errors.Join(t.errs...))
	}
	res.MsgsPerSec = float64(len(t.lat)) / t.elapsed.Seconds()
	res.CPUPerMsg = t.cpu / time.Duration(len(t.lat))
	res.RoundRates = t.rounds
	slices.Sort(t.lat)
	res.P50 = t.lat[len(t.lat)*50/100]
	res.P99 = t.lat[min(len(t.lat)*99/100, len(t.lat)-1)]
	return res, nil
}

// echoRound runs a closed loop on conns (each sends payload and waits for
// its echo, again and again) for warm+dur, and adds the round trips that
// completed within dur to t, with the server's CPU time over dur when cpu
// is not nil.
func echoRound(ctx context.Context, conns []*websocket.Conn, payload []byte, warm, dur time.Duration, cpu cpuClock, t *echoTally) {
	const (
		_ = iota // warming up
		measuring
		stopping
	)
	var phase atomic.Int32
	lat := make([][]time.Duration, len(conns))
	errs := make([]error, len(conns))
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, len(payload))
			for phase.Load() != stopping {
				t0 := time.Now()
				if err := roundTrip(c, payload, buf); err != nil {
					errs[i] = err
					return
				}
				// Count what completes inside the window: with every
				// connection busy since the warm-up, that is the rate.
				if phase.Load() == measuring {
					lat[i] = append(lat[i], time.Since(t0))
				}
			}
		}()
	}
	sleep(ctx, warm)
	phase.Store(measuring)
	start := time.Now()
	cpu0, cpuErr := cpu.read()
	sleep(ctx, dur)
	phase.Store(stopping)
	took := time.Since(start)
	t.elapsed += took
	if cpu1, err := cpu.read(); err == nil && cpuErr == nil {
		t.cpu += cpu1 - cpu0
	}
	// Unblock any worker stuck on a dead peer.
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
	}
	wg.Wait()
	for _, c := range conns {
		c.SetReadDeadline(time.Time{})
	}
	round := slices.Concat(lat...)
	t.rounds = append(t.rounds, float64(len(round))/took.Seconds())
	t.lat = append(t.lat, round...)
	for _, e := range errs {
		if e != nil {
			t.errs = append(t.errs, e)
		}
	}
}

// measureEcho is one peer alone on one row, in one round.
func measureEcho(ctx context.Context, url string, n, size int, warm, dur time.Duration) (EchoResult, error) {
	conns, err := dialAll(ctx, url, n)
	if err != nil {
		return EchoResult{}, err
	}
	defer closeAll(conns)
	payload := make([]byte, size)
	rand.Read(payload)
	var t echoTally
	echoRound(ctx, conns, payload, warm, dur, nil, &t)
	return t.result()
}

// cpuClock reads a server's CPU time; nil reads zero.
type cpuClock func() (time.Duration, error)

func (c cpuClock) read() (time.Duration, error) {
	if c == nil {
		return 0, nil
	}
	return c()
}

func roundTrip(c *websocket.Conn, payload, buf []byte) error {
	if err := c.WriteMessage(websocket.BinaryMessage, payload); err != nil {
		return err
	}
	_, r, err := c.NextReader()
	if err != nil {
		return err
	}
	if _, err := io.ReadFull(r, buf); err != nil {
		return err
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
}

// measureIdle opens n connections that then stay silent and returns the
// peer's resident memory growth per connection.
func measureIdle(ctx context.Context, p *peer, n int, settle time.Duration) (int64, error) {
	url := "ws://" + p.Addr + p.Path
	// One echo first, so one-time start-up allocations are in the baseline.
	if _, err := measureEcho(ctx, url, 1, 32, 0, 50*time.Millisecond); err != nil {
		return 0, err
	}
	sleep(ctx, settle)
	before, err := p.rssBytes()
	if err != nil {
		return 0, err
	}
	conns, err := dialAll(ctx, url, n)
	if err != nil {
		return 0, err
	}
	defer closeAll(conns)
	sleep(ctx, settle)
	after, err := p.rssBytes()
	if err != nil {
		return 0, err
	}
	return (after - before) / int64(n), nil
}

// policyRequest is what Flash Player sends to ask for a socket policy.
const policyRequest = "<policy-file-request/>\x00"

// PolicyResult is the policy request rate.
type PolicyResult struct {
	PerSec float64
	Count  int
}

// measurePolicy sends count policy requests over workers concurrent
// connections (one connection per request, as Flash does) and checks every
// answer.
func measurePolicy(ctx context.Context, addr string, count, workers int) (PolicyResult, error) {
	var next atomic.Int64
	var failed atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(count) && ctx.Err() == nil {
				if err := policyOnce(addr); err != nil {
					failed.Add(1)
					once.Do(func() { firstErr = err })
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if f := failed.Load(); f > 0 {
		return PolicyResult{}, fmt.Errorf("%d of %d policy requests failed, first: %w", f, count, firstErr)
	}
	return PolicyResult{PerSec: float64(count) / elapsed.Seconds(), Count: count}, ctx.Err()
}

func policyOnce(addr string) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, policyRequest); err != nil {
		return err
	}
	b, err := io.ReadAll(c)
	if err != nil {
		return err
	}
	if len(b) < 10 || b[len(b)-1] != 0 || string(b[:5]) != "<?xml" {
		return fmt.Errorf("bad policy answer %q", b)
	}
	return nil
}
