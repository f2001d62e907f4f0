package echo

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/web-socket-js/web-socket-js/internal/testkit/rawws"
)

func TestWholeMessage(t *testing.T) {
	text := maskedText([]byte("hello"))
	ping := maskedFrame(0x89, []byte("p"))
	first, last := maskedFrame(0x01, []byte("frag")), maskedFrame(0x80, []byte("ment"))
	big := maskedFrame(0x82, make([]byte, 300))    // 16-bit length
	huge := maskedFrame(0x82, make([]byte, 70000)) // 64-bit length
	closeFrame := maskedFrame(0x88, []byte{3, 232})
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	cases := []struct {
		name string
		b    []byte
		want bool
	}{
		{"nothing", nil, false},
		{"one byte", text[:1], false},
		{"text", text, true},
		{"text cut short", text[:len(text)-1], false},
		{"text and part of the next", cat(text, text[:3]), true},
		{"16-bit length", big, true},
		{"16-bit length cut in the length", big[:3], false},
		{"16-bit length cut in the payload", big[:len(big)-1], false},
		{"64-bit length", huge, true},
		{"64-bit length cut in the length", huge[:9], false},
		{"64-bit length cut in the payload", huge[:len(huge)-1], false},
		{"fragments", cat(first, last), true},
		{"first fragment only", first, false},
		{"fragments with a ping between", cat(first, ping, last), true},
		{"ping alone", ping, false},
		{"ping then text", cat(ping, text), true},
		{"close", closeFrame, true},
		{"close cut short", closeFrame[:len(closeFrame)-1], false},
		{"unmasked text", []byte{0x81, 2, 'h', 'i'}, true},
		{"64-bit length past any buffer", []byte{0x82, 0x80 | 127, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4}, false},
	}
	for _, c := range cases {
		for split := range len(c.b) + 1 {
			if got := wholeMessage(c.b[:split], c.b[split:]); got != c.want {
				t.Errorf("%s, split at %d: %v, want %v", c.name, split, got, c.want)
				break
			}
		}
	}
}

// FuzzWholeMessage: a yes means the library, reading exactly those bytes
// as a server, delivers the first message (or fails, or closes) without
// asking for one byte more; and where the bytes are split does not matter.
func FuzzWholeMessage(f *testing.F) {
	f.Add(maskedText([]byte("hello")), uint(2))
	f.Add(append(maskedFrame(0x01, []byte("a")), maskedFrame(0x80, []byte("b"))...), uint(7))
	f.Add(append(maskedFrame(0x89, nil), maskedFrame(0x88, []byte{3, 232})...), uint(0))
	f.Add(maskedFrame(0x82, make([]byte, 300)), uint(3))
	f.Fuzz(func(t *testing.T, b []byte, split uint) {
		cut := int(split % uint(len(b)+1))
		whole := wholeMessage(b[:cut], b[cut:])
		if whole != wholeMessage(b, nil) {
			t.Fatalf("split at %d changes the answer for %x", cut, b)
		}
		if !whole {
			return
		}
		if starved := libraryReadsFirstMessage(t, b); starved {
			t.Fatalf("yes, but the library asked for more than %x", b)
		}
	})
}

// libraryReadsFirstMessage upgrades a connection whose client sends b and
// nothing more, reads one message as the echo loop does, and reports
// whether the library asked for bytes beyond b.
func libraryReadsFirstMessage(t *testing.T, b []byte) (starved bool) {
	conn := &scriptedConn{in: bytes.NewReader(b)}
	req, _ := http.NewRequest("GET", "http://example.test/", nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	u := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	c, err := u.Upgrade(&hijackRecorder{conn: conn}, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, rd, err := c.NextReader(); err == nil {
		io.Copy(io.Discard, rd)
	}
	return conn.starved
}

// scriptedConn is a connection whose peer sent exactly the bytes in and
// then waits: a read past them marks it starved.
type scriptedConn struct {
	net.Conn
	in      *bytes.Reader
	starved bool
}

var errStarved = errors.New("read past the scripted bytes")

func (c *scriptedConn) Read(p []byte) (int, error) {
	if c.in.Len() == 0 {
		c.starved = true
		return 0, errStarved
	}
	return c.in.Read(p)
}
func (c *scriptedConn) Write(p []byte) (int, error)      { return len(p), nil }
func (c *scriptedConn) Close() error                     { return nil }
func (c *scriptedConn) SetDeadline(time.Time) error      { return nil }
func (c *scriptedConn) SetReadDeadline(time.Time) error  { return nil }
func (c *scriptedConn) SetWriteDeadline(time.Time) error { return nil }

// hijackRecorder is a ResponseWriter that hands over conn when hijacked.
type hijackRecorder struct {
	http.ResponseWriter
	conn net.Conn
}

func (h *hijackRecorder) Header() http.Header { return http.Header{} }
func (h *hijackRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return h.conn, bufio.NewReadWriter(bufio.NewReader(h.conn), bufio.NewWriter(h.conn)), nil
}

// Control frames inside and after a message that arrives whole in one
// packet are handled as the library handles them: a ping between two
// fragments gets its pong before the echo, and a close behind a message
// comes back after that message's echo.
func TestControlFramesAroundWholeMessages(t *testing.T) {
	srv, _ := newTestServer(t, Options{PingInterval: -1})
	c, br := rawws.Upgrade(t, srv.Listener.Addr().String(), "/")
	for round := range 3 {
		packet := bytes.Join([][]byte{
			maskedFrame(0x01, []byte("frag")), maskedFrame(0x89, []byte("are you there")), maskedFrame(0x80, []byte("ment")),
		}, nil)
		if _, err := c.Write(packet); err != nil {
			t.Fatal(err)
		}
		if op, p := readFrame(t, br); op != websocket.PongMessage || string(p) != "are you there" {
			t.Fatalf("round %d: frame %x %q, want the pong", round, op, p)
		}
		if op, p := readFrame(t, br); op != websocket.TextMessage || string(p) != "fragment" {
			t.Fatalf("round %d: frame %x %q, want the echo of the fragments", round, op, p)
		}
	}
	if _, err := c.Write(append(maskedText([]byte("last")), maskedFrame(0x88, []byte{3, 232})...)); err != nil {
		t.Fatal(err)
	}
	if op, p := readFrame(t, br); op != websocket.TextMessage || string(p) != "last" {
		t.Fatalf("frame %x %q, want the echo of the last message", op, p)
	}
	if op, p := readFrame(t, br); op != websocket.CloseMessage || !bytes.Equal(p[:2], []byte{3, 232}) {
		t.Fatalf("frame %x %q, want close 1000", op, p)
	}
}
