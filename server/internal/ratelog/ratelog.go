// Package ratelog keeps a log readable under attack: a message logged at
// info or above is written at most once per interval, and how many times it
// came again meanwhile is written as one summary line when the interval
// ends. Refusals (bad policy requests, foreign origins, full limits) are
// logged where they happen, once per connection; behind this handler an
// attacker's thousand connections cost two lines, not a thousand.
//
// Debug records pass through unchanged: an operator who asks for them wants
// every connection.
package ratelog

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// DefaultInterval is how often a repeated message may be written.
const DefaultInterval = 10 * time.Second

// Handler wraps another slog.Handler. Build it with New.
type Handler struct {
	next slog.Handler // with this clone's attributes and groups
	st   *state       // shared by every clone
}

type state struct {
	root     slog.Handler // summaries go here, free of one connection's attributes
	interval time.Duration

	mu      sync.Mutex
	windows map[string]*window // by message
}

// window is one message's current interval.
type window struct {
	level    slog.Level
	repeated int
	timer    *time.Timer
}

// New returns a Handler writing to next; interval ≤ 0 means DefaultInterval.
func New(next slog.Handler, interval time.Duration) *Handler {
	if interval <= 0 {
		interval = DefaultInterval
	}
	return &Handler{next: next, st: &state{root: next, interval: interval, windows: make(map[string]*window)}}
}

// Enabled is next's.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

// Handle writes r unless its message was already written in this interval,
// in which case it is only counted.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelInfo && !h.st.first(r.Message, r.Level) {
		return nil
	}
	return h.next.Handle(ctx, r)
}

// WithAttrs and WithGroup keep the shared counts.
func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	return &Handler{next: h.next.WithAttrs(as), st: h.st}
}

func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{next: h.next.WithGroup(name), st: h.st}
}

// first reports whether msg opens a new interval (and should be written);
// otherwise it counts it.
func (s *state) first(msg string, level slog.Level) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w := s.windows[msg]; w != nil {
		w.repeated++
		w.level = max(w.level, level)
		return false
	}
	w := &window{level: level}
	w.timer = time.AfterFunc(s.interval, func() { s.end(msg, w) })
	s.windows[msg] = w
	return true
}

// end closes msg's interval, writing the count of repeats if there were any.
func (s *state) end(msg string, w *window) {
	s.mu.Lock()
	if s.windows[msg] != w {
		s.mu.Unlock()
		return
	}
	delete(s.windows, msg)
	n := w.repeated
	s.mu.Unlock()
	s.summary(msg, w.level, n)
}

func (s *state) summary(msg string, level slog.Level, n int) {
	if n == 0 {
		return
	}
	r := slog.NewRecord(time.Now(), level, msg+" (repeated)", 0)
	r.AddAttrs(slog.Int("times", n), slog.Duration("within", s.interval))
	s.root.Handle(context.Background(), r)
}

// Flush ends every open interval now, writing their counts (at shutdown, so
// none is lost).
func (h *Handler) Flush() {
	s := h.st
	s.mu.Lock()
	ws := s.windows
	s.windows = make(map[string]*window)
	s.mu.Unlock()
	for msg, w := range ws {
		w.timer.Stop()
		s.summary(msg, w.level, w.repeated)
	}
}
