package echo

import (
	"bytes"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/web-socket-js/web-socket-js/internal/testkit/rawws"
)

// A long mixed stream, cut at random places: messages of every size class
// (whole in one read, across reads, larger than a read buffer),
// fragmented or not, with pings between fragments, written in random
// chunks with pauses. Whatever reaches the server whole is echoed in the
// poller's callback and the rest by the library outside it; every message
// and every pong must come back, in order.
func TestMixedStreamCutAnywhere(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	srv, _ := newTestServer(t, Options{PingInterval: -1})
	c, br := rawws.Upgrade(t, srv.Listener.Addr().String(), "/")
	c.SetDeadline(time.Now().Add(30 * time.Second))

	sizes := []int{0, 1, 5, 125, 126, 200, 263, 264, 1000, 4096, 8192, 9000, 20000}
	var stream bytes.Buffer
	var messages [][]byte
	pings := 0
	for i := range 300 {
		msg := make([]byte, sizes[rng.IntN(len(sizes))])
		for j := range msg {
			msg[j] = byte(i + j)
		}
		messages = append(messages, msg)
		parts := 1 + rng.IntN(3)
		for p := range parts {
			lo, hi := len(msg)*p/parts, len(msg)*(p+1)/parts
			op := byte(0x2)
			if p > 0 {
				op = 0x0
			}
			if p == parts-1 {
				op |= 0x80
			}
			stream.Write(maskedFrame(op, msg[lo:hi]))
			if p < parts-1 && rng.IntN(3) == 0 {
				stream.Write(maskedFrame(0x89, []byte{byte(pings)}))
				pings++
			}
		}
	}
	go writeInRandomChunks(c, stream.Bytes(), rng.Uint64())

	gotPongs := 0
	for i := 0; i < len(messages); {
		var msg []byte
		for {
			fin, op, payload := readFrameFin(t, br)
			if op == 0xA {
				if len(payload) != 1 || int(payload[0]) != gotPongs%256 {
					t.Fatalf("pong %d carries %x", gotPongs, payload)
				}
				gotPongs++
				continue
			}
			msg = append(msg, payload...)
			if fin {
				break
			}
		}
		if !bytes.Equal(msg, messages[i]) {
			t.Fatalf("message %d: echo of %d bytes, want %d", i, len(msg), len(messages[i]))
		}
		i++
	}
	if gotPongs != pings {
		t.Fatalf("%d pongs for %d pings", gotPongs, pings)
	}
}

// writeInRandomChunks writes b in chunks of 1 byte to 3 KB, pausing now
// and then so that the server sees parts of frames on their own.
func writeInRandomChunks(c net.Conn, b []byte, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 2))
	for len(b) > 0 {
		n := min(len(b), 1+rng.IntN(3000))
		if _, err := c.Write(b[:n]); err != nil {
			return // the reader reports what is missing
		}
		b = b[n:]
		if rng.IntN(10) == 0 {
			time.Sleep(time.Millisecond)
		}
	}
}
