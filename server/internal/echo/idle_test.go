//go:build linux

package echo

import (
	"bufio"
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/web-socket-js/web-socket-js/internal/testkit/rawws"
	"github.com/web-socket-js/web-socket-js/server/internal/idlepoll"
)

// parkedConns counts h's connections that wait in the idle poller.
func parkedConns(h *Handler) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for c := range h.conns {
		if pc := c.NetConn().(*pooledConn); pc.idle != nil && pc.idle.Parked(pc.fd) {
			n++
		}
	}
	return n
}

func idlePoller(t *testing.T) *idlepoll.Poller {
	t.Helper()
	p, err := idlepoll.Default()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// eventually polls cond for up to 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; !cond(); i++ {
		if i == 500 {
			t.Fatalf("after 5 s: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Connections that have not spoken wait in the idle poller with no
// goroutine; a message wakes one to echo, and closing from the client's
// side takes the rest out of the poller (a parked connection has no
// goroutine to end it, so Active reaches 0 only once all have left).
func TestSilentConnectionsHoldNoGoroutine(t *testing.T) {
	idlePoller(t)
	srv, h := newTestServer(t, Options{PingInterval: -1})
	addr := srv.Listener.Addr().String()
	const n = 40
	conns := make([]net.Conn, n)
	for i := range conns {
		conns[i], _ = rawws.Upgrade(t, addr, "/")
	}
	waitActive(t, h, n)
	eventually(t, "not every silent connection is in the idle poller", func() bool { return parkedConns(h) == n })
	if got := h.serving.Load(); got != 0 {
		t.Fatalf("%d goroutines serve %d silent connections", got, n)
	}

	c, br := rawws.Upgrade(t, addr, "/")
	eventually(t, "the new connection is not parked", func() bool { return parkedConns(h) == n+1 })
	if _, err := c.Write(maskedText([]byte("wake up"))); err != nil {
		t.Fatal(err)
	}
	if got := readServerFrame(t, br); got != "wake up" {
		t.Fatalf("echo %q", got)
	}

	for _, c := range conns {
		c.Close()
	}
	c.Close()
	waitActive(t, h, 0)
	if got := h.serving.Load(); got != 0 {
		t.Fatalf("%d goroutines still serving closed connections", got)
	}
}

// Shutdown reaches parked connections: each gets its 1001, and one whose
// client never answers is closed at the deadline, which releases it from
// the idle poller so that Shutdown can return.
func TestShutdownReleasesParkedConnections(t *testing.T) {
	idlePoller(t)
	srv, h := newTestServer(t, Options{PingInterval: -1})
	addr := srv.Listener.Addr().String()
	const n = 10
	readers := make([]func() (byte, []byte), n)
	for i := range readers {
		_, br := rawws.Upgrade(t, addr, "/")
		readers[i] = func() (byte, []byte) { return readFrame(t, br) }
	}
	eventually(t, "silent connections not parked", func() bool { return parkedConns(h) == n })
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- h.Shutdown(ctx) }()
	for i, read := range readers { // the clients read the 1001 but never answer it
		if op, p := read(); op != 0x8 || len(p) < 2 || int(p[0])<<8|int(p[1]) != 1001 {
			t.Fatalf("client %d: frame %x %q, want close 1001", i, op, p)
		}
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Shutdown did not return: parked connections were not released")
	}
	if h.Active() != 0 || h.serving.Load() != 0 {
		t.Fatalf("%d connections active, %d goroutines serving after Shutdown", h.Active(), h.serving.Load())
	}
}

// A silent client that answers pings goes back to the idle poller right
// after each pong, not at the next ping tick (which would also park it).
func TestPongsLeaveTheConnectionParked(t *testing.T) {
	const interval = 800 * time.Millisecond
	idlePoller(t)
	srv, h := newTestServer(t, Options{PingInterval: interval, PingTimeout: 5 * time.Second})
	c, br := rawws.Upgrade(t, srv.Listener.Addr().String(), "/")
	for i := range 2 {
		ping := readPing(t, br)
		taken := pongsTaken.Load()
		if _, err := c.Write(maskedFrame(0x8A, ping)); err != nil {
			t.Fatalf("pong %d: %v", i, err)
		}
		eventually(t, "the pong was not taken", func() bool { return pongsTaken.Load() > taken })
		for j := 0; parkedConns(h) != 1 || h.serving.Load() != 0; j++ {
			if j == 40 { // 400 ms, half the time to the next tick
				t.Fatalf("pong %d: the connection kept its goroutine after the pong", i)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	if h.Active() != 1 {
		t.Fatal("the connection was dropped although it answered every ping")
	}
}

// loopbackPooled hands out pooledConns for the server side of loopback
// connections, outside any Handler.
type loopbackPooled struct {
	t  *testing.T
	ln net.Listener
}

func newLoopbackPooled(t *testing.T) *loopbackPooled {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return &loopbackPooled{t: t, ln: ln}
}

// dial opens a client connection (closed when the test ends, or earlier
// by the caller) for the next accept.
func (l *loopbackPooled) dial() net.Conn {
	l.t.Helper()
	c, err := net.Dial("tcp", l.ln.Addr().String())
	if err != nil {
		l.t.Fatal(err)
	}
	l.t.Cleanup(func() { c.Close() })
	return c
}

// accept returns the server side of the next dialed connection.
func (l *loopbackPooled) accept() *pooledConn {
	l.t.Helper()
	server, err := l.ln.Accept()
	if err != nil {
		l.t.Fatal(err)
	}
	pc := newPooledConn(server)
	pc.frames = bufio.NewReaderSize(pc, frameHeaderBuffer)
	return pc
}

// Close racing park: either the connection was not parked, or it is woken
// exactly once; it is never left registered with a closed descriptor.
func TestCloseRacingParkNeverStrandsTheConnection(t *testing.T) {
	idlePoller(t)
	l := newLoopbackPooled(t)
	for i := range 200 {
		client := l.dial()
		pc := l.accept()
		var wakes atomic.Int32
		closed := make(chan struct{})
		go func() { pc.Close(); close(closed) }()
		parked := pc.park(func() { wakes.Add(1) })
		<-closed
		pc.Close() // a second Close must not wake anything again
		if want := map[bool]int32{true: 1, false: 0}[parked]; wakes.Load() != want {
			t.Fatalf("round %d: parked %v, woken %d times", i, parked, wakes.Load())
		}
		client.Close()
	}
}

// Once Close has begun a connection is never parked (its descriptor is
// about to close, which would drop the registration and strand it), and
// a second Close wakes nothing, even a connection parked since under the
// same descriptor number.
func TestClosedConnectionsStayOutOfTheIdlePoller(t *testing.T) {
	idle := idlePoller(t)
	l := newLoopbackPooled(t)
	l.dial()
	a := l.accept()
	a.beginClose()
	if a.park(func() { t.Error("woke a connection that was never parked") }) {
		t.Fatal("parked a connection whose Close had begun")
	}
	a.Close()

	l.dial()
	b := l.accept()
	var bWakes atomic.Int32
	if !b.park(func() { bWakes.Add(1) }) {
		t.Fatal("could not park")
	}
	l.dial() // first, so that the accepted side gets b's descriptor number
	b.Close()
	c := l.accept()
	if c.fd != b.fd {
		t.Skipf("descriptor %d not reused (got %d)", b.fd, c.fd)
	}
	var cWakes atomic.Int32
	if !c.park(func() { cWakes.Add(1) }) {
		t.Fatal("could not park")
	}
	b.Close()
	if bWakes.Load() != 1 || cWakes.Load() != 0 || !idle.Parked(c.fd) {
		t.Fatalf("after a second Close: first connection woken %d times, the one now on its descriptor %d times", bWakes.Load(), cWakes.Load())
	}
	c.Close()
	if cWakes.Load() != 1 {
		t.Fatalf("Close woke the parked connection %d times", cWakes.Load())
	}
}
