package app

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"
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
