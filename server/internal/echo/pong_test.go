package echo

import (
	"bufio"
	"bytes"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/web-socket-js/web-socket-js/internal/testkit/rawws"
)

func TestOnlyPongFrames(t *testing.T) {
	pong := maskedFrame(0x8A, []byte("p"))
	cases := []struct {
		name string
		b    []byte
		want bool
	}{
		{"one pong", pong, true},
		{"empty pong", maskedFrame(0x8A, nil), true},
		{"125-byte pong", maskedFrame(0x8A, make([]byte, 125)), true},
		{"two pongs", append(bytes.Clone(pong), pong...), true},
		{"nothing", nil, false},
		{"pong cut short", pong[:len(pong)-1], false},
		{"pong then a text frame", append(bytes.Clone(pong), maskedText([]byte("hi"))...), false},
		{"pong then a byte", append(bytes.Clone(pong), 0x81), false},
		{"ping", maskedFrame(0x89, []byte("p")), false},
		{"close", maskedFrame(0x88, []byte{3, 232}), false},
		{"text", maskedText([]byte("pong")), false},
		{"pong without FIN", maskedFrame(0x0A, nil), false},
		{"pong with RSV1", maskedFrame(0xCA, nil), false},
		{"unmasked pong", []byte{0x8A, 0x01, 'p'}, false},
		{"pong claiming 126 bytes", append([]byte{0x8A, 0x80 | 126, 0, 126, 1, 2, 3, 4}, make([]byte, 126)...), false},
	}
	for _, c := range cases {
		if got := onlyPongFrames(c.b); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// FuzzOnlyPongFrames: whatever the bytes, a yes means they split exactly
// into masked pong frames with FIN set and at most 125 bytes of payload.
func FuzzOnlyPongFrames(f *testing.F) {
	f.Add(maskedFrame(0x8A, []byte("p")))
	f.Add(append(maskedFrame(0x8A, nil), maskedText([]byte("x"))...))
	f.Add([]byte{0x8A, 0xFD})
	f.Fuzz(func(t *testing.T, b []byte) {
		if !onlyPongFrames(b) {
			return
		}
		frames := 0
		for r := bytes.NewReader(b); r.Len() > 0; frames++ {
			var h [6]byte
			if _, err := io.ReadFull(r, h[:]); err != nil {
				t.Fatalf("frame %d: short header in %x", frames, b)
			}
			if h[0] != 0x8A || h[1] < 0x80 || h[1]-0x80 > 125 {
				t.Fatalf("frame %d: header %x is not a masked pong", frames, h[:2])
			}
			if _, err := r.Seek(int64(h[1]-0x80), io.SeekCurrent); err != nil || r.Len() < 0 {
				t.Fatalf("frame %d: payload past the end of %x", frames, b)
			}
		}
		if frames == 0 {
			t.Fatal("yes for no frames")
		}
	})
}

// A silent client that answers our pings: its pongs are taken between
// messages without the library, the pinger counts them (the connection
// stays), and the next message is echoed.
func TestPongsAreTakenWhileIdle(t *testing.T) {
	const interval = 20 * time.Millisecond
	srv, h := newTestServer(t, Options{PingInterval: interval, PingTimeout: 2 * time.Second})
	c, br := rawws.Upgrade(t, srv.Listener.Addr().String(), "/")
	before := pongsTaken.Load()
	// The pinger sends its next ping only once the last one is answered:
	// unless the pongs taken reach it, the second ping never comes and the
	// connection is dropped at the timeout.
	for i := range 15 {
		payload := readPing(t, br)
		if _, err := c.Write(maskedFrame(0x8A, payload)); err != nil {
			t.Fatalf("pong %d: %v", i, err)
		}
	}
	if n := pongsTaken.Load() - before; n < 10 {
		t.Fatalf("%d of 15 pongs taken between messages", n)
	}
	if h.Active() != 1 {
		t.Fatal("the connection was dropped although it answered every ping")
	}
	if _, err := c.Write(maskedText([]byte("after the pongs"))); err != nil {
		t.Fatal(err)
	}
	for {
		op, payload := readFrame(t, br)
		if op == 0x9 { // a ping meanwhile: answer it and read on
			c.Write(maskedFrame(0x8A, payload))
			continue
		}
		if op != 0x1 || string(payload) != "after the pongs" {
			t.Fatalf("got opcode %x %q, want the echo", op, payload)
		}
		return
	}
}

// readPing reads server frames until a ping and returns its payload.
func readPing(t *testing.T, br *bufio.Reader) []byte {
	t.Helper()
	for {
		if op, payload := readFrame(t, br); op == 0x9 {
			return payload
		}
	}
}

// A connection that has echoed messages and then waits is moved to a fresh
// goroutine on the ping timer, and goes on echoing.
func TestWaitingConnectionMovesAndStillEchoes(t *testing.T) {
	srv, h := newTestServer(t, Options{PingInterval: 20 * time.Millisecond, PingTimeout: 2 * time.Second})
	c, br := rawws.Upgrade(t, srv.Listener.Addr().String(), "/")
	big := bytes.Repeat([]byte("m"), 70000)
	echoOnce := func(msg []byte) {
		t.Helper()
		if _, err := c.Write(maskedFrame(0x82, msg)); err != nil {
			t.Fatal(err)
		}
		for {
			op, payload := readFrame(t, br)
			if op == 0x9 {
				c.Write(maskedFrame(0x8A, payload))
				continue
			}
			if op != 0x2 || !bytes.Equal(payload, msg) {
				t.Fatalf("got opcode %x with %d bytes, want the %d-byte echo", op, len(payload), len(msg))
			}
			return
		}
	}
	echoOnce(big)
	before := movedConns.Load()
	for i := 0; movedConns.Load() == before; i++ {
		if i == 100 {
			t.Fatal("the waiting connection was not moved in 100 pings")
		}
		c.Write(maskedFrame(0x8A, readPing(t, br)))
	}
	echoOnce([]byte("after the move"))
	echoOnce(big)
	if h.Active() != 1 {
		t.Fatalf("%d connections, want 1", h.Active())
	}
}

// Nudges racing with a stream of messages (a ping timer of 1 ms) never cost
// a message or the connection.
func TestNudgesDoNotDisturbTraffic(t *testing.T) {
	srv, _ := newTestServer(t, Options{PingInterval: time.Millisecond, PingTimeout: 5 * time.Second})
	c, _, err := websocket.DefaultDialer.Dial("ws://"+srv.Listener.Addr().String()+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	before := movedConns.Load()
	for i := 0; i < 2000 || movedConns.Load()-before < 20; i++ {
		if i == 20000 {
			t.Fatalf("only %d moves in %d messages", movedConns.Load()-before, i)
		}
		msg := []byte(strconv.Itoa(i))
		if i%100 == 0 {
			time.Sleep(3 * time.Millisecond) // let it wait, so nudges find it waiting
		}
		if err := c.WriteMessage(websocket.TextMessage, msg); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		_, got, err := c.ReadMessage() // answers pings meanwhile
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("message %d: got %q, %v", i, got, err)
		}
	}
}
