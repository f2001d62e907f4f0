// Package build puts the kit together: both SWFs and the shim bundles into dist/, in
// parallel, doing only the work whose inputs changed.
package build

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/web-socket-js/web-socket-js/internal/cache"
	"github.com/web-socket-js/web-socket-js/internal/fsutil"
	"github.com/web-socket-js/web-socket-js/internal/jsbundle"
	"github.com/web-socket-js/web-socket-js/internal/project"
	"github.com/web-socket-js/web-socket-js/internal/sdk"
	"github.com/web-socket-js/web-socket-js/internal/swf"
	"github.com/web-socket-js/web-socket-js/internal/version"
)

// Builder builds one checkout.
type Builder struct {
	Layout   project.Layout
	Dist     string    // output folder; "" = Layout.Dist()
	FlexHome string    // "" = the pinned Royale compiler
	Version  string    // "" = from git (internal/version)
	Log      io.Writer // progress lines; nil = silent
	// CacheDir keeps compiled outputs by content address; "" = <cache>/build.
	CacheDir string
	// OnCompile hears of every compiler process (see swf.Compiler.OnRun).
	OnCompile func(argv []string, took time.Duration)
}

// New returns a Builder for the repository around the working directory, honouring
// FLEX_HOME.
func New(log io.Writer) (*Builder, error) {
	root, err := project.Root()
	if err != nil {
		return nil, err
	}
	return &Builder{Layout: project.Layout{Root: root}, FlexHome: os.Getenv("FLEX_HOME"), Log: log}, nil
}

// SWFNames are the SWFs the kit ships, each built from the entry class of that name.
var SWFNames = []string{"WebSocketMain", "WebSocketMainInsecure"}

// Summary reports one build.
type Summary struct {
	SWFs     []swf.Result
	JS       []jsbundle.Output
	Assets   []string // copied files that changed
	Duration time.Duration
}

// Changed reports whether the build wrote or compiled anything.
func (s Summary) Changed() bool {
	for _, r := range s.SWFs {
		if r.Compiled {
			return true
		}
	}
	for _, o := range s.JS {
		if o.Changed {
			return true
		}
	}
	return len(s.Assets) > 0
}

func (b *Builder) dist() string {
	if b.Dist != "" {
		return b.Dist
	}
	return b.Layout.Dist()
}

// Toolchain resolves the ActionScript compiler.
func (b *Builder) Toolchain(ctx context.Context) (*sdk.Toolchain, error) {
	return sdk.Resolve(ctx, sdk.Options{FlexHome: b.FlexHome})
}

// All builds the SWFs and the JS at the same time.
func (b *Builder) All(ctx context.Context) (Summary, error) {
	start := time.Now()
	var sum Summary
	var swfErr, jsErr error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); sum.SWFs, swfErr = b.SWFs(ctx) }()
	go func() { defer wg.Done(); sum.JS, sum.Assets, jsErr = b.JS(ctx) }()
	wg.Wait()
	sum.Duration = time.Since(start)
	if swfErr != nil {
		return sum, swfErr
	}
	return sum, jsErr
}

// SWFs compiles WebSocketMain.swf and WebSocketMainInsecure.swf into dist/.
func (b *Builder) SWFs(ctx context.Context) ([]swf.Result, error) {
	tc, err := b.Toolchain(ctx)
	if err != nil {
		return nil, err
	}
	cacheDir := b.CacheDir
	if cacheDir == "" {
		cacheDir = filepath.Join(cache.Dir(), "build")
	}
	c := &swf.Compiler{Toolchain: tc, APIDir: b.Layout.FlashAPI(), CacheDir: cacheDir, Log: b.Log, OnRun: b.OnCompile}
	var targets []swf.Target
	for _, name := range SWFNames {
		targets = append(targets, swf.Target{
			Entry:       filepath.Join(b.Layout.FlashApp(), name+".as"),
			SourcePaths: []string{b.Layout.FlashApp()},
			Output:      filepath.Join(b.dist(), name+".swf"),
		})
	}
	return c.Build(ctx, targets...)
}

// JSAssets are copied from js/ into dist/ unchanged.
var JSAssets = []string{"web_socket.d.ts", "sample.html"}

// JS bundles the shim and copies its companion files into dist/.
func (b *Builder) JS(ctx context.Context) ([]jsbundle.Output, []string, error) {
	v, err := b.version(ctx)
	if err != nil {
		return nil, nil, err
	}
	outs, err := jsbundle.Build(ctx, jsbundle.Options{JSDir: b.Layout.JS(), OutDir: b.dist(), Version: v})
	if err != nil {
		return nil, nil, err
	}
	var copied []string
	for _, name := range JSAssets {
		changed, err := fsutil.CopyIfChanged(filepath.Join(b.Layout.JS(), name), filepath.Join(b.dist(), name))
		if err != nil {
			return nil, nil, err
		}
		if changed {
			copied = append(copied, name)
		}
	}
	return outs, copied, nil
}

func (b *Builder) version(ctx context.Context) (string, error) {
	if b.Version != "" {
		return b.Version, nil
	}
	info, err := version.Describe(ctx, b.Layout.Root)
	if err != nil {
		return "", fmt.Errorf("working out the version: %w", err)
	}
	b.Version = info.Version
	return b.Version, nil
}

// Report prints what a build did, one line per output.
func (s Summary) Report(w io.Writer) {
	if !s.Changed() {
		fmt.Fprintf(w, "build: everything up to date, nothing compiled (%v)\n", s.Duration.Round(time.Millisecond))
		return
	}
	for _, r := range s.SWFs {
		state := "up to date"
		if r.Compiled {
			state = "compiled in " + r.Duration.Round(time.Millisecond).String()
		}
		fmt.Fprintf(w, "  %-28s %8d bytes  %s\n", filepath.Base(r.Target.Output), r.Size, state)
	}
	for _, o := range s.JS {
		state := "up to date"
		if o.Changed {
			state = "written"
		}
		fmt.Fprintf(w, "  %-28s %8d bytes  %s\n", filepath.Base(o.Path), o.Size, state)
	}
	for _, a := range s.Assets {
		fmt.Fprintf(w, "  %-28s copied\n", a)
	}
	fmt.Fprintf(w, "build: done in %v\n", s.Duration.Round(time.Millisecond))
}
