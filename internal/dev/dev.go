// Package dev is `mage dev`, the contributor loop: debug SWFs and the readable shim built
// into dist/dev/ (which release never reads), rebuilt on every save (AS3 in compiler JVMs
// kept warm, JS with an incremental esbuild context), the server run as serve runs it
// behind a small front that tells open pages over Server-Sent Events to reload, or shows
// them the compiler's error.
package dev

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/web-socket-js/web-socket-js/internal/build"
	"github.com/web-socket-js/web-socket-js/internal/cache"
	"github.com/web-socket-js/web-socket-js/internal/fsutil"
	"github.com/web-socket-js/web-socket-js/internal/jsbundle"
	"github.com/web-socket-js/web-socket-js/internal/project"
	"github.com/web-socket-js/web-socket-js/internal/sdk"
	"github.com/web-socket-js/web-socket-js/internal/swf"
)

// DefaultAddr is where the try-it page is served, as for serve.
const DefaultAddr = "127.0.0.1:10081"

// DefaultPoll is how often sources are checked for saves.
const DefaultPoll = 50 * time.Millisecond

// frontStopGrace bounds the front's shutdown once dev is asked to stop.
const frontStopGrace = time.Second

// Options configure a dev session.
type Options struct {
	Root       string   // the checkout whose sources are watched
	OutDir     string   // where the debug build goes and is served from; "" = <Root>/dist/dev
	CacheDir   string   // compiler cache; "" = <cache>/build
	FlexHome   string   // "" = the pinned Royale compiler
	ServeFlags []string // server flags (SERVE_FLAGS); -addr is the front's address
	ServerBin  string   // the built server; "" = no server (only the front: the latency bench)
	RuffleDir  string   // served at /ruffle/ for the Flash mode
	Poll       time.Duration
	Log        io.Writer // rebuild lines, errors, and the server's output; nil = discard
}

// Session is a running dev loop.
type Session struct {
	opts   Options
	layout project.Layout
	log    io.Writer
	events *broker
	ln     net.Listener
	http   *http.Server
	server *server
	warms  []*swf.Warm
	js     *jsbundle.Incremental
	cancel context.CancelFunc // ends everything started with the session's context
	done   chan struct{}
	err    error
}

// Start builds everything once, starts the server and the front, and watches the sources
// until ctx ends; Wait then returns when everything (server, compilers) has stopped.
func Start(ctx context.Context, o Options) (*Session, error) {
	s := &Session{opts: o, layout: project.Layout{Root: o.Root}, log: o.Log, events: newBroker(), done: make(chan struct{})}
	if s.log == nil {
		s.log = io.Discard
	}
	if s.opts.OutDir == "" {
		s.opts.OutDir = filepath.Join(s.layout.Dist(), "dev")
	}
	if s.opts.Poll <= 0 {
		s.opts.Poll = DefaultPoll
	}
	flags, err := parseServerFlags(o.ServeFlags, DefaultAddr)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(s.opts.OutDir, 0o755); err != nil {
		return nil, err
	}
	ctx, s.cancel = context.WithCancel(ctx)
	ok := false
	defer func() {
		if !ok {
			s.stop()
		}
	}()
	// Listen first: a port in use (another dev or serve) fails before any compiling.
	if s.ln, err = net.Listen("tcp", flags.addr); err != nil {
		return nil, fmt.Errorf("dev: listen on %s: %w", flags.addr, err)
	}
	// The first look at the sources is taken before the first build, so that a save made
	// during it, or right after Start returns (the bench's first edit), is rebuilt. Taken
	// in the loop's goroutine, it could see such a save already, and never rebuild it.
	p := newPoller(s.layout.FlashApp(), s.layout.FlashAPI(), filepath.Join(s.layout.JS(), "src"), filepath.Join(s.layout.JS(), "sample.html"))
	if err := s.startBuilders(ctx); err != nil {
		return nil, err
	}
	s.rebuildAll(ctx)
	if err := s.startFront(ctx, flags); err != nil {
		return nil, err
	}
	ok = true
	go warmUp(ctx, append([]*swf.Warm(nil), s.warms...))
	go s.loop(ctx, p)
	return s, nil
}

// warmUpCompiles is how many throwaway compiles each compiler makes after the start.
const warmUpCompiles = 3

// warmUp lets the compilers' JITs warm up while the contributor opens the page; a save
// meanwhile waits for the compile in progress.
func warmUp(ctx context.Context, warms []*swf.Warm) {
	var wg sync.WaitGroup
	for _, w := range warms {
		wg.Add(1)
		go func() { defer wg.Done(); w.WarmUp(ctx, warmUpCompiles) }()
	}
	wg.Wait()
}

// startBuilders starts one warm compiler per SWF and the esbuild context.
func (s *Session) startBuilders(ctx context.Context) error {
	if err := s.startWarms(ctx); err != nil {
		return err
	}
	var err error
	s.js, err = jsbundle.NewIncremental(jsbundle.Options{JSDir: s.layout.JS(), OutDir: s.opts.OutDir, Version: "dev"})
	return err
}

// startWarms resolves the compiler and starts a warm one per SWF (the Flash API
// declarations are compiled first when they changed).
func (s *Session) startWarms(ctx context.Context) error {
	tc, err := sdk.Resolve(ctx, sdk.Options{FlexHome: s.opts.FlexHome})
	if err != nil {
		return err
	}
	cacheDir := s.opts.CacheDir
	if cacheDir == "" {
		cacheDir = filepath.Join(cache.Dir(), "build")
	}
	c := &swf.Compiler{Toolchain: tc, APIDir: s.layout.FlashAPI(), CacheDir: cacheDir, Log: s.log}
	// One after the other: the first one compiles the Flash API library if needed, and
	// starting a JVM does not wait for it to be ready.
	for _, name := range build.SWFNames {
		w, err := c.StartWarm(ctx, swf.Target{
			Entry:       filepath.Join(s.layout.FlashApp(), name+".as"),
			SourcePaths: []string{s.layout.FlashApp()},
			Output:      filepath.Join(s.opts.OutDir, name+".swf"),
			Debug:       true,
		})
		if err != nil {
			return err
		}
		s.warms = append(s.warms, w)
	}
	return nil
}

// startFront starts the server behind the front's listener, and serves.
func (s *Session) startFront(ctx context.Context, flags serverFlags) error {
	var err error
	bound := s.ln.Addr().(*net.TCPAddr)
	origins := frontOrigins(flags.addr, bound)
	f := &front{dir: s.opts.OutDir, page: flags.page, origins: origins, events: s.events}
	if s.opts.ServerBin != "" {
		args := flags.serverArgs(s.opts.OutDir, s.opts.RuffleDir, bound, origins)
		if s.server, err = startServer(ctx, s.opts.ServerBin, args, s.log); err != nil {
			return err
		}
		f.proxy = newProxy(s.server.addr)
	}
	s.http = newHTTPServer(f)
	go s.http.Serve(limit(s.ln, MaxFrontConns))
	fmt.Fprintf(s.log, "dev: try it at %s (Flash mode: %s?mode=flash&debug=1); saves under flash-src/ and js/ rebuild and reload it; Ctrl-C stops\n", s.URL(), s.URL())
	return nil
}

// URL is the try-it page's address.
func (s *Session) URL() string { return origin(s.ln.Addr()) + "/" }

func origin(a net.Addr) string {
	tcp := a.(*net.TCPAddr)
	host := tcp.IP.String()
	if tcp.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, fmt.Sprint(tcp.Port))
}

// CompilerPIDs are the warm compiler JVMs' process ids (for the test that none outlives
// the session).
func (s *Session) CompilerPIDs() []int {
	var pids []int
	for _, w := range s.warms {
		if pid := w.PID(); pid != 0 {
			pids = append(pids, pid)
		}
	}
	return pids
}

// ServerPID is the server's process id, or 0 without a server.
func (s *Session) ServerPID() int {
	if s.server == nil {
		return 0
	}
	return s.server.pid
}

// Wait blocks until the session has stopped: ctx ended and every process it started
// has exited.
func (s *Session) Wait() error {
	<-s.done
	return s.err
}

// loop polls the sources with p and rebuilds what a save touched, until ctx ends.
func (s *Session) loop(ctx context.Context, p *poller) {
	defer close(s.done)
	defer s.stop()
	tick := time.NewTicker(s.opts.Poll)
	defer tick.Stop()
	var again []string // files of a failed build to build again with newer saves
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		changed := s.settle(ctx, p, append(again, p.changed()...))
		again = nil
		if len(changed) == 0 || ctx.Err() != nil {
			continue
		}
		failures, built := s.rebuild(ctx, changed)
		if len(failures) > 0 {
			// A save during the build, or the rest of one the build caught half written
			// (a writer stalled between truncating and writing), makes its errors stale:
			// build again rather than show them.
			if more := p.changed(); len(more) > 0 {
				again = append(changed, more...)
				continue
			}
		}
		if built {
			s.report(failures)
		}
	}
}

// settle waits until a save is complete (editors may write a file in several steps):
// until one more poll finds nothing new, at most ten polls.
func (s *Session) settle(ctx context.Context, p *poller, changed []string) []string {
	for i := 0; i < 10 && len(changed) > 0; i++ {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(s.opts.Poll / 2):
		}
		more := p.changed()
		if len(more) == 0 {
			break
		}
		changed = append(changed, more...)
	}
	return changed
}

// stop ends the front, the event streams, the compilers and the server.
func (s *Session) stop() {
	s.cancel()
	s.events.close()
	if s.http == nil && s.ln != nil {
		s.ln.Close() // listening, never served
	}
	if s.http != nil {
		sctx, cancel := context.WithTimeout(context.Background(), frontStopGrace)
		s.http.Shutdown(sctx)
		cancel()
		s.http.Close()
	}
	var errs []error
	for _, w := range s.warms {
		if err := w.Close(); err != nil && !isStopped(err) {
			errs = append(errs, err)
		}
	}
	if s.js != nil {
		s.js.Close()
	}
	if s.server != nil {
		<-s.server.done // its context is the session's: it is already stopping
	}
	s.err = errors.Join(errs...)
}

// isStopped: the JVM ended because its input closed or it was killed on Ctrl-C.
func isStopped(err error) bool {
	var exit interface{ ExitCode() int }
	return errors.As(err, &exit)
}

// rebuild brings the outputs a set of changed files affects up to date, and says what
// failed and whether anything was built (pages are to be told). Only sources count: an
// editor's swap and backup files beside them change nothing.
func (s *Session) rebuild(ctx context.Context, changed []string) (failures []string, built bool) {
	var as3 []string
	var api, js, page bool
	for _, p := range changed {
		switch {
		case within(s.layout.FlashAPI(), p):
			api = api || strings.HasSuffix(p, ".as")
		case within(s.layout.FlashApp(), p):
			if strings.HasSuffix(p, ".as") && !contains(as3, p) {
				as3 = append(as3, p)
			}
		case within(filepath.Join(s.layout.JS(), "src"), p):
			js = js || strings.HasSuffix(p, ".js")
		case filepath.Base(p) == "sample.html":
			page = true
		}
	}
	// No compilers: the declarations failed to compile last time, so try them again.
	api = api || len(as3) > 0 && len(s.warms) == 0
	if api {
		fmt.Fprintf(s.log, "dev: the Flash API declarations changed: compiling them and starting the compilers again\n")
		if err := s.restartWarms(ctx); err != nil {
			failures = append(failures, s.relative(err.Error()))
		}
	}
	if len(as3) > 0 || api {
		failures = append(failures, s.compileSWFs(ctx, api, as3)...)
	}
	if js {
		failures = append(failures, s.bundleJS()...)
	}
	if page {
		failures = append(failures, s.copyPage()...)
	}
	return failures, len(as3) > 0 || api || js || page
}

// rebuildAll builds everything once at the start; a failure is shown like any other.
func (s *Session) rebuildAll(ctx context.Context) {
	var failures []string
	failures = append(failures, s.compileSWFs(ctx, true, nil)...)
	failures = append(failures, s.bundleJS()...)
	failures = append(failures, s.copyPage()...)
	s.report(failures)
}

// report tells pages: reload after a good build, the errors after a failed one.
func (s *Session) report(failures []string) {
	if len(failures) == 0 {
		s.events.publish(event{name: "reload"})
		return
	}
	msg := strings.Join(failures, "\n")
	fmt.Fprintf(s.log, "dev: build failed:\n%s\n", msg)
	s.events.publish(event{name: "error", data: msg})
}

// compileSWFs recompiles, at once and each in its warm JVM, every SWF that uses one of
// the changed files (all of them, fully, when all is set): an edit to WebSocketMain.as or
// a file under websocketjs/ rebuilds both, one to WebSocketMainInsecure.as only that SWF.
func (s *Session) compileSWFs(ctx context.Context, all bool, changed []string) []string {
	errs := make([]error, len(s.warms))
	var wg sync.WaitGroup
	for i, w := range s.warms {
		if !all && !dependsOnAny(w, changed) {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var files []string // nil: compile everything
			if !all {
				files = changed
			}
			res, err := w.Compile(ctx, files)
			if err == nil {
				fmt.Fprintf(s.log, "dev: rebuilt %s in %d ms\n", filepath.Base(res.Target.Output), res.Duration.Milliseconds())
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	var out []string
	for _, err := range errs {
		if err == nil || ctx.Err() != nil {
			continue
		}
		// Both SWFs report an error in a shared file alike: show it once.
		if msg := s.relative(diagnostics(err)); !contains(out, msg) {
			out = append(out, msg)
		}
	}
	return out
}

// diagnostics drops the "compiling <entry>:" line the compiler's errors come under.
func diagnostics(err error) string {
	msg := err.Error()
	if first, rest, ok := strings.Cut(msg, "\n"); ok && strings.HasPrefix(first, "compiling ") {
		return rest
	}
	return msg
}

// restartWarms starts the compilers again after a Flash API declaration changed: the
// declarations are compiled into the library the compilers were started with.
func (s *Session) restartWarms(ctx context.Context) error {
	for _, w := range s.warms {
		w.Close()
	}
	s.warms = nil
	return s.startWarms(ctx)
}

func (s *Session) bundleJS() []string {
	start := time.Now()
	if _, err := s.js.Rebuild(); err != nil {
		return []string{s.relative(strings.TrimPrefix(err.Error(), "jsbundle: esbuild:\n"))}
	}
	fmt.Fprintf(s.log, "dev: rebuilt web_socket.js in %d ms\n", time.Since(start).Milliseconds())
	return nil
}

func (s *Session) copyPage() []string {
	if _, err := fsutil.CopyIfChanged(filepath.Join(s.layout.JS(), "sample.html"), filepath.Join(s.opts.OutDir, "sample.html")); err != nil {
		return []string{err.Error()}
	}
	return nil
}

// relative shortens the checkout's absolute paths in compiler messages to paths from its
// root, which terminals and editors opened there link to.
func (s *Session) relative(msg string) string {
	return strings.ReplaceAll(msg, s.opts.Root+string(filepath.Separator), "")
}

func within(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func dependsOnAny(w *swf.Warm, files []string) bool {
	for _, f := range files {
		if w.DependsOn(f) {
			return true
		}
	}
	return false
}
