// Package jsbundle turns the shim's ES5 sources in js/ into the files sites load: a
// readable IIFE, a minified IIFE with its source map, and an ES module, all with esbuild's
// Go API (no node needed to bundle), the minified file gated by an ES3 parser.
package jsbundle

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/evanw/esbuild/pkg/api"

	"github.com/web-socket-js/web-socket-js/internal/fsutil"
)

// Options say where the sources are and where the outputs go.
type Options struct {
	JSDir   string // holds src/web_socket.js (IIFE entry) and src/esm.js (module entry)
	OutDir  string
	Version string    // stamped into the banner and __WSJS_VERSION__
	Checker *ES3Check // nil: the default (node + pinned acorn)
}

// Output is one written (or already up-to-date) file.
type Output struct {
	Path    string
	Size    int
	Changed bool
}

// Build bundles, gates and writes the outputs; files whose content did not change are
// left alone, so an unchanged tree is a no-op.
func Build(ctx context.Context, o Options) ([]Output, error) {
	files, err := bundle(o)
	if err != nil {
		return nil, err
	}
	checker := o.Checker
	if checker == nil {
		checker = DefaultES3Check()
	}
	for name, body := range files {
		if strings.HasSuffix(name, ".min.js") {
			if err := checker.Check(ctx, name, body); err != nil {
				return nil, err
			}
		}
	}
	var outs []Output
	for _, name := range sortedKeys(files) {
		out, err := writeIfChanged(filepath.Join(o.OutDir, name), files[name])
		if err != nil {
			return nil, err
		}
		outs = append(outs, out)
	}
	return outs, nil
}

// bundle runs the three esbuild builds in memory and returns file name → content.
func bundle(o Options) (map[string][]byte, error) {
	iife := filepath.Join(o.JSDir, "src", "web_socket.js")
	esm := filepath.Join(o.JSDir, "src", "esm.js")
	for _, p := range []string{iife, esm} {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("jsbundle: entry point missing: %w", err)
		}
	}
	files := map[string][]byte{}
	builds := []struct {
		entry, out string
		format     api.Format
		minify     bool
	}{
		{iife, "web_socket.js", api.FormatIIFE, false},
		{iife, "web_socket.min.js", api.FormatIIFE, true},
		{esm, "web_socket.mjs", api.FormatESModule, false},
	}
	for _, b := range builds {
		res := api.Build(buildOptions(b.entry, filepath.Join(o.OutDir, b.out), b.format, b.minify, o.Version))
		if len(res.Errors) > 0 {
			return nil, esbuildError(res.Errors)
		}
		for _, f := range res.OutputFiles {
			files[filepath.Base(f.Path)] = f.Contents
		}
	}
	return files, nil
}

func buildOptions(entry, outfile string, format api.Format, minify bool, version string) api.BuildOptions {
	opts := api.BuildOptions{
		EntryPoints: []string{entry},
		Outfile:     outfile,
		Bundle:      true,
		Format:      format,
		Target:      api.ES5,
		// ASCII only: the shim may be served without a charset and read by old engines.
		Charset:  api.CharsetASCII,
		Banner:   map[string]string{"js": Banner(version)},
		Define:   map[string]string{"__WSJS_VERSION__": fmt.Sprintf("%q", version)},
		LogLevel: api.LogLevelSilent,
		Write:    false,
	}
	if minify {
		opts.MinifyWhitespace, opts.MinifyIdentifiers, opts.MinifySyntax = true, true, true
		// Private fields (_x, one underscore: "__" names are public API such as
		// WebSocket.__initialize) get the shortest names esbuild finds.
		opts.MangleProps = "^_[^_]"
		opts.Sourcemap = api.SourceMapLinked
		opts.SourcesContent = api.SourcesContentInclude
	}
	return opts
}

// Banner is the licence comment every bundle starts with: name, version and licence only,
// since every byte of it counts against the min+gzip budget of web_socket.min.js.
func Banner(version string) string {
	return "/*! web-socket-js " + version + " BSD-3-Clause */"
}

func esbuildError(msgs []api.Message) error {
	var b strings.Builder
	for _, m := range msgs {
		if m.Location != nil {
			fmt.Fprintf(&b, "%s:%d:%d: %s\n", m.Location.File, m.Location.Line, m.Location.Column+1, m.Text)
		} else {
			fmt.Fprintf(&b, "%s\n", m.Text)
		}
	}
	return errors.New("jsbundle: esbuild:\n" + strings.TrimRight(b.String(), "\n"))
}

func writeIfChanged(path string, data []byte) (Output, error) {
	changed, err := fsutil.WriteIfChanged(path, data)
	return Output{Path: path, Size: len(data), Changed: changed}, err
}

// Incremental rebuilds the readable IIFE (web_socket.js, the file the try-it page loads)
// with an esbuild context kept between builds, which re-reads only what changed: what
// `mage dev` runs on every save under js/src. It writes no minified file, so no ES3 gate.
type Incremental struct {
	ctx    api.BuildContext
	outDir string
}

// NewIncremental prepares the context; Rebuild builds.
func NewIncremental(o Options) (*Incremental, error) {
	entry := filepath.Join(o.JSDir, "src", "web_socket.js")
	if _, err := os.Stat(entry); err != nil {
		return nil, fmt.Errorf("jsbundle: entry point missing: %w", err)
	}
	ctx, cerr := api.Context(buildOptions(entry, filepath.Join(o.OutDir, "web_socket.js"), api.FormatIIFE, false, o.Version))
	if cerr != nil {
		return nil, esbuildError(cerr.Errors)
	}
	return &Incremental{ctx: ctx, outDir: o.OutDir}, nil
}

// Rebuild bundles the current sources and writes web_socket.js if it changed. Errors
// come as file:line:col lines.
func (in *Incremental) Rebuild() (Output, error) {
	res := in.ctx.Rebuild()
	if len(res.Errors) > 0 {
		return Output{}, esbuildError(res.Errors)
	}
	for _, f := range res.OutputFiles {
		if filepath.Base(f.Path) == "web_socket.js" {
			return writeIfChanged(filepath.Join(in.outDir, "web_socket.js"), f.Contents)
		}
	}
	return Output{}, errors.New("jsbundle: esbuild wrote no web_socket.js")
}

// Close frees the context.
func (in *Incremental) Close() { in.ctx.Dispose() }
