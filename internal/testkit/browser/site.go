package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/web-socket-js/web-socket-js/internal/ruffle"
)

// Site serves test pages on 127.0.0.1, with the pinned Ruffle under /ruffle/.
type Site struct {
	Mux *http.ServeMux
	URL string // http://127.0.0.1:PORT
	srv *httptest.Server
}

// NewSite starts a site for t, stopped when t ends.
func NewSite(t testing.TB) *Site {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir, err := ruffle.Dir(ctx)
	if err != nil {
		t.Fatalf("Ruffle: %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/ruffle/", http.StripPrefix("/ruffle/", http.FileServer(http.Dir(dir))))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: noCache(mux)}}
	srv.Start()
	t.Cleanup(srv.Close)
	return &Site{Mux: mux, URL: srv.URL, srv: srv}
}

func noCache(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

// Handle mounts a handler.
func (s *Site) Handle(pattern string, h http.Handler) { s.Mux.Handle(pattern, h) }

// File serves a local file at path.
func (s *Site) File(path, file string) {
	s.Mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, file) })
}

// HTML serves a page at path.
func (s *Site) HTML(path, page string) {
	s.Mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	})
}

// Port is the site's TCP port.
func (s *Site) Port() int { return s.srv.Listener.Addr().(*net.TCPAddr).Port }

// WSURL is the ws:// form of a path on this site.
func (s *Site) WSURL(path string) string { return "ws" + strings.TrimPrefix(s.URL, "http") + path }

// SocketProxy routes a Flash socket connect to (Host, Port) through a WebSocket at
// ProxyURL (Ruffle's socketProxy setting).
type SocketProxy struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`
	ProxyURL string `json:"proxyUrl"`
}

// RuffleHead returns the <script> tags that configure and load Ruffle for a test page:
// autoplay, no overlays, script access allowed, canvas rendering (many instances), and
// the given socket proxies.
func RuffleHead(proxies ...SocketProxy) string {
	if proxies == nil {
		proxies = []SocketProxy{}
	}
	cfg := map[string]any{
		"autoplay": "on", "unmuteOverlay": "hidden", "splashScreen": false,
		"allowScriptAccess": true, "preferredRenderer": "canvas", "logLevel": "warn",
		"socketProxy": proxies, "publicPath": "/ruffle/",
	}
	b, _ := json.Marshal(cfg)
	return "<script>window.RufflePlayer = window.RufflePlayer || {}; window.RufflePlayer.config = " + string(b) + ";</script>\n" +
		`<script src="/ruffle/ruffle.js"></script>` + "\n"
}

// EmbedSWF returns an <object> embedding swfURL with the same id and name (Ruffle's
// ExternalInterface.objectID is the name) and the given flash vars.
func EmbedSWF(id, swfURL, flashvars string) string {
	a := html.EscapeString
	return fmt.Sprintf(`<object type="application/x-shockwave-flash" data="%s" id="%s" name="%s" width="1" height="1">`+
		`<param name="movie" value="%s"><param name="allowScriptAccess" value="always"><param name="allowNetworking" value="all">`+
		`<param name="flashvars" value="%s"></object>`, a(swfURL), a(id), a(id), a(swfURL), a(flashvars))
}
