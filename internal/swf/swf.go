// Package swf compiles the kit's SWFs with a resolved toolchain, skipping every compile
// whose inputs (sources, Flash API declarations, compiler identity, flags) are unchanged.
package swf

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/web-socket-js/web-socket-js/internal/sdk"
)

// Target is one SWF to build.
type Target struct {
	Entry       string   // the main class's .as file
	SourcePaths []string // source roots (the entry's root first)
	Output      string   // where the SWF goes
	Debug       bool     // debug build (line numbers, traces); release builds are optimised
}

// Result says what happened to one Target.
type Result struct {
	Target   Target
	Key      string // content address of the output
	Compiled bool   // false: the cached output was reused
	// Incremental: a warm compile that recompiled only the changed files (Warm.Compile).
	Incremental bool
	Duration    time.Duration // compiler time when Compiled
	Size        int64
}

// Compiler builds targets; outputs are kept by content address in CacheDir.
type Compiler struct {
	Toolchain *sdk.Toolchain
	APIDir    string // Flash API declarations, used when the SDK has no real playerglobal.swc
	CacheDir  string
	Log       io.Writer // nil: silent
	// OnRun, when set, hears of every compiler process run and how long it took (the
	// build benchmark replays them to measure the pipeline's own overhead).
	OnRun func(argv []string, took time.Duration)
}

// Build brings every target up to date, compiling those whose key is not cached, in
// parallel. Each output is written under a temporary name and renamed into place, so a
// failed build never leaves a half-written SWF.
func (c *Compiler) Build(ctx context.Context, targets ...Target) ([]Result, error) {
	api, err := c.apiLibrary(ctx)
	if err != nil {
		return nil, err
	}
	trees, err := hashTrees(targets)
	if err != nil {
		return nil, err
	}
	results := make([]Result, len(targets))
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = c.buildOne(ctx, t, api, trees)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return results, err
		}
	}
	return results, nil
}

func (c *Compiler) buildOne(ctx context.Context, t Target, api library, trees map[string]string) (Result, error) {
	res := Result{Target: t}
	res.Key = c.targetKey(t, api, trees)
	cached := filepath.Join(c.CacheDir, "swf", res.Key+".swf")
	if _, err := os.Stat(cached); err != nil {
		start := time.Now()
		if err := c.compile(ctx, t, api, cached); err != nil {
			return res, err
		}
		res.Compiled, res.Duration = true, time.Since(start)
	}
	var err error
	res.Size, err = installIfChanged(cached, t.Output)
	return res, err
}

// hashTrees fingerprints each distinct source folder of targets once: both SWFs share
// flash-src/src, and a no-op build should read it only once.
func hashTrees(targets []Target) (map[string]string, error) {
	trees := map[string]string{}
	for _, t := range targets {
		for _, dir := range t.SourcePaths {
			if _, done := trees[dir]; done {
				continue
			}
			h := sha256.New()
			if err := hashTree(h, dir); err != nil {
				return nil, err
			}
			trees[dir] = hex.EncodeToString(h.Sum(nil))
		}
	}
	return trees, nil
}

// targetKey is the content address of t's output, given its source folders' hashes.
func (c *Compiler) targetKey(t Target, api library, trees map[string]string) string {
	h := sha256.New()
	fmt.Fprintln(h, "swf v1", c.Toolchain.Identity, api.key, strings.Join(compileFlags(t), " "))
	entry := t.Entry
	if len(t.SourcePaths) > 0 {
		if rel, err := filepath.Rel(t.SourcePaths[0], t.Entry); err == nil {
			entry = filepath.ToSlash(rel) // stable across checkouts in different folders
		}
	}
	fmt.Fprintln(h, "entry", entry)
	for _, dir := range t.SourcePaths {
		fmt.Fprintln(h, "tree", trees[dir])
	}
	return hex.EncodeToString(h.Sum(nil))
}

func compileFlags(t Target) []string {
	if t.Debug {
		return []string{"-debug=true"}
	}
	return []string{"-debug=false", "-optimize=true"}
}

func (c *Compiler) compile(ctx context.Context, t Target, api library, cached string) error {
	if err := os.MkdirAll(filepath.Dir(cached), 0o755); err != nil {
		return err
	}
	cfg, err := c.writeConfig(api)
	if err != nil {
		return err
	}
	tmp := cached + ".tmp" + fmt.Sprint(os.Getpid())
	args := []string{"-load-config=" + cfg}
	for _, sp := range t.SourcePaths {
		args = append(args, "-source-path+="+sp)
	}
	args = append(args, compileFlags(t)...)
	args = append(args, "-output="+tmp, t.Entry)
	c.logf("compiling %s\n", filepath.Base(t.Output))
	if err := c.run(c.Toolchain.MXMLC(ctx, args...)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("compiling %s:\n%w", t.Entry, err)
	}
	return os.Rename(tmp, cached)
}

func (c *Compiler) logf(format string, args ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, "swf: "+format, args...)
	}
}
