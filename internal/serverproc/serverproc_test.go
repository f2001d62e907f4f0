package serverproc

import (
	"bufio"
	"context"
	"io"
	"regexp"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/web-socket-js/web-socket-js/internal/project"
)

var echoURL = regexp.MustCompile(`ws://127\.0\.0\.1:[0-9]+/echo`)

func TestShutdownGrace(t *testing.T) {
	for _, c := range []struct {
		argv []string
		want time.Duration
	}{
		{nil, 2 * time.Second},
		{[]string{"-shutdown-grace", "2s", "-addr", ":1"}, 2 * time.Second},
		{[]string{"-shutdown-grace", "2s", "-shutdown-grace", "300ms"}, 300 * time.Millisecond},
		{[]string{"-shutdown-grace", "2s", "--shutdown-grace=1s"}, time.Second},
		{[]string{"-shutdown-grace", "2s", "-shutdown-grace=junk"}, 2 * time.Second},
	} {
		if got := shutdownGrace(c.argv); got != c.want {
			t.Errorf("shutdownGrace(%q) = %v, want %v", c.argv, got, c.want)
		}
	}
}

// TestRunStopsOnCancel runs the real server binary with a WebSocket client
// that never answers the server's close 1001, and checks that cancelling the
// context still stops it cleanly inside mage's 5 s cleanup window.
func TestRunStopsOnCancel(t *testing.T) {
	root, err := project.Root()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bin, err := Build(ctx, root, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- Run(runCtx, bin, []string{"-addr", "127.0.0.1:0", "-dist", t.TempDir()}, pw)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	wsURL := ""
	for wsURL == "" && lines.Scan() {
		wsURL = echoURL.FindString(lines.Text())
	}
	if wsURL == "" {
		t.Fatalf("server never printed its echo URL (run: %v)", <-done)
	}
	go io.Copy(io.Discard, pr)
	silent, _, err := websocket.DefaultDialer.DialContext(ctx, wsURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close() // never read: the 1001 goes unanswered
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after cancel: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("server still running 5 s after cancel")
	}
}
