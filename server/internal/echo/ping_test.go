package echo

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/web-socket-js/web-socket-js/internal/testkit/rawws"
)

// A client that answers pings stays connected through many ping rounds,
// longer than the message timeout (a pong between messages does not start
// it for good), and the pings really go out.
func TestAnsweredPingsKeepTheConnection(t *testing.T) {
	const interval = 30 * time.Millisecond
	srv, h := newTestServer(t, Options{PingInterval: interval, PingTimeout: 2 * time.Second, MessageTimeout: 2 * interval})
	c, _, err := websocket.DefaultDialer.Dial("ws://"+srv.Listener.Addr().String()+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var pings atomic.Int32
	c.SetPingHandler(func(data string) error {
		pings.Add(1)
		return c.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	echoes := make(chan string)
	go func() { // the client's only reader: answers pings, passes echoes on
		defer close(echoes)
		for {
			_, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			echoes <- string(msg)
		}
	}()
	for i := 0; pings.Load() < 5; i++ {
		if i == 500 {
			t.Fatalf("%d pings in 5 s, want 5 (one per %v)", pings.Load(), interval)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := c.WriteMessage(websocket.TextMessage, []byte("still here")); err != nil {
		t.Fatal(err)
	}
	select {
	case got, ok := <-echoes:
		if !ok || got != "still here" {
			t.Fatalf("after %d pings: echo %q, open %v", pings.Load(), got, ok)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no echo after the pings")
	}
	if h.Active() != 1 {
		t.Fatalf("%d active connections, want 1", h.Active())
	}
}

// A client that does not answer a ping is dropped after the ping timeout.
func TestUnansweredPingDropsTheConnection(t *testing.T) {
	srv, h := newTestServer(t, Options{PingInterval: 20 * time.Millisecond, PingTimeout: 100 * time.Millisecond})
	c, br := rawws.Upgrade(t, srv.Listener.Addr().String(), "/")
	if op, _ := readFrame(t, br); op != websocket.PingMessage {
		t.Fatalf("frame %x, want a ping", op)
	}
	expectEOF(t, c, br)
	waitActive(t, h, 0)
}
