package dev

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/web-socket-js/web-socket-js/internal/project"
	"github.com/web-socket-js/web-socket-js/internal/ruffle"
	"github.com/web-socket-js/web-socket-js/internal/serverproc"
	"github.com/web-socket-js/web-socket-js/internal/testkit/browser"
	"github.com/web-socket-js/web-socket-js/internal/testkit/syncbuf"
)

// edit replaces old with new in the file at root/rel, failing the test if old is absent.
func edit(t *testing.T, root, rel, old, new string) {
	t.Helper()
	p := filepath.Join(root, rel)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s does not hold %q", rel, old)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// next waits for the next event on the stream.
func next(t *testing.T, events <-chan event, log *syncbuf.Buffer) event {
	t.Helper()
	select {
	case ev, ok := <-events:
		if !ok {
			t.Fatalf("the event stream ended; dev said:\n%s", log)
		}
		return ev
	case <-time.After(2 * time.Minute):
		t.Fatalf("no event within 2 minutes; dev said:\n%s", log)
	}
	return event{}
}

// connectAndSee clicks Connect on the try-it page (Flash mode, debug on) and waits for a
// log line holding want.
func connectAndSee(t *testing.T, page *browser.Page, want string) {
	t.Helper()
	page.WaitFor(t, `document.readyState === "complete" && !!document.getElementById("connect") && !!window.WebSocket && window.WebSocket.__isFlashImplementation === true`, 30*time.Second)
	page.MustEval(`document.getElementById("connect").click(), true`, nil)
	page.WaitFor(t, fmt.Sprintf(`document.getElementById("log").textContent.indexOf(%q) >= 0`, want), 30*time.Second)
}

// The whole loop on a copy of the sources, in a real browser: the AS3 log string a
// connect prints changes after an edit and a reload; a syntax error reaches the page as
// an error event and an overlay naming file and line, the fix reloads; a JS edit
// reloads and shows; and stopping leaves no compiler or server process behind.
func TestDevLoopRebuildsReloadsAndStopsClean(t *testing.T) {
	b := browser.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	realRoot, root := copyOfSources(t)
	bin, err := serverproc.Build(ctx, realRoot, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ruffleDir, err := ruffle.Dir(ctx)
	if err != nil {
		t.Fatal(err)
	}
	log := &syncbuf.Buffer{}
	devCtx, stop := context.WithCancel(ctx)
	defer stop()
	s, err := Start(devCtx, Options{Root: root, ServeFlags: []string{"-addr", "127.0.0.1:0"}, ServerBin: bin, RuffleDir: ruffleDir, Log: log})
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	base := strings.TrimSuffix(s.URL(), "/")
	events, err := listen(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	if dist, _ := os.ReadDir(filepath.Join(root, "dist")); len(dist) != 1 || dist[0].Name() != "dev" {
		t.Fatalf("dev wrote into dist/ outside dist/dev: %v", dist)
	}
	// Native mode's path: a WebSocket through the front to the server's echo.
	ws, _, err := websocket.DefaultDialer.DialContext(ctx, "ws"+strings.TrimPrefix(base, "http")+"/echo", http.Header{"Origin": {base}})
	if err != nil {
		t.Fatalf("WebSocket through the front: %v", err)
	}
	ws.WriteMessage(websocket.TextMessage, []byte("through the front"))
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, msg, err := ws.ReadMessage(); err != nil || string(msg) != "through the front" {
		t.Fatalf("echo through the front: %q %v", msg, err)
	}
	ws.Close()

	page := b.Open(t, s.URL()+"?mode=flash&debug=1")
	connectAndSee(t, page, "[WebSocket] connecting to 127.0.0.1:")

	// An AS3 edit: reload event, the page reloads itself, the SWF logs the new text.
	page.MustEval(`window.beforeEdit = true`, nil)
	edit(t, root, benchAS3File, `"connecting to "`, `"dialling "`)
	if ev := next(t, events, log); ev.name != "reload" {
		t.Fatalf("after an AS3 edit: %+v\n%s", ev, log)
	}
	page.WaitFor(t, `window.beforeEdit === undefined`, 30*time.Second)
	connectAndSee(t, page, "[WebSocket] dialling 127.0.0.1:")
	for _, name := range []string{"WebSocketMain.swf", "WebSocketMainInsecure.swf"} {
		if !strings.Contains(log.String(), "dev: rebuilt "+name+" in ") {
			t.Errorf("no rebuild line for %s:\n%s", name, log)
		}
	}

	// A syntax error: an error event naming file and line, shown over the page.
	edit(t, root, benchAS3File, `"dialling "`, `"dialling " +;`)
	ev := next(t, events, log)
	where := fmt.Sprintf("%s:%d:", benchAS3File, lineOf(t, filepath.Join(root, benchAS3File), `"dialling " +;`))
	if ev.name != "error" || !strings.Contains(ev.data, where) {
		t.Fatalf("after a syntax error: %+v", ev)
	}
	if !strings.Contains(log.String(), where) {
		t.Errorf("the terminal does not show %s:\n%s", where, log)
	}
	page.WaitFor(t, fmt.Sprintf(`(document.getElementById("wsjs-dev-error") || {textContent: ""}).textContent.indexOf(%q) >= 0`, where), 30*time.Second)
	page.MustEval(`window.beforeFix = true`, nil)
	edit(t, root, benchAS3File, `"dialling " +;`, `"dialling "`)
	if ev := next(t, events, log); ev.name != "reload" {
		t.Fatalf("after the fix: %+v", ev)
	}
	page.WaitFor(t, `window.beforeFix === undefined && !document.getElementById("wsjs-dev-error")`, 30*time.Second)

	// A JS edit: reload, and the shim's new log prefix shows.
	page.MustEval(`window.beforeJSEdit = true`, nil)
	edit(t, root, benchJSFile, `"[WebSocket] "`, `"[WS-dev] "`)
	if ev := next(t, events, log); ev.name != "reload" {
		t.Fatalf("after a JS edit: %+v", ev)
	}
	page.WaitFor(t, `window.beforeJSEdit === undefined`, 30*time.Second)
	connectAndSee(t, page, "[WS-dev] dialling 127.0.0.1:")

	// An edit to WebSocketMainInsecure.as rebuilds only that SWF: WebSocketMain does
	// not use it.
	before := len(log.String())
	edit(t, root, "flash-src/src/WebSocketMainInsecure.as", "super();", "super(); // edited")
	if ev := next(t, events, log); ev.name != "reload" {
		t.Fatalf("after an edit to WebSocketMainInsecure.as: %+v", ev)
	}
	if since := log.String()[before:]; !strings.Contains(since, "rebuilt WebSocketMainInsecure.swf") || strings.Contains(since, "rebuilt WebSocketMain.swf") {
		t.Errorf("after an edit to WebSocketMainInsecure.as:\n%s", since)
	}

	// Stop: the session ends, and with it every process it started.
	pids := append(s.CompilerPIDs(), s.ServerPID())
	if len(pids) != 3 {
		t.Fatalf("want two compiler JVMs and a server, got pids %v", pids)
	}
	stop()
	if err := s.Wait(); err != nil {
		t.Errorf("stopping: %v", err)
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("process %d still running after dev stopped", pid)
		}
	}
	if os.Getenv("WSJS_DEV_SHOW") != "" {
		t.Logf("dev said:\n%s", log)
	}
	if kids := childProcesses(t); len(kids) > 0 {
		t.Errorf("processes started by the test still running: %v", kids)
	}
}

// lineOf is the 1-based line of the first s in the file.
func lineOf(t *testing.T, file, s string) int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(b), s)
	if i < 0 {
		t.Fatalf("%s does not hold %q", file, s)
	}
	return 1 + strings.Count(string(b[:i]), "\n")
}

func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	return err == nil && p.Signal(syscall.Signal(0)) == nil
}

// childProcesses lists this process's children that are a JVM or the server (Linux: from
// /proc; elsewhere nothing to list).
func childProcesses(t *testing.T) []string {
	if runtime.GOOS != "linux" {
		return nil
	}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var out []string
	for _, st := range stats {
		b, err := os.ReadFile(st)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so read after the last ')'.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		fields := strings.Fields(s[i+1:])
		if len(fields) < 2 || fields[1] != strconv.Itoa(os.Getpid()) {
			continue
		}
		cmd, _ := os.ReadFile(filepath.Join(filepath.Dir(st), "cmdline"))
		line := string(bytes.ReplaceAll(cmd, []byte{0}, []byte{' '}))
		if strings.Contains(line, "WarmMXMLC") || strings.Contains(line, "web-socket-js-server") || strings.Contains(line, "java") {
			out = append(out, strings.TrimSpace(line))
		}
	}
	return out
}

// A save made the moment Start returns is rebuilt: the loop's first look at the sources is
// taken before that. (On one P the loop's goroutine has not run yet when this save lands;
// a first look taken there once swallowed the bench's first edit, and no reload came.)
// A save under flash-src/api reloads pages too, and a save caught half written shows no
// stale errors.
func TestSavesRightAfterStartToTheFlashAPIAndHalfWrittenAreRebuilt(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	_, root := copyOfSources(t)
	log := &syncbuf.Buffer{}
	devCtx, stop := context.WithCancel(ctx)
	defer stop()
	procs := runtime.GOMAXPROCS(1)
	s, err := Start(devCtx, Options{Root: root, ServeFlags: []string{"-addr", "127.0.0.1:0"}, Log: log})
	if err == nil {
		// A syntax error: its event is replayed to a page that connects later.
		edit(t, root, benchAS3File, `"connecting to "`, `"connecting to " +;`)
	}
	runtime.GOMAXPROCS(procs)
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	defer s.Wait()
	defer stop()
	events, err := listen(ctx, strings.TrimSuffix(s.URL(), "/"))
	if err != nil {
		t.Fatal(err)
	}
	if ev := next(t, events, log); ev.name != "error" || !strings.Contains(ev.data, benchAS3File+":") {
		t.Fatalf("after a save right after the start: %+v\n%s", ev, log)
	}
	edit(t, root, benchAS3File, `"connecting to " +;`, `"connecting to "`)
	if ev := next(t, events, log); ev.name != "reload" {
		t.Fatalf("after the fix: %+v\n%s", ev, log)
	}

	// An edit to a Flash API declaration: the library is compiled again, the compilers
	// restart with it, both SWFs are rebuilt, and pages reload.
	before := len(log.String())
	api := filepath.Join(root, "flash-src", "api", "flash", "utils", "getTimer.as")
	b, err := os.ReadFile(api)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(api, append(b, "\n// edited\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, events, log); ev.name != "reload" {
		t.Fatalf("after an edit to a Flash API declaration: %+v\n%s", ev, log)
	}
	since := log.String()[before:]
	for _, want := range []string{"the Flash API declarations changed", "rebuilt WebSocketMain.swf", "rebuilt WebSocketMainInsecure.swf"} {
		if !strings.Contains(since, want) {
			t.Errorf("after an edit to a Flash API declaration, dev did not say %q:\n%s", want, since)
		}
	}

	// A save caught half written (truncated, the rest written while the compile of the
	// empty file runs, as a writer stalled on a busy machine does): the empty file's errors
	// are stale by the time the compile ends, and pages see only the reload.
	file := filepath.Join(root, benchAS3File)
	good, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond) // the poll (50 ms) and settling (25 ms) are over
	if err := os.WriteFile(file, []byte(strings.Replace(string(good), `"connecting to "`, `"after a stall "`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, events, log); ev.name != "reload" {
		t.Fatalf("after a save caught half written: %+v\n%s", ev, log)
	}
}

// copyOfSources copies the project's sources into a temporary folder and returns the
// project's root and the copy's.
func copyOfSources(t *testing.T) (realRoot, root string) {
	t.Helper()
	var err error
	realRoot, err = project.Root()
	if err != nil {
		t.Fatal(err)
	}
	root = t.TempDir()
	if err := CopySources(realRoot, root); err != nil {
		t.Fatal(err)
	}
	return realRoot, root
}
