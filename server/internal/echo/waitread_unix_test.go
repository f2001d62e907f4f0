//go:build unix

package echo

import (
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/web-socket-js/web-socket-js/internal/testkit/rawws"
)

// Messages that arrive whole are echoed in the poller's callback, where a
// read that emptied the socket is not followed by one that finds it empty:
// one message at a time, the would-block reads stay far below one per
// message (they are one per message when every wait starts a new read).
func TestWholeMessagesSkipTheEmptyRead(t *testing.T) {
	if !drainedReadMeansEmpty {
		t.Skipf("the empty read is only skipped on Linux, not %s", runtime.GOOS)
	}
	var wouldBlock atomic.Int64
	count := func() { wouldBlock.Add(1) }
	wouldBlockHook.Store(&count)
	defer wouldBlockHook.Store(nil)
	srv, _ := newTestServer(t, Options{PingInterval: -1})
	c, br := rawws.Upgrade(t, srv.Listener.Addr().String(), "/")
	const n = 200
	for i := range n {
		msg := []byte{'m', byte(i)}
		if _, err := c.Write(maskedFrame(0x82, msg)); err != nil {
			t.Fatal(err)
		}
		if got := readServerFrame(t, br); got != string(msg) {
			t.Fatalf("message %d: echo %q, want %q", i, got, msg)
		}
	}
	if got := wouldBlock.Load(); got > n/4 {
		t.Fatalf("%d reads found the socket empty for %d messages sent one at a time", got, n)
	}
}
