package dev

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// startFrontForTest serves a front without a server over a folder holding a page.
func startFrontForTest(t *testing.T) (*httptest.Server, *broker) {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "sample.html"), []byte("<!DOCTYPE html>\n<html><head><title>t</title></head><body></body></html>"), 0o644)
	f := &front{dir: dir, page: "sample.html", events: newBroker()}
	srv := httptest.NewServer(f)
	f.origins = []string{srv.URL}
	t.Cleanup(func() { f.events.close(); srv.Close() })
	return srv, f.events
}

func get(t *testing.T, url, origin string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// The page gets the helper script in its head; the helper is served; other origins may
// not listen; without a server behind it, the rest is 502.
func TestFrontServesPageHelperAndChecksOrigin(t *testing.T) {
	srv, _ := startFrontForTest(t)
	for _, path := range []string{"/", "/sample.html"} {
		resp := get(t, srv.URL+path, "")
		b := make([]byte, 4096)
		n, _ := resp.Body.Read(b)
		if !strings.Contains(string(b[:n]), `<head>`+"\n"+`<script src="/__dev/client.js"></script><title>`) {
			t.Errorf("%s: helper not first in <head>:\n%s", path, b[:n])
		}
		if resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: cacheable", path)
		}
	}
	if resp := get(t, srv.URL+ClientPath, srv.URL); resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") {
		t.Errorf("client.js: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	if resp := get(t, srv.URL+EventsPath, "http://evil.example"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("events from another origin: %s", resp.Status)
	}
	if resp := get(t, srv.URL+"/WebSocketMain.swf", ""); resp.StatusCode != http.StatusBadGateway {
		t.Errorf("no server: %s", resp.Status)
	}
}

// A page that connects while the build is failing hears the error at once; the next good
// build sends reload; multi-line messages arrive whole; listeners past the limit get 503.
func TestEventStream(t *testing.T) {
	srv, events := startFrontForTest(t)
	events.publish(event{name: "error", data: "a.as:1:2: error: x\n    context line"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ch, err := listen(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	want := []event{{"error", "a.as:1:2: error: x\n    context line"}, {"reload", ""}}
	var got []event
	got = append(got, <-ch)
	events.publish(event{name: "reload"})
	got = append(got, <-ch)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("events %+v, want %+v", got, want)
	}
	for i := 1; i < MaxListeners; i++ {
		if _, err := listen(ctx, srv.URL); err != nil {
			t.Fatalf("listener %d: %v", i+1, err)
		}
	}
	if _, err := listen(ctx, srv.URL); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("listener past the limit: %v", err)
	}
}

// SERVE_FLAGS: -addr is the front's, list flags are merged with dev's, flags dev cannot
// honour are refused, the rest reach the server as given.
func TestServerFlags(t *testing.T) {
	f, err := parseServerFlags(strings.Fields("-addr 127.0.0.1:9000 -origins=https://a.example -max-conns 7 -bridge-allow 10.0.0.1:80 -log-level=debug"), DefaultAddr)
	if err != nil {
		t.Fatal(err)
	}
	bound := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9000}
	origins := frontOrigins(f.addr, bound)
	if f.addr != "127.0.0.1:9000" || !reflect.DeepEqual(origins, []string{"http://127.0.0.1:9000", "http://localhost:9000"}) {
		t.Fatalf("addr %q origins %v", f.addr, origins)
	}
	args := strings.Join(f.serverArgs("/out", "/ruffle", bound, origins), " ")
	for _, want := range []string{
		"-max-conns 7", "-log-level debug", "-addr 127.0.0.1:0", "-dist /out", "-ruffle-dir /ruffle",
		"-origins http://127.0.0.1:9000,http://localhost:9000,https://a.example",
		"-bridge-allow 127.0.0.1:9000,10.0.0.1:80,localhost:9000",
	} {
		if !strings.Contains(args, want) {
			t.Errorf("server args %q lack %q", args, want)
		}
	}
	for _, bad := range []string{"-tls-cert c.pem", "-dist x", "-version", "-addr nonsense", "-max-conns"} {
		if _, err := parseServerFlags(strings.Fields(bad), DefaultAddr); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
