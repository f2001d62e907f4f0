package echo

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// A client may send its first frame in the same packet as its handshake;
// those bytes sit in net/http's buffer at the upgrade and must be echoed.
func TestFrameRightBehindHandshake(t *testing.T) {
	h := New(Options{Logger: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(h)
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))

	var req bytes.Buffer
	fmt.Fprintf(&req, "GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", addr)
	// Two masked text frames, "hi" and 2000 × "x" (more than the 1 KiB read buffer).
	req.Write(maskedText([]byte("hi")))
	req.Write(maskedText(bytes.Repeat([]byte("x"), 2000)))
	if _, err := c.Write(req.Bytes()); err != nil { // one write: one packet on loopback
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %v %v", resp, err)
	}
	for _, want := range []string{"hi", string(bytes.Repeat([]byte("x"), 2000))} {
		if got := readServerFrame(t, br); got != want {
			t.Fatalf("echo: got %d bytes %.20q…, want %d bytes", len(got), got, len(want))
		}
	}
}

// maskedText builds one client text frame (RFC 6455 §5.2).
func maskedText(p []byte) []byte { return maskedFrame(0x81, p) }

// maskedFrame builds one masked client frame with the given first byte
// (FIN and opcode).
func maskedFrame(first byte, p []byte) []byte {
	key := []byte{0x12, 0x34, 0x56, 0x78}
	f := []byte{first}
	switch {
	case len(p) < 126:
		f = append(f, 0x80|byte(len(p)))
	case len(p) < 1<<16:
		f = append(f, 0x80|126, byte(len(p)>>8), byte(len(p)))
	default:
		f = append(f, 0x80|127)
		for s := 56; s >= 0; s -= 8 {
			f = append(f, byte(uint64(len(p))>>s))
		}
	}
	f = append(f, key...)
	for i, b := range p {
		f = append(f, b^key[i%4])
	}
	return f
}

// readServerFrame reads one unmasked, unfragmented frame and returns its payload.
func readServerFrame(t *testing.T, r io.Reader) string {
	t.Helper()
	_, p := readFrame(t, r)
	return string(p)
}

// readFrame reads one unmasked server frame of any length (RFC 6455 §5.2).
func readFrame(t *testing.T, r io.Reader) (opcode byte, payload []byte) {
	t.Helper()
	_, opcode, payload = readFrameFin(t, r)
	return opcode, payload
}

// readFrameFin is readFrame that also reports the frame's FIN bit.
func readFrameFin(t *testing.T, r io.Reader) (fin bool, opcode byte, payload []byte) {
	t.Helper()
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		t.Fatal(err)
	}
	n := uint64(h[1] & 0x7f)
	if n >= 126 {
		ext := make([]byte, map[uint64]int{126: 2, 127: 8}[n])
		if _, err := io.ReadFull(r, ext); err != nil {
			t.Fatal(err)
		}
		n = 0
		for _, b := range ext {
			n = n<<8 | uint64(b)
		}
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		t.Fatal(err)
	}
	return h[0]&0x80 != 0, h[0] & 0x0F, payload
}
