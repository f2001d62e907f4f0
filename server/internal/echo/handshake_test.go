package echo

import (
	"net/http"
	"testing"

	"github.com/web-socket-js/web-socket-js/internal/testkit/rawws"
)

// Malformed upgrades get a clear HTTP error (RFC 6455 §4.2.2: an unsupported
// version is answered with the versions we speak) and give their connection
// slot back: with room for one connection, a good client still gets in.
func TestBadHandshakesAreRefusedAndFreeTheirSlot(t *testing.T) {
	srv, h := newTestServer(t, Options{PingInterval: -1, MaxConns: 1})
	addr := srv.Listener.Addr().String()
	cases := []struct {
		name, headers string
		version       string // Sec-WebSocket-Version the answer must carry, if any
	}{
		{"version 8", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n", "13"},
		{"no key", "Sec-WebSocket-Version: 13\r\n", ""},
		{"empty key", "Sec-WebSocket-Key: \r\nSec-WebSocket-Version: 13\r\n", ""},
	}
	for _, tc := range cases {
		_, _, resp := rawws.Request(t, addr, "/", tc.headers)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", tc.name, resp.StatusCode)
		}
		if got := resp.Header.Get("Sec-WebSocket-Version"); tc.version != "" && got != tc.version {
			t.Errorf("%s: Sec-WebSocket-Version %q, want %q", tc.name, got, tc.version)
		}
	}
	rawws.Upgrade(t, addr, "/") // fails the test unless it gets 101
	waitActive(t, h, 1)
}
