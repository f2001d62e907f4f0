package echo

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/web-socket-js/web-socket-js/internal/testkit/rawws"
)

// The message timeout starts when a message does: a client may stay silent
// between messages far longer, and a message trickling in within the
// timeout is echoed whole.
func TestMessageTimeoutOnlyCoversAMessage(t *testing.T) {
	const timeout = 300 * time.Millisecond
	srv, _ := newTestServer(t, Options{PingInterval: -1, MessageTimeout: timeout})
	c, br := rawws.Upgrade(t, srv.Listener.Addr().String(), "/")
	msg := bytes.Repeat([]byte("slow"), 200)
	for round := range 2 {
		frame := maskedFrame(0x82, msg)
		for _, part := range [][]byte{frame[:1], frame[1:5], frame[5:200], frame[200:]} {
			if _, err := c.Write(part); err != nil {
				t.Fatal(err)
			}
			time.Sleep(timeout / 8)
		}
		if got := readServerFrame(t, br); got != string(msg) {
			t.Fatalf("round %d: echo of %d bytes, want %d", round, len(got), len(msg))
		}
		time.Sleep(2 * timeout) // idle between messages: must not count
	}
}

// A client that stops in the middle of a frame (even inside its header,
// before the library knows a message has begun) is told with close 1008
// and dropped at the message timeout, with pings off. So is one whose
// next frame began in the same packet as a message it finished.
func TestStalledFrameIsCutByMessageTimeout(t *testing.T) {
	const timeout = 200 * time.Millisecond
	srv, h := newTestServer(t, Options{PingInterval: -1, MessageTimeout: timeout})
	whole := maskedText([]byte("whole"))
	big := maskedFrame(0x82, make([]byte, 3000))
	cases := []struct {
		name   string
		sent   []byte
		echoes int
	}{
		{"one byte of a header", whole[:1], 0},
		{"a header without its mask key", big[:4], 0},
		{"half a payload", big[:1500], 0},
		{"a message, then one byte of the next", append(bytes.Clone(whole), whole[0]), 1},
		{"a ping, then one byte", append(maskedFrame(0x89, nil), whole[0]), 0},
	}
	for _, tc := range cases {
		c, br := rawws.Upgrade(t, srv.Listener.Addr().String(), "/")
		if _, err := c.Write(tc.sent); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		for range tc.echoes {
			if got := readServerFrame(t, br); got != "whole" {
				t.Fatalf("%s: echo %q", tc.name, got)
			}
		}
		code, reason := readClose(t, br)
		if code != websocket.ClosePolicyViolation || !strings.Contains(reason, "timeout") {
			t.Fatalf("%s: close %d %q, want 1008 naming the timeout", tc.name, code, reason)
		}
		expectEOF(t, c, br)
		if waited := time.Since(start); waited < timeout/2 {
			t.Fatalf("%s: dropped after %v, before the %v timeout", tc.name, waited, timeout)
		}
	}
	waitActive(t, h, 0)
}

// Control frames between messages take the message timeout for no longer
// than they take to arrive: a client that pings (and reads the pongs) for
// many timeouts on end is not dropped.
func TestPingsBetweenMessagesDoNotRunTheTimeout(t *testing.T) {
	const timeout = 100 * time.Millisecond
	srv, h := newTestServer(t, Options{PingInterval: -1, MessageTimeout: timeout})
	c, br := rawws.Upgrade(t, srv.Listener.Addr().String(), "/")
	for i := range 10 {
		if _, err := c.Write(maskedFrame(0x89, []byte{byte(i)})); err != nil {
			t.Fatal(err)
		}
		if op, p := readFrame(t, br); op != websocket.PongMessage || !bytes.Equal(p, []byte{byte(i)}) {
			t.Fatalf("ping %d: frame %x %x, want its pong", i, op, p)
		}
		time.Sleep(timeout / 2)
	}
	if _, err := c.Write(maskedText([]byte("still here"))); err != nil {
		t.Fatal(err)
	}
	if got := readServerFrame(t, br); got != "still here" {
		t.Fatalf("echo %q", got)
	}
	if h.Active() != 1 {
		t.Fatalf("%d connections, want 1", h.Active())
	}
}
