// Package rawws opens WebSocket connections by hand for tests whose client must be able to
// misbehave after the handshake (pipelined frames, silence, abrupt closes).
package rawws

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"testing"

	"github.com/web-socket-js/web-socket-js/internal/testkit/tcpclient"
)

// Upgrade performs the opening handshake for path on addr and returns the raw connection
// (closed when t ends, 10 s deadline) and a reader positioned after the 101 response.
func Upgrade(t testing.TB, addr, path string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, br, resp := Request(t, addr, path, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n")
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("raw handshake: %v", resp.Status)
	}
	return c, br
}

// Request sends an upgrade request for path on addr with the given extra header lines (each
// ending in CRLF) and returns the connection (closed when t ends, 10 s deadline), a reader
// positioned after the response, and the response.
func Request(t testing.TB, addr, path, headers string) (net.Conn, *bufio.Reader, *http.Response) {
	t.Helper()
	c := tcpclient.Dial(t, addr)
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n%s\r\n", path, addr, headers)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("raw handshake: %v", err)
	}
	return c, br, resp
}
