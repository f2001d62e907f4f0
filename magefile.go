//go:build mage

// The build of web-socket-js. Each target is a thin, documented step; the work lives in
// ordinary Go packages under internal/ (tested by go test ./...).
// Run "go run mage.go -l" for the list.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/magefile/mage/mg"
	"github.com/magefile/mage/sh"

	"github.com/web-socket-js/web-socket-js/internal/build"
	"github.com/web-socket-js/web-socket-js/internal/cache"
	"github.com/web-socket-js/web-socket-js/internal/dev"
	"github.com/web-socket-js/web-socket-js/internal/release"
	"github.com/web-socket-js/web-socket-js/internal/ruffle"
	"github.com/web-socket-js/web-socket-js/internal/serverproc"
)

// Default is what "go run mage.go" does with no target.
var Default = Build

// SDK resolves the ActionScript compiler (FLEX_HOME, or the pinned Apache Royale fetched once) and prints what and where.
func SDK(ctx context.Context) error {
	b, err := build.New(os.Stdout)
	if err != nil {
		return err
	}
	tc, err := b.Toolchain(ctx)
	if err != nil {
		return err
	}
	fmt.Println(tc.Describe())
	return nil
}

// Build compiles both SWFs and bundles the JS shim into dist/, skipping whatever is up to date.
func Build(ctx context.Context) error {
	b, err := build.New(os.Stdout)
	if err != nil {
		return err
	}
	sum, err := b.All(ctx)
	if err != nil {
		return err
	}
	sum.Report(os.Stdout)
	return nil
}

// Serve builds what is missing, then runs the echo + policy server on 127.0.0.1:10081 and prints the try-it URL; Ctrl-C stops it.
func Serve(ctx context.Context) error {
	mg.CtxDeps(ctx, Build)
	ruffleDir, err := ruffle.Dir(ctx)
	if err != nil {
		return err
	}
	bin, err := serverproc.Build(ctx, ".", cache.Dir())
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	args := append([]string{"-dist", "dist", "-ruffle-dir", ruffleDir}, strings.Fields(os.Getenv("SERVE_FLAGS"))...)
	return serverproc.Run(ctx, bin, args, os.Stdout)
}

// Dev serves debug SWFs and the readable shim from dist/dev/, rebuilds them on every save and reloads open try-it pages; Ctrl-C stops.
func Dev(ctx context.Context) error {
	b, err := build.New(os.Stdout)
	if err != nil {
		return err
	}
	ruffleDir, err := ruffle.Dir(ctx)
	if err != nil {
		return err
	}
	bin, err := serverproc.Build(ctx, b.Layout.Root, cache.Dir())
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := dev.Start(ctx, dev.Options{
		Root: b.Layout.Root, FlexHome: b.FlexHome, ServeFlags: strings.Fields(os.Getenv("SERVE_FLAGS")),
		ServerBin: bin, RuffleDir: ruffleDir, Log: os.Stdout,
	})
	if err != nil {
		return err
	}
	return s.Wait()
}

// Release builds dist/ and writes reproducible web-socket-js-<version>.tar.gz, .zip and SHA256SUMS there (a dirty tree needs WSJS_ALLOW_DIRTY=1).
func Release(ctx context.Context) error {
	b, err := build.New(os.Stdout)
	if err != nil {
		return err
	}
	opts, err := release.DefaultOptions(ctx, b.Layout.Root, os.Getenv("WSJS_ALLOW_DIRTY") == "1")
	if err != nil {
		return err
	}
	b.Version = opts.Version // the JS banner names the release
	sum, err := b.All(ctx)
	if err != nil {
		return err
	}
	sum.Report(os.Stdout)
	if _, err := release.Build(ctx, opts, os.Stdout); err != nil {
		return err
	}
	return release.Verify(opts.Out, nil)
}

// Verify checks the archives in dist/ against SHA256SUMS, their MANIFEST and the documented layout.
func Verify() error {
	if err := release.Verify("dist", nil); err != nil {
		return err
	}
	fmt.Println("verify: dist/ archives match SHA256SUMS, their MANIFEST and the documented layout")
	return nil
}

// Bench prints sizes, build speed, the dev loop's save-to-reload time, Flash-vs-native echo in Chromium, and the server against gorilla and Node ws peers.
func Bench(ctx context.Context) error {
	mg.CtxDeps(ctx, Build)
	if err := build.SizeReport("dist", os.Stdout); err != nil {
		return err
	}
	benches := [][]string{
		{"./internal/build", "NoOpBuild", "20x"},
		{"./internal/build", "ColdBuild", "1x"},
		{"./js", "EchoRoundTrip", "1000x"},
	}
	for _, b := range benches {
		if err := sh.RunV("go", "test", "-run", "^$", "-bench", "^Benchmark"+b[1]+"$", "-benchtime", b[2], b[0]); err != nil {
			return err
		}
	}
	// The dev loop: save-to-reload latency against a cold build of the same edit.
	if err := dev.Bench(ctx, ".", 5, os.Stdout); err != nil {
		return err
	}
	// The load test and its peers are their own module (bench/), so that
	// neither `mage test` nor the product module builds them.
	return sh.RunV("go", "-C", "bench", "run", ".")
}

// Test builds, vets and runs every test: Go, AS3 (in Ruffle), Node and browser tests.
func Test(ctx context.Context) error {
	mg.CtxDeps(ctx, Build)
	if err := sh.RunV("go", "vet", "./..."); err != nil {
		return err
	}
	return sh.RunV("go", "test", "-timeout", "25m", "./...")
}

// Clean removes dist/ (the download and compile cache stays; see README).
func Clean() error {
	return os.RemoveAll("dist")
}
