package echo

import (
	"bytes"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/web-socket-js/web-socket-js/internal/testkit/rawws"
)

// Several frames in one packet: after the first echo the rest sit in the
// library's read buffer, not in the socket; all must be echoed, in order.
func TestPipelinedFramesAreAllEchoed(t *testing.T) {
	h := New(Options{Logger: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(h)
	defer srv.Close()
	c, br := rawws.Upgrade(t, srv.Listener.Addr().String(), "/")
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
