package echo

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/web-socket-js/web-socket-js/internal/testkit/rawws"
)

// readBufsHeld counts the read buffers connections hold (see heldDelta).
var readBufsHeld atomic.Int64

func init() { heldDelta = func(d int64) { readBufsHeld.Add(d) } }

func newTestServer(tb testing.TB, opts Options) (*httptest.Server, *Handler) {
	tb.Helper()
	opts.Logger = slog.New(slog.DiscardHandler)
	h := New(opts)
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return srv, h
}

// Connections that have exchanged messages of every size (pipelined, larger
// than a read buffer) and then fall silent hold no read buffer.
func TestIdleConnectionsHoldNoReadBuffer(t *testing.T) {
	srv, _ := newTestServer(t, Options{PingInterval: -1})
	want := []string{"a", string(bytes.Repeat([]byte("b"), 300)), string(bytes.Repeat([]byte("c"), 3*readBufSize+5))}
	var batch bytes.Buffer
	for _, m := range want {
		batch.Write(maskedFrame(0x82, []byte(m)))
	}
	for range 20 {
		c, br := rawws.Upgrade(t, srv.Listener.Addr().String(), "/")
		if _, err := c.Write(batch.Bytes()); err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if got := readServerFrame(t, br); got != w {
				t.Fatalf("echo: got %d bytes, want %d", len(got), len(w))
			}
		}
	}
	// Each connection is now parked waiting for its next message; the last
	// release happens just before that, so give the goroutines a moment.
	for i := 0; readBufsHeld.Load() != 0; i++ {
		if i == 200 {
			t.Fatalf("%d read buffers still held by 20 idle connections", readBufsHeld.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The message timeout starts when a message does: a client may stay silent
// between messages far longer, and a message trickling in within the
// timeout is echoed whole.
func TestMessageTimeoutOnlyCoversAMessage(t *testing.T) {
	const timeout = 300 * time.Millisecond
	srv, _ := newTestServer(t, Options{PingInterval: -1, MessageTimeout: timeout})
	c, br := rawws.Upgrade(t, srv.Listener.Addr().String(), "/")
	msg := bytes.Repeat([]byte("slow"), 100)
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

// Over TLS there is no socket to wait on: reads pass straight through, so
// an idle TLS connection holds no read buffer either, and pipelined and
// large messages still come back whole.
func TestTLSConnectionsEchoAndHoldNoReadBuffer(t *testing.T) {
	h := New(Options{PingInterval: -1, Logger: slog.New(slog.DiscardHandler)})
	srv := httptest.NewTLSServer(h)
	defer srv.Close()
	d := websocket.Dialer{TLSClientConfig: srv.Client().Transport.(*http.Transport).TLSClientConfig}
	url := "wss://" + srv.Listener.Addr().String() + "/"
	msgs := [][]byte{[]byte("tls"), bytes.Repeat([]byte("L"), 3*readBufSize+1), []byte("after")}
	for range 5 {
		c, _, err := d.Dial(url, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		for _, m := range msgs {
			if err := c.WriteMessage(websocket.BinaryMessage, m); err != nil {
				t.Fatal(err)
			}
		}
		for _, m := range msgs {
			_, got, err := c.ReadMessage()
			if err != nil || !bytes.Equal(got, m) {
				t.Fatalf("echo of %d bytes: got %d bytes, %v", len(m), len(got), err)
			}
		}
	}
	for i := 0; readBufsHeld.Load() != 0; i++ {
		if i == 200 {
			t.Fatalf("%d read buffers held by idle TLS connections", readBufsHeld.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The write deadline is passed on whenever it changes, however it was set
// before (SetWriteDeadline skips only repeats of the current one).
func TestWriteDeadlineFollowsEveryChange(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go io.Copy(io.Discard, b)
	pc := newPooledConn(a)
	past := time.Unix(1, 0)
	steps := []struct {
		set     func() error
		timeout bool
	}{
		{func() error { return pc.SetWriteDeadline(time.Time{}) }, false},
		{func() error { return pc.SetWriteDeadline(past) }, true},
		{func() error { return pc.SetWriteDeadline(past) }, true},
		{func() error { return pc.SetWriteDeadline(time.Time{}) }, false},
		{func() error { return pc.SetDeadline(past) }, true},
		{func() error { return pc.SetWriteDeadline(time.Time{}) }, false},
		{func() error { return pc.SetDeadline(time.Time{}) }, false},
		{func() error { return pc.SetWriteDeadline(past) }, true},
	}
	for i, s := range steps {
		if err := s.set(); err != nil {
			t.Fatal(err)
		}
		_, err := pc.Write([]byte("x"))
		if timedOut := errors.Is(err, os.ErrDeadlineExceeded); timedOut != s.timeout || err != nil && !timedOut {
			t.Fatalf("step %d: write error %v, want a timeout: %v", i, err, s.timeout)
		}
	}
}
