package swf

import (
	"bufio"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/web-socket-js/web-socket-js/internal/fsutil"
)

// warmDriver is the Java side of Warm: a loop around the compiler's in-process entry point.
//
//go:embed WarmMXMLC.java
var warmDriver []byte

// WarmStopGrace is how long Close lets the JVM exit after its input ends before killing it.
const WarmStopGrace = 2 * time.Second

// WarmTimeout bounds one compile in the warm JVM. A JVM that has not answered by then is
// taken for hung (a deadlocked compiler, a JVM stuck collecting garbage): it is killed and
// replaced, so that a save never waits for an answer that will not come. A full compile of
// the kit's SWFs in a new JVM takes 5–15 s on a loaded 2-core machine; a warm one, under 2 s.
const WarmTimeout = time.Minute

// Warm compiles one target again and again in a JVM kept alive between compiles
// (`mage dev`), recompiling only what changed when it can: the driver keeps the
// compiler's workspace open after a good compile and, given the files a save changed,
// invalidates just those (what Royale's `mxmlc -watch` does on a file event) and writes
// the SWF again. That output is byte for byte what a full compile of the same sources
// writes (the tests check it). New or deleted files, a failed full compile, or any
// trouble in the driver mean a full compile in the same warm JVM.
//
// Royale's own `mxmlc -watch` was tried and not used: it compiled the previous content of
// a file saved by renaming a new file into place (it takes that event for a new file),
// and its process died with a NullPointerException after an edit to the entry class of
// WebSocketMainInsecure. Here the dev loop, not a watch thread, says what changed.
//
// Without a JDK (no javac to build the driver), Warm compiles cold, a JVM per compile.
type Warm struct {
	c      *Compiler
	target Target
	args   []string // compiler arguments without -output
	tmp    string   // the compiler's output file, renamed onto target.Output
	report string   // the link report: which source files the last compile used

	mu       sync.Mutex      // one compile at a time: the protocol is request, reply
	ctx      context.Context // the JVM's lifetime
	classDir string          // the driver's class folder; "": no driver, compile cold
	timeout  time.Duration   // WarmTimeout (tests shorten it)
	closed   bool            // Close was called
	cmd      *exec.Cmd       // the running JVM; nil: none (not started again yet)
	stdin    io.WriteCloser
	stdout   *bufio.Reader
	deps     map[string]bool // source files of the last good compile; nil = unknown
}

// StartWarm prepares t (its Flash API library is built first if needed) and starts the
// JVM. Close stops it; cancelling ctx kills it.
func (c *Compiler) StartWarm(ctx context.Context, t Target) (*Warm, error) {
	api, err := c.apiLibrary(ctx)
	if err != nil {
		return nil, err
	}
	cfg, err := c.writeConfig(api)
	if err != nil {
		return nil, err
	}
	w := &Warm{c: c, target: t, tmp: t.Output + ".warm.tmp", timeout: WarmTimeout}
	// The link report lives in a folder of its own, removed by Close.
	reportDir, err := os.MkdirTemp("", "wsjs-warm-")
	if err != nil {
		return nil, err
	}
	w.report = filepath.Join(reportDir, "link-report.xml")
	w.args = []string{"-load-config=" + cfg, "-link-report=" + w.report}
	for _, sp := range t.SourcePaths {
		w.args = append(w.args, "-source-path+="+sp)
	}
	w.args = append(w.args, compileFlags(t)...)
	if err := os.MkdirAll(filepath.Dir(t.Output), 0o755); err != nil {
		os.RemoveAll(reportDir)
		return nil, err
	}
	classDir, err := c.warmDriverClasses(ctx)
	if err != nil {
		c.logf("no warm compiler (%v); every compile starts a JVM\n", err)
		return w, nil
	}
	w.ctx, w.classDir = ctx, classDir
	if err := w.start(); err != nil {
		os.RemoveAll(reportDir)
		return nil, err
	}
	return w, nil
}

// start runs the driver JVM with the compiler's jars on the class path.
func (w *Warm) start() error {
	ctx, classDir := w.ctx, w.classDir
	tc := w.c.Toolchain
	lib := filepath.Join(tc.Home, "lib")
	cp := strings.Join([]string{classDir, filepath.Join(lib, "mxmlc.jar"), filepath.Join(lib, "compiler.jar"), filepath.Join(lib, "compiler-common.jar")}, string(os.PathListSeparator))
	frameworks := filepath.Join(tc.Home, "frameworks")
	cmd := exec.CommandContext(ctx, tc.Java, "-Dsun.io.useCanonCaches=false", "-Dflexlib="+frameworks,
		"-Djava.awt.headless=true", "-cp", cp, "WarmMXMLC")
	cmd.Stderr = os.Stderr // the JVM's own complaints (out of memory, …); compiler output is on the protocol
	cmd.WaitDelay = WarmStopGrace
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the warm compiler: %w", err)
	}
	w.cmd, w.stdin, w.stdout = cmd, stdin, bufio.NewReader(stdout)
	return nil
}

// PID is the JVM's process id, or 0 when compiles run cold (or after Close).
func (w *Warm) PID() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cmd == nil || w.cmd.Process == nil {
		return 0
	}
	return w.cmd.Process.Pid
}

// Compile compiles the target's current sources and, on success, renames the SWF onto
// Target.Output. changed names the source files saved since the last compile (nil: not
// known, compile everything). A failed compile leaves the previous output alone and
// returns the diagnostics as file:line:col lines.
func (w *Warm) Compile(ctx context.Context, changed []string) (Result, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	res := Result{Target: w.target}
	start := time.Now()
	os.Remove(w.tmp)
	args := append(append([]string{}, w.args...), "-output="+w.tmp, w.target.Entry)
	var err error
	switch {
	case w.closed:
		err = errors.New("the warm compiler is closed")
	case w.classDir == "":
		err = w.c.run(w.c.Toolchain.MXMLC(ctx, args...))
	default:
		args = append([]string{"+flexlib=" + filepath.Join(w.c.Toolchain.Home, "frameworks")}, args...)
		res.Incremental, err = w.askWarm(changed, args)
	}
	if err != nil {
		os.Remove(w.tmp)
		w.deps = nil // a fix may be in any file
		return res, fmt.Errorf("compiling %s:\n%w", w.target.Entry, err)
	}
	res.Compiled, res.Duration = true, time.Since(start)
	w.deps = readLinkReport(w.report, w.target.SourcePaths)
	if err := os.Rename(w.tmp, w.target.Output); err != nil {
		return res, err
	}
	st, err := os.Stat(w.target.Output)
	if err == nil {
		res.Size = st.Size()
	}
	return res, err
}

// WarmUp compiles the unchanged sources n times, incrementally, so that the JVM's JIT has
// compiled the compiler before the first real save (the first incremental compiles of a
// new JVM are several times slower). The output is rewritten with the same bytes.
func (w *Warm) WarmUp(ctx context.Context, n int) {
	for i := 0; i < n && ctx.Err() == nil; i++ {
		if _, err := w.Compile(ctx, []string{w.target.Entry}); err != nil {
			return
		}
	}
}

// DependsOn tells whether a change to the source file at path can change the output:
// whether the last good compile used it. Before a good compile every file counts.
func (w *Warm) DependsOn(path string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.deps == nil || w.deps[path]
}

// linkedScript is a script entry in mxmlc's link report, e.g.
// name="64ffeaa9:WebSocket_as:websocketjs.WebSocket": the file's name and its package.
var linkedScript = regexp.MustCompile(`<script [^>]*name="[^":]*:([^":]+)_as:([^"]+)"`)

// readLinkReport returns the source files a link report lists, found in sourcePaths; nil
// when the report cannot be read.
func readLinkReport(path string, sourcePaths []string) map[string]bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	deps := map[string]bool{}
	for _, m := range linkedScript.FindAllStringSubmatch(string(b), -1) {
		rel := m[1] + ".as"
		if i := strings.LastIndexByte(m[2], '.'); i >= 0 {
			rel = filepath.Join(strings.ReplaceAll(m[2][:i], ".", string(filepath.Separator)), rel)
		}
		for _, sp := range sourcePaths {
			if p := filepath.Join(sp, rel); fileExists(p) {
				deps[p] = true
			}
		}
	}
	if len(deps) == 0 {
		return nil
	}
	return deps
}

// askWarm has the JVM compile. A JVM that dies or hangs (no answer within w.timeout) is
// replaced and asked for a full compile, once; when that one fails to answer too, the
// next compile starts yet another JVM: one bad JVM never stops the dev loop.
func (w *Warm) askWarm(changed, args []string) (bool, error) {
	if w.cmd == nil {
		if err := w.start(); err != nil {
			return false, err
		}
	}
	incremental, err := w.ask(changed, args)
	if !errors.Is(err, errDriverStopped) || w.ctx.Err() != nil {
		return incremental, err
	}
	w.c.logf("%v; starting it again\n", err)
	w.stop()
	if err := w.start(); err != nil {
		return false, err
	}
	incremental, err = w.ask(nil, args)
	if errors.Is(err, errDriverStopped) {
		w.stop()
	}
	return incremental, err
}

// ask sends one request to the driver and reads its reply: whether it compiled
// incrementally, and the diagnostics as an error when the compile failed. A driver that
// has not answered within w.timeout is killed, which ends the wait (its pipes close).
func (w *Warm) ask(changed, args []string) (bool, error) {
	fields := []string{"-1"}
	if changed != nil {
		fields = append([]string{strconv.Itoa(len(changed))}, changed...)
	}
	fields = append(fields, args...)
	for _, f := range fields {
		if f == "" || strings.ContainsAny(f, "\t\r\n") {
			return false, fmt.Errorf("compiler argument %q is empty or holds a tab or newline", f)
		}
	}
	start := time.Now()
	proc, timeout := w.cmd.Process, w.timeout
	var hung atomic.Bool
	timer := time.AfterFunc(timeout, func() { hung.Store(true); proc.Kill() })
	defer timer.Stop()
	stopped := func(err error) error {
		if hung.Load() {
			return fmt.Errorf("%w: no answer within %v, killed", errDriverStopped, timeout)
		}
		return fmt.Errorf("%w: %v", errDriverStopped, err)
	}
	if _, err := io.WriteString(w.stdin, strings.Join(fields, "\t")+"\n"); err != nil {
		return false, stopped(err)
	}
	header, err := w.stdout.ReadString('\n')
	if err != nil {
		return false, stopped(err)
	}
	var code, n int
	var mode string
	if _, err := fmt.Sscanf(header, "done %d %d %s\n", &code, &n, &mode); err != nil {
		return false, fmt.Errorf("warm compiler: unexpected reply %q", header)
	}
	out := make([]byte, n)
	if _, err := io.ReadFull(w.stdout, out); err != nil {
		return false, stopped(err)
	}
	if w.c.OnRun != nil {
		w.c.OnRun(append([]string{"warm", mode}, args...), time.Since(start))
	}
	if code != 0 {
		return false, errors.New(strings.TrimRight(formatDiagnostics(string(out)), "\n"))
	}
	return mode == "incremental", nil
}

// errDriverStopped: the JVM is gone (its pipes closed).
var errDriverStopped = errors.New("the warm compiler stopped")

// Close ends the JVM and waits for it.
func (w *Warm) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	os.RemoveAll(filepath.Dir(w.report))
	return w.stop()
}

// stop closes the JVM's input, so the driver's loop ends, kills it if it has not exited
// after WarmStopGrace, and waits for it.
func (w *Warm) stop() error {
	if w.cmd == nil {
		return nil
	}
	defer func() { w.cmd = nil }()
	w.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- w.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(WarmStopGrace):
		w.cmd.Process.Kill()
		return <-done
	}
}

// warmDriverClasses compiles WarmMXMLC.java against the toolchain's compiler once into
// the cache and returns the folder holding the class.
func (c *Compiler) warmDriverClasses(ctx context.Context) (string, error) {
	javac := filepath.Join(filepath.Dir(c.Toolchain.Java), "javac")
	if _, err := os.Stat(javac); err != nil {
		if javac, err = exec.LookPath("javac"); err != nil {
			return "", errors.New("javac not found (a JDK is needed to build the warm compiler driver)")
		}
	}
	h := sha256.New()
	fmt.Fprintln(h, "warm v2", c.Toolchain.Identity)
	h.Write(warmDriver)
	dir := filepath.Join(c.CacheDir, "warm", hex.EncodeToString(h.Sum(nil))[:16])
	if _, err := os.Stat(filepath.Join(dir, "WarmMXMLC.class")); err == nil {
		return dir, nil
	}
	tmp, err := os.MkdirTemp(c.CacheDir, "warm-build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	src := filepath.Join(tmp, "WarmMXMLC.java")
	if err := fsutil.WriteAtomic(src, warmDriver); err != nil {
		return "", err
	}
	lib := filepath.Join(c.Toolchain.Home, "lib")
	cp := strings.Join([]string{filepath.Join(lib, "mxmlc.jar"), filepath.Join(lib, "compiler.jar"), filepath.Join(lib, "compiler-common.jar")}, string(os.PathListSeparator))
	out, err := exec.CommandContext(ctx, javac, "-cp", cp, "-d", tmp, src).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("javac WarmMXMLC.java: %v\n%s", err, out)
	}
	os.Remove(src)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil && !fileExists(filepath.Join(dir, "WarmMXMLC.class")) {
		return "", err
	}
	return dir, nil
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
