package swf

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/web-socket-js/web-socket-js/internal/sdk"
)

// Every input that affects an output must change its cache key, and nothing else may.
func TestCacheKeyChangesWithEveryInput(t *testing.T) {
	src, api := t.TempDir(), t.TempDir()
	write := func(dir, name, body string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(src, "Main.as", "package { public class Main {} }")
	write(src, "lib/Util.as", "package lib { public class Util {} }")
	write(api, "flash/net/Socket.as", "package flash.net { public class Socket {} }")
	c := &Compiler{Toolchain: &sdk.Toolchain{Identity: "compiler-1"}, APIDir: api}
	target := Target{Entry: filepath.Join(src, "Main.as"), SourcePaths: []string{src}}
	key := func() string {
		t.Helper()
		ak, err := apiKey(c.Toolchain.Identity, api)
		if err != nil {
			t.Fatal(err)
		}
		trees, err := hashTrees([]Target{target})
		if err != nil {
			t.Fatal(err)
		}
		return c.targetKey(target, library{key: ak}, trees)
	}
	base := key()
	if key() != base {
		t.Fatal("key is not stable for unchanged inputs")
	}
	seen := map[string]string{base: "base"}
	change := func(what string, do, undo func()) {
		t.Helper()
		do()
		k := key()
		if prev, dup := seen[k]; dup {
			t.Errorf("changing %s gave the same key as %s", what, prev)
		}
		seen[k] = what
		undo()
		if key() != base {
			t.Errorf("undoing %s did not restore the key", what)
		}
	}
	change("a source file", func() { write(src, "lib/Util.as", "package lib { public class Util { var x:int; } }") },
		func() { write(src, "lib/Util.as", "package lib { public class Util {} }") })
	change("a new source file", func() { write(src, "lib/New.as", "x") }, func() { os.Remove(filepath.Join(src, "lib/New.as")) })
	change("an API declaration", func() { write(api, "flash/net/Socket.as", "changed") },
		func() { write(api, "flash/net/Socket.as", "package flash.net { public class Socket {} }") })
	change("the compiler", func() { c.Toolchain.Identity = "compiler-2" }, func() { c.Toolchain.Identity = "compiler-1" })
	change("the flags", func() { target.Debug = true }, func() { target.Debug = false })
	change("the entry point", func() { target.Entry = filepath.Join(src, "lib/Util.as") }, func() { target.Entry = filepath.Join(src, "Main.as") })
}
