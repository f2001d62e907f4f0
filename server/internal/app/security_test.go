package app

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/web-socket-js/web-socket-js/internal/testkit/rawws"
)

// These tests play the attacks from the security review against the real
// server: each one fails on the server as it was before the fix.

// upgradeStatus sends a WebSocket handshake for path with exactly the given
// Host and Origin headers (Origin omitted when "") and returns the status.
func upgradeStatus(t *testing.T, addr, path, host, origin string) int {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if origin != "" {
		origin = "Origin: " + origin + "\r\n"
	}
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n%s\r\n", path, host, origin)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("handshake for %s (Host %s, Origin %q): %v", path, host, origin, err)
	}
	return resp.StatusCode
}

// DNS rebinding: attacker.test resolves to the server, so the browser sends
// Host: attacker.test and Origin http://attacker.test. "Own origin" is the
// bound address, so that page is refused; so is a non-web scheme on the
// server's own host and port.
func TestOwnOriginIsTheBoundAddressNotTheHostHeader(t *testing.T) {
	s := start(t, testConfig(t))
	_, port, _ := net.SplitHostPort(s.Addr())
	for _, c := range []struct{ host, origin string }{
		{"attacker.test:" + port, "http://attacker.test:" + port},
		{"attacker.test:" + port, "https://attacker.test:" + port},
		{s.Addr(), "ftp://" + s.Addr()},
	} {
		for _, path := range []string{"/", EchoPath} {
			if got := upgradeStatus(t, s.Addr(), path, c.host, c.origin); got != http.StatusForbidden {
				t.Errorf("%s with Host %s, Origin %s: %d, want 403", path, c.host, c.origin, got)
			}
		}
	}
	for _, origin := range []string{"", "http://" + s.Addr(), "http://localhost:" + port} {
		if got := upgradeStatus(t, s.Addr(), EchoPath, s.Addr(), origin); got != http.StatusSwitchingProtocols {
			t.Errorf("own origin %q: %d, want 101", origin, got)
		}
	}
}

// bridgePath is the bridge's path with target.
func bridgePath(target string) string { return BridgePath + "?target=" + url.QueryEscape(target) }

// The bridge is not served unless the try-it needs it or it is asked for.
func TestBridgeOffByDefault(t *testing.T) {
	s := start(t, testConfig(t))
	if got := upgradeStatus(t, s.Addr(), bridgePath(s.Addr()), s.Addr(), ""); got != http.StatusNotFound {
		t.Fatalf("bridge without -bridge or -ruffle-dir: %d, want 404", got)
	}
	for _, flag := range [][]string{{"-bridge"}, {"-ruffle-dir", t.TempDir()}} {
		s := start(t, testConfig(t, flag...))
		if got := upgradeStatus(t, s.Addr(), bridgePath("127.0.0.1:"+port(s)), s.Addr(), ""); got != http.StatusSwitchingProtocols {
			t.Errorf("bridge with %q: %d, want 101", flag, got)
		}
	}
}

func port(s *Server) string {
	_, p, _ := net.SplitHostPort(s.Addr())
	return p
}

// Another site's page may not drive the bridge (and through it reach the
// echo with no Origin at all).
func TestBridgeChecksOrigin(t *testing.T) {
	s := start(t, testConfig(t, "-bridge", "-origins", "https://page.test"))
	own := bridgePath("127.0.0.1:" + port(s))
	cases := []struct {
		host, origin string
		want         int
	}{
		{s.Addr(), "http://evil.test", http.StatusForbidden},
		{"attacker.test:" + port(s), "http://attacker.test:" + port(s), http.StatusForbidden},
		{s.Addr(), "http://" + s.Addr(), http.StatusSwitchingProtocols},
		{s.Addr(), "https://page.test", http.StatusSwitchingProtocols},
	}
	for _, c := range cases {
		if got := upgradeStatus(t, s.Addr(), own, c.host, c.origin); got != c.want {
			t.Errorf("bridge, Origin %s: %d, want %d", c.origin, got, c.want)
		}
	}
}

// Relays count against -bridge-max-conns even when the echo has room.
func TestBridgeConnectionLimit(t *testing.T) {
	s := start(t, testConfig(t, "-bridge", "-bridge-max-conns", "2"))
	own := s.WSURL(bridgePath("127.0.0.1:" + port(s)))
	dial(t, own, nil)
	dial(t, own, nil)
	_, resp, err := websocket.Dial(testCtx(t), own, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("third relay over -bridge-max-conns 2: want 503, got %v (%v)", resp, err)
	}
}

// A bridge request sent through a relay to the server's own port is
// refused: nesting cannot turn one client connection into many.
func TestBridgeDoesNotNest(t *testing.T) {
	s := start(t, testConfig(t, "-bridge"))
	self := "127.0.0.1:" + port(s)
	c := dial(t, s.WSURL(bridgePath(self)), nil)
	ctx := testCtx(t)
	req := "GET " + bridgePath(self) + " HTTP/1.1\r\nHost: " + self + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if err := c.Write(ctx, websocket.MessageBinary, []byte(req)); err != nil {
		t.Fatal(err)
	}
	var got []byte
	for len(got) < len("HTTP/1.1 403") {
		_, p, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("after %q: %v", got, err)
		}
		got = append(got, p...)
	}
	if !strings.HasPrefix(string(got), "HTTP/1.1 403") {
		t.Fatalf("nested bridge request answered %q, want 403", got)
	}
}

// A plain GET on the bridge is answered without dialing the target.
func TestBridgeDialsNothingForAPlainGET(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s := start(t, testConfig(t, "-bridge-allow", ln.Addr().String()))
	resp, err := http.Get("http://" + s.Addr() + bridgePath(ln.Addr().String()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("plain GET on the bridge: %d, want 400", resp.StatusCode)
	}
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
		close(accepted)
	}()
	mine, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer mine.Close()
	c := <-accepted
	if c == nil {
		t.Fatal("accept failed")
	}
	defer c.Close()
	if c.RemoteAddr().String() != mine.LocalAddr().String() {
		t.Fatalf("the target's first connection came from %v: the bridge dialed for a plain GET", c.RemoteAddr())
	}
}

// Relays are pinged like echo connections: a client that never answers is
// dropped.
func TestBridgeDropsUnresponsiveClient(t *testing.T) {
	target := silentTarget(t)
	s := start(t, testConfig(t, "-bridge-allow", target, "-ping-interval", "50ms", "-ping-timeout", "100ms"))
	_, br := rawws.Upgrade(t, s.Addr(), bridgePath(target))
	waitClosed(t, br, "bridge client that never answers pings")
}

// silentTarget is a TCP target that accepts and holds connections, silent,
// until the test ends.
func silentTarget(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var held []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range held {
			c.Close()
		}
	})
	return ln.Addr().String()
}
