package dev

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/web-socket-js/web-socket-js/internal/build"
	"github.com/web-socket-js/web-socket-js/internal/jsbundle"
	"github.com/web-socket-js/web-socket-js/internal/project"
	"github.com/web-socket-js/web-socket-js/internal/sdk"
	"github.com/web-socket-js/web-socket-js/internal/swf"
)

// What the latency bench edits: a log string in the AS3 and one in the shim.
const (
	benchAS3File = "flash-src/src/websocketjs/WebSocket.as"
	benchAS3Text = `"connecting to "`
	benchJSFile  = "js/src/flash_web_socket.js"
	benchJSText  = `"[WebSocket] "`
	// reloadTimeout bounds the wait for one edit's reload.
	reloadTimeout = 2 * time.Minute
)

// Goals for the save-to-reload latency on a 2-core machine (issue 13).
const (
	GoalAS3 = time.Second
	GoalJS  = 300 * time.Millisecond
)

// Bench measures, on a copy of the sources at root, how long a save takes to reach an
// open page as a reload event (the median of edits saves each, AS3 then JS), and how long
// a cold build of the same edit takes (release flags, empty output cache), and prints both.
func Bench(ctx context.Context, root string, edits int, w io.Writer) error {
	return benchWithLog(ctx, root, edits, w, nil)
}

// benchWithLog is Bench with the session's own lines going to log.
func benchWithLog(ctx context.Context, root string, edits int, w, log io.Writer) error {
	tmp, err := os.MkdirTemp("", "wsjs-dev-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := CopySources(root, tmp); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s, err := Start(ctx, Options{Root: tmp, OutDir: filepath.Join(tmp, "dist", "dev"), ServeFlags: []string{"-addr", "127.0.0.1:0"}, Log: log})
	if err != nil {
		return err
	}
	defer s.Wait()
	defer cancel()
	events, err := listen(ctx, strings.TrimSuffix(s.URL(), "/"))
	if err != nil {
		return err
	}
	as3, err := saveToReload(events, filepath.Join(tmp, benchAS3File), benchAS3Text, edits)
	if err != nil {
		return fmt.Errorf("AS3 edits: %w", err)
	}
	js, err := saveToReload(events, filepath.Join(tmp, benchJSFile), benchJSText, edits)
	if err != nil {
		return fmt.Errorf("JS edits: %w", err)
	}
	coldAS3, coldJS, err := coldBuilds(ctx, tmp)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "dev: save-to-reload, median of %d edits after %d untimed: AS3 %v (goal ≤ %v; cold build of the same edit, both SWFs: %v), JS %v (goal ≤ %v; cold build: %v)\n",
		edits, warmupEdits, ms(as3), GoalAS3, ms(coldAS3), ms(js), GoalJS, ms(coldJS))
	return nil
}

// warmupEdits are made and not timed before the timed ones: the first compiles in a new
// JVM run before the JIT has compiled the compiler, as a session's first save does.
const warmupEdits = 2

// saveToReload edits the string old in file n times (a new value each time, after
// warmupEdits untimed ones) and returns the median time from the write to the reload
// event. The file is restored, and its rebuild awaited, before it returns.
func saveToReload(events <-chan event, file, old string, n int) (time.Duration, error) {
	orig, err := os.ReadFile(file)
	if err != nil {
		return 0, err
	}
	if !strings.Contains(string(orig), old) {
		return 0, fmt.Errorf("%s no longer holds %s", file, old)
	}
	var took []time.Duration
	for i := -warmupEdits; i < n; i++ {
		drain(events)
		edited := strings.Replace(string(orig), old, old[:len(old)-1]+fmt.Sprintf("bench %d ", i)+`"`, 1)
		start := time.Now()
		if err := os.WriteFile(file, []byte(edited), 0o644); err != nil {
			return 0, err
		}
		if err := awaitReload(events); err != nil {
			return 0, err
		}
		if i >= 0 {
			took = append(took, time.Since(start))
		}
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	if err := os.WriteFile(file, orig, 0o644); err != nil {
		return 0, err
	}
	return took[len(took)/2], awaitReload(events)
}

func drain(events <-chan event) {
	for {
		select {
		case <-events:
		default:
			return
		}
	}
}

func awaitReload(events <-chan event) error {
	timeout := time.After(reloadTimeout)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return fmt.Errorf("the event stream ended")
			}
			if ev.name == "error" {
				return fmt.Errorf("the build failed:\n%s", ev.data)
			}
			if ev.name == "reload" {
				return nil
			}
		case <-timeout:
			return fmt.Errorf("no reload within %v", reloadTimeout)
		}
	}
}

// coldBuilds times what `build` does for the same edit with nothing cached: both SWFs
// in fresh compiler processes, and the three shim bundles with the ES3 check.
func coldBuilds(ctx context.Context, root string) (as3, js time.Duration, err error) {
	layout := project.Layout{Root: root}
	tc, err := sdk.FromEnv(ctx)
	if err != nil {
		return 0, 0, err
	}
	c := &swf.Compiler{Toolchain: tc, APIDir: layout.FlashAPI(), CacheDir: filepath.Join(root, "cold-cache")}
	// The Flash API library is cached across edits in a real build too: build it first.
	out := filepath.Join(root, "cold")
	var targets []swf.Target
	for _, name := range build.SWFNames {
		targets = append(targets, swf.Target{Entry: filepath.Join(layout.FlashApp(), name+".as"), SourcePaths: []string{layout.FlashApp()}, Output: filepath.Join(out, name+".swf")})
	}
	if _, err := c.Build(ctx, targets...); err != nil {
		return 0, 0, err
	}
	restore, err := editOnce(filepath.Join(root, benchAS3File), benchAS3Text)
	if err != nil {
		return 0, 0, err
	}
	defer restore()
	start := time.Now()
	if _, err := c.Build(ctx, targets...); err != nil {
		return 0, 0, err
	}
	as3 = time.Since(start)
	restoreJS, err := editOnce(filepath.Join(root, benchJSFile), benchJSText)
	if err != nil {
		return 0, 0, err
	}
	defer restoreJS()
	start = time.Now()
	if _, err := jsbundle.Build(ctx, jsbundle.Options{JSDir: layout.JS(), OutDir: out, Version: "bench"}); err != nil {
		return 0, 0, err
	}
	return as3, time.Since(start), nil
}

// editOnce changes the string old in file as the timed edits do, and returns the undo.
func editOnce(file, old string) (func(), error) {
	orig, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	// A new text each run: the ES3 check remembers texts it passed.
	edited := strings.Replace(string(orig), old, old[:len(old)-1]+fmt.Sprintf(`cold edit %d "`, time.Now().UnixNano()), 1)
	if err := os.WriteFile(file, []byte(edited), 0o644); err != nil {
		return nil, err
	}
	return func() { os.WriteFile(file, orig, 0o644) }, nil
}

func ms(d time.Duration) time.Duration { return d.Round(time.Millisecond) }

// sourceDirs are what dev watches and builds from: a copy of them is a checkout to dev.
var sourceDirs = []string{"flash-src/src", "flash-src/api", "js/src", "js/sample.html"}

// CopySources copies the sources dev builds from into dst, laid out as in root.
func CopySources(root, dst string) error {
	for _, d := range sourceDirs {
		err := filepath.WalkDir(filepath.Join(root, d), func(path string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			target := filepath.Join(dst, rel)
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			return os.WriteFile(target, b, 0o644)
		})
		if err != nil {
			return err
		}
	}
	return nil
}
