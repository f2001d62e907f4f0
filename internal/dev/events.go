package dev

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Limits of the event stream (documented in flash-src/README.md, Contributing).
const (
	// MaxListeners is how many pages may listen at once; more get 503.
	MaxListeners = 32
	// heartbeat keeps idle streams (and proxies between) from timing out, and finds
	// pages that went away.
	heartbeat = 15 * time.Second
	// writeTimeout bounds every write to a listener; a page that stops reading is dropped.
	writeTimeout = 10 * time.Second
)

// event is one Server-Sent Event.
type event struct {
	name string // "reload" or "error"
	data string
}

// broker fans build results out to the pages listening on /__dev/events.
type broker struct {
	mu      sync.Mutex
	subs    map[chan event]struct{}
	failing *event // the last result, when it was an error: shown to pages that (re)connect
	closed  bool
}

func newBroker() *broker { return &broker{subs: map[chan event]struct{}{}} }

// publish sends ev to every listener. A listener whose buffer is full is dropped (its
// stream ends and the browser reconnects) rather than blocking the build loop.
func (b *broker) publish(ev event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if ev.name == "error" {
		b.failing = &ev
	} else {
		b.failing = nil
	}
	for ch := range b.subs {
		select {
		case ch <- ev:
		default:
			delete(b.subs, ch)
			close(ch)
		}
	}
}

func (b *broker) subscribe() (chan event, *event, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed || len(b.subs) >= MaxListeners {
		return nil, nil, false
	}
	ch := make(chan event, 16)
	b.subs[ch] = struct{}{}
	return ch, b.failing, true
}

func (b *broker) unsubscribe(ch chan event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.subs[ch]; ok {
		delete(b.subs, ch)
		close(ch)
	}
}

// close ends every stream, so that the HTTP server can shut down.
func (b *broker) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for ch := range b.subs {
		delete(b.subs, ch)
		close(ch)
	}
}

// ServeHTTP streams events to one page until it leaves or dev stops.
func (b *broker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ch, failing, ok := b.subscribe()
	if !ok {
		http.Error(w, "too many pages listening", http.StatusServiceUnavailable)
		return
	}
	defer b.unsubscribe(ch)
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	write := func(s string) bool {
		rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		if _, err := fmt.Fprint(w, s); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	// retry: how soon a page reconnects after dev restarts.
	if !write("retry: 1000\n\n") || failing != nil && !write(failing.encode()) {
		return
	}
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		select {
		case ev, ok := <-ch:
			if !ok || !write(ev.encode()) {
				return
			}
		case <-tick.C:
			if !write(": ping\n\n") {
				return
			}
		case <-r.Context().Done():
			return
		}
	}
}

// encode writes ev in the text/event-stream format: one data line per line of text.
func (ev event) encode() string {
	var s strings.Builder
	s.WriteString("event: " + ev.name + "\n")
	for _, line := range strings.Split(strings.ReplaceAll(ev.data, "\r", ""), "\n") {
		s.WriteString("data: " + line + "\n")
	}
	s.WriteString("\n")
	return s.String()
}

// readEvents parses a text/event-stream into out until it ends (used by the latency
// bench and the tests to listen as a page does).
func readEvents(body io.Reader, out chan<- event) error {
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var ev event
	var data []string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if ev.name != "" {
				ev.data = strings.Join(data, "\n")
				out <- ev
			}
			ev, data = event{}, nil
		case strings.HasPrefix(line, "event: "):
			ev.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = append(data, strings.TrimPrefix(line, "data: "))
		}
	}
	return sc.Err()
}

// listen opens the event stream of the dev front at base (http://host:port) as a page of
// that origin would; events arrive on the returned channel, closed when the stream ends.
func listen(ctx context.Context, base string) (<-chan event, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+EventsPath, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Origin", base)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("%s: %s", EventsPath, resp.Status)
	}
	ch := make(chan event, 64)
	go func() {
		defer close(ch)
		defer resp.Body.Close()
		readEvents(resp.Body, ch)
	}()
	return ch, nil
}
