package ratelog

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/web-socket-js/web-socket-js/internal/testkit/syncbuf"
)

func TestRepeatsAreCountedNotWritten(t *testing.T) {
	var out syncbuf.Buffer
	h := New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}), time.Hour)
	log := slog.New(h)
	for i := range 1000 {
		log.With("remote", i).Warn("refused")
	}
	log.Info("other")
	log.Debug("detail")
	log.Debug("detail")
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("want 4 lines (refused once, other, detail twice), got %d:\n%s", len(lines), out.String())
	}
	h.Flush()
	last := strings.TrimSpace(out.String())
	last = last[strings.LastIndex(last, "\n")+1:]
	if !strings.Contains(last, `msg="refused (repeated)"`) || !strings.Contains(last, "times=999") ||
		!strings.Contains(last, "level=WARN") || strings.Contains(last, "remote=") {
		t.Fatalf("summary line %q", last)
	}
	// A new interval writes the message again.
	log.Warn("refused")
	if got := strings.Count(out.String(), `msg=refused`); got != 2 {
		t.Fatalf("after the flush, refused written %d times in all, want 2", got)
	}
}

func TestIntervalEndWritesTheCount(t *testing.T) {
	var out syncbuf.Buffer
	log := slog.New(New(slog.NewTextHandler(&out, nil), 50*time.Millisecond))
	for range 3 {
		log.Info("bad request")
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), "times=2"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no summary after the interval:\n%s", out.String())
		}
	}
	// Nothing repeated in a window: no summary.
	log.Info("once")
	time.Sleep(200 * time.Millisecond)
	if strings.Contains(out.String(), "once (repeated)") {
		t.Fatal("a summary for a message that was not repeated")
	}
}
