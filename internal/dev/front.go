package dev

import (
	_ "embed"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

//go:embed client.js
var clientJS []byte

// Paths the dev front answers itself; everything else goes to the server.
const (
	EventsPath = "/__dev/events"
	ClientPath = "/__dev/client.js"
)

// Limits of the dev front (documented in flash-src/README.md, Contributing).
const (
	// MaxFrontConns is how many connections the front holds at once (pages, their
	// WebSockets and Ruffle's socket bridge included); more wait to be accepted.
	MaxFrontConns = 256
	// headerTimeout bounds a request's headers; idleTimeout an idle keep-alive connection.
	headerTimeout = 10 * time.Second
	idleTimeout   = 2 * time.Minute
)

// front is the public side of `mage dev`: it serves the event stream and the page
// helper, adds the helper to the try-it page, and proxies the rest (WebSocket upgrades
// included) to the real server, which knows nothing of dev.
type front struct {
	dir     string   // the dev output folder holding the page
	page    string   // the try-it page's file name, served at /
	origins []string // origins allowed on /__dev/ (the front's own)
	events  *broker
	proxy   http.Handler // nil: no server (the latency bench)
}

func newProxy(target string) http.Handler {
	u := &url.URL{Scheme: "http", Host: target}
	return &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.Host = r.In.Host // the server sees the address the browser used
		},
		// Every rebuild replaces files under the same names: never let the browser
		// reuse an old SWF or shim without asking.
		ModifyResponse: func(resp *http.Response) error {
			if resp.StatusCode != http.StatusSwitchingProtocols {
				resp.Header.Set("Cache-Control", "no-store")
			}
			return nil
		},
	}
}

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, "/__dev/"):
		f.serveDev(w, r)
	case isPage(r, f.page):
		f.servePage(w, r)
	case f.proxy == nil:
		http.Error(w, "mage dev runs without a server here", http.StatusBadGateway)
	default:
		f.proxy.ServeHTTP(w, r)
	}
}

// isPage: the try-it page, asked for as a page (a WebSocket upgrade on / is the echo).
func isPage(r *http.Request, page string) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead || r.Header.Get("Upgrade") != "" {
		return false
	}
	return r.URL.Path == "/" || r.URL.Path == "/"+page
}

func (f *front) serveDev(w http.ResponseWriter, r *http.Request) {
	if o := r.Header.Get("Origin"); o != "" && !contains(f.origins, o) {
		http.Error(w, "origin not allowed", http.StatusForbidden)
		return
	}
	if r.Method != http.MethodGet {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch r.URL.Path {
	case EventsPath:
		f.events.ServeHTTP(w, r)
	case ClientPath:
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(clientJS)
	default:
		http.NotFound(w, r)
	}
}

// servePage serves the try-it page with the dev helper script added to its head.
func (f *front) servePage(w http.ResponseWriter, r *http.Request) {
	b, err := os.ReadFile(filepath.Join(f.dir, f.page))
	if err != nil {
		http.Error(w, "no try-it page yet: "+err.Error(), http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte(injectClient(string(b))))
}

// injectClient puts the helper's script tag first in <head>, so it listens even when a
// later script of the page fails.
func injectClient(html string) string {
	tag := `<script src="` + ClientPath + `"></script>`
	lower := strings.ToLower(html)
	if i := strings.Index(lower, "<head>"); i >= 0 {
		i += len("<head>")
		return html[:i] + "\n" + tag + html[i:]
	}
	return tag + "\n" + html
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// limitListener holds at most n accepted connections open at once.
type limitListener struct {
	net.Listener
	slots chan struct{}
}

func limit(l net.Listener, n int) net.Listener {
	return &limitListener{Listener: l, slots: make(chan struct{}, n)}
}

func (l *limitListener) Accept() (net.Conn, error) {
	l.slots <- struct{}{}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.slots }}, nil
}

type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: headerTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    16 << 10,
	}
}
