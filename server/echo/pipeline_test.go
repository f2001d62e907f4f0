package echo

import (
	"bufio"
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// upgradeRaw opens a WebSocket to addr by hand and returns the connection
// and a reader positioned after the 101 response.
func upgradeRaw(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", addr)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %v %v", resp, err)
	}
	return c, br
}

// Several frames in one packet: after the first echo the rest sit in the
// library's read buffer, not in the socket; all must be echoed, in order.
func TestPipelinedFramesAreAllEchoed(t *testing.T) {
	h := New(Options{Logger: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(h)
	defer srv.Close()
	c, br := upgradeRaw(t, srv.Listener.Addr().String())
	want := []string{"one", "two", string(bytes.Repeat([]byte("3"), 300)), "four"}
	for round := range 3 { // the first round on a fresh connection, later ones after messages
		var batch bytes.Buffer
		for _, m := range want {
			batch.Write(maskedText([]byte(m)))
		}
		if _, err := c.Write(batch.Bytes()); err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if got := readServerFrame(t, br); got != w {
				t.Fatalf("round %d: got %.20q, want %.20q", round, got, w)
			}
		}
	}
}
