package ruffleproxy

import (
	"log/slog"
	"net"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/web-socket-js/web-socket-js/internal/testkit/leakcheck"
	"github.com/web-socket-js/web-socket-js/internal/testkit/rawws"
)

// serveHandler runs h on a loopback HTTP server until the test ends.
func serveHandler(t *testing.T, h *Handler) string {
	t.Helper()
	h.Logger = slog.New(slog.DiscardHandler)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// waitEnded reads c until the bridge closes it; a read timeout (rawws's 10 s
// deadline) means it never did.
func waitEnded(t *testing.T, c net.Conn, why string) {
	t.Helper()
	buf := make([]byte, 64<<10)
	for {
		if _, err := c.Read(buf); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("%s: the bridge kept the relay open", why)
			}
			return
		}
	}
}

func TestUnansweredPingsDropTheRelay(t *testing.T) {
	target, _ := drainingTarget(t)
	addr := serveHandler(t, &Handler{Allow: []string{target}, PingInterval: 50 * time.Millisecond, PingTimeout: 100 * time.Millisecond})
	c, _ := rawws.Upgrade(t, addr, "/?target="+url.QueryEscape(target))
	// Read the pings, never answer.
	waitEnded(t, c, "client that never answers pings")
	leakcheck.Wait(t, handlerStacks...)
}

// A target that stops reading: writes to it time out and the relay ends.
func TestTargetThatStopsReadingIsDropped(t *testing.T) {
	hold := make(chan struct{})
	target := tcpServer(t, func(net.Conn) { <-hold })
	t.Cleanup(func() { close(hold) }) // before tcpServer's cleanup waits for the handler
	addr := serveHandler(t, &Handler{Allow: []string{target}, PingInterval: -1, WriteTimeout: 200 * time.Millisecond})
	c, _ := rawws.Upgrade(t, addr, "/?target="+url.QueryEscape(target))
	go func() {
		// Masked binary frames of 64 KiB (zero mask key) until the bridge
		// closes the connection.
		frame := append([]byte{0x82, 0x80 | 127, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0}, make([]byte, 64<<10)...)
		for {
			if _, err := c.Write(frame); err != nil {
				return
			}
		}
	}()
	waitEnded(t, c, "target that never reads")
	leakcheck.Wait(t, handlerStacks...)
}

// A client that stops reading while the target sends: the WebSocket write
// times out even with pings off.
func TestClientThatStopsReadingIsDropped(t *testing.T) {
	target := tcpServer(t, func(c net.Conn) {
		buf := make([]byte, 64<<10)
		for {
			if _, err := c.Write(buf); err != nil {
				return
			}
		}
	})
	addr := serveHandler(t, &Handler{Allow: []string{target}, PingInterval: -1, WriteTimeout: 200 * time.Millisecond})
	c, _ := rawws.Upgrade(t, addr, "/?target="+url.QueryEscape(target))
	c.(*net.TCPConn).SetReadBuffer(4 << 10)
	// Never read; the bridge must give up and close its side.
	leakcheck.Wait(t, handlerStacks...)
}
