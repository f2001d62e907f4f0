package echo

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"
)

// FuzzSession feeds a connection any bytes after its handshake, in chunks
// of any size, then hangs up, and checks what a client may rely on
// whatever it sends: the server never panics or hangs, writes only
// well-formed unmasked frames, with at most one close frame and nothing
// after it, and lets the connection go.
func FuzzSession(f *testing.F) {
	for _, seed := range [][]byte{
		maskedText([]byte("hello")),
		append(maskedFrame(0x01, []byte("frag")), append(maskedFrame(0x89, []byte("p")), maskedFrame(0x80, []byte("ment"))...)...),
		maskedFrame(0x88, []byte{3}),
		maskedFrame(0x88, []byte{0x03, 0xe8, 0xff}),
		maskedFrame(0x82, bytes.Repeat([]byte{7}, 300)),
		{0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4},
		{0x81, 0x05, 'h', 'e', 'l', 'l', 'o'}, // unmasked: 1002
		maskedText([]byte{0xff}),
	} {
		f.Add(seed, uint8(7))
	}
	f.Fuzz(func(t *testing.T, stream []byte, chunk uint8) {
		h := New(Options{PingInterval: -1, MaxMessage: 1 << 16, MessageTimeout: time.Second,
			Logger: slog.New(slog.DiscardHandler)})
		client, server := net.Pipe()
		defer client.Close()
		s := newSession(&messageConn{Conn: server, timeout: h.opts.MessageTimeout}, "", h.opts)
		h.sem <- struct{}{}
		if !h.track(s) {
			t.Fatal("not tracked")
		}
		ended := make(chan struct{})
		go func() {
			h.serve(s, "fuzz", func() {})
			close(ended)
		}()

		var hungUp atomic.Bool
		go func() {
			defer func() {
				hungUp.Store(true)
				client.Close() // ends the reading below too
			}()
			step := int(chunk)%64 + 1
			for len(stream) > 0 {
				n := min(step, len(stream))
				if _, err := client.Write(stream[:n]); err != nil {
					return
				}
				stream = stream[n:]
			}
		}()
		client.SetReadDeadline(time.Now().Add(10 * time.Second))
		checkServerFrames(t, client, hungUp.Load)
		select {
		case <-ended:
		case <-time.After(5 * time.Second):
			t.Fatal("the session did not end")
		}
	})
}

// checkServerFrames reads server frames until the connection ends and
// fails on a malformed frame, a masked one, anything after a close frame,
// a frame cut short while the client is still there, or a connection still
// open after 10 s.
func checkServerFrames(t *testing.T, c net.Conn, hungUp func() bool) {
	t.Helper()
	ended := func(err error) bool {
		return errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe) ||
			errors.Is(err, io.ErrUnexpectedEOF) && hungUp()
	}
	closed := false
	for {
		hdr, err := ws.ReadHeader(c)
		if ended(err) {
			return
		}
		if err != nil {
			t.Fatalf("reading a server frame: %v", err)
		}
		if closed {
			t.Fatalf("a %v frame after the close frame", hdr.OpCode)
		}
		if hdr.Masked {
			t.Fatalf("a masked %v frame from the server", hdr.OpCode)
		}
		if err := ws.CheckHeader(hdr, ws.StateClientSide); err != nil {
			t.Fatalf("server frame header %+v: %v", hdr, err)
		}
		payload := make([]byte, hdr.Length)
		if _, err := io.ReadFull(c, payload); err != nil {
			if (errors.Is(err, io.EOF) || ended(err)) && hungUp() {
				return // the client hung up while the server was writing
			}
			t.Fatalf("server frame payload: %v", err)
		}
		if hdr.OpCode == ws.OpClose {
			closed = true
			code, reason := ws.ParseCloseFrameData(payload)
			if len(payload) > 0 && ws.CheckCloseFrameData(code, reason) != nil {
				t.Fatalf("server close frame % x", payload)
			}
		}
	}
}
