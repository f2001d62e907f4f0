// Package swftest compiles SWFs for tests with the same toolchain and cache as the build.
package swftest

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/web-socket-js/web-socket-js/internal/cache"
	"github.com/web-socket-js/web-socket-js/internal/project"
	"github.com/web-socket-js/web-socket-js/internal/sdk"
	"github.com/web-socket-js/web-socket-js/internal/swf"
)

// Compile builds entry (an .as main class) with sourceDirs as source paths into a
// temporary folder and returns the SWF's path; unchanged inputs reuse the cached output.
func Compile(t testing.TB, entry string, sourceDirs ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c := Compiler(t, ctx)
	out := filepath.Join(t.TempDir(), strings.TrimSuffix(filepath.Base(entry), ".as")+".swf")
	if _, err := c.Build(ctx, swf.Target{Entry: entry, SourcePaths: sourceDirs, Output: out}); err != nil {
		t.Fatalf("compiling %s: %v", entry, err)
	}
	return out
}

// Compiler returns the build's compiler (FLEX_HOME or the pinned Royale).
func Compiler(t testing.TB, ctx context.Context) *swf.Compiler {
	t.Helper()
	tc, err := sdk.FromEnv(ctx)
	if err != nil {
		t.Fatalf("ActionScript compiler: %v", err)
	}
	root, err := project.Root()
	if err != nil {
		t.Fatal(err)
	}
	return &swf.Compiler{Toolchain: tc, APIDir: project.Layout{Root: root}.FlashAPI(), CacheDir: filepath.Join(cache.Dir(), "build")}
}
