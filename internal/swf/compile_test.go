package swf_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/web-socket-js/web-socket-js/internal/npmpkg"
	"github.com/web-socket-js/web-socket-js/internal/sdk"
	"github.com/web-socket-js/web-socket-js/internal/swf"
	"github.com/web-socket-js/web-socket-js/internal/testkit/swfinfo"
	"github.com/web-socket-js/web-socket-js/internal/testkit/swftest"
)

const goodMain = `package {
import flash.display.Sprite;
public class Main extends Sprite {
	public function Main() { var n:int = 1 + 2; }
}
}
`

const badMain = `package {
import flash.display.Sprite;
public class Main extends Sprite {
	public function Main() {
		var n:int = undefinedThing;
	}
}
}
`

// scratch returns a compiler with an empty output cache and a target building a Main.as
// (written with goodMain) in a temporary source folder.
func scratch(t *testing.T, ctx context.Context) (*swf.Compiler, swf.Target) {
	t.Helper()
	src, out := t.TempDir(), filepath.Join(t.TempDir(), "Main.swf")
	main := filepath.Join(src, "Main.as")
	if err := os.WriteFile(main, []byte(goodMain), 0o644); err != nil {
		t.Fatal(err)
	}
	c := swftest.Compiler(t, ctx)
	c.CacheDir = t.TempDir()
	return c, swf.Target{Entry: main, SourcePaths: []string{src}, Output: out}
}

// A compile error fails the build with file:line:col, and the previous output stays
// untouched: nothing half-written lands in the output folder.
func TestCompileErrorNamesFileAndLineAndKeepsOldOutput(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, target := scratch(t, ctx)
	main, out := target.Entry, target.Output
	res, err := c.Build(ctx, target)
	if err != nil || !res[0].Compiled {
		t.Fatalf("good source: %+v %v", res, err)
	}
	before, _ := os.ReadFile(out)

	os.WriteFile(main, []byte(badMain), 0o644)
	_, err = c.Build(ctx, target)
	if err == nil {
		t.Fatal("a source with an error compiled")
	}
	want := regexp.MustCompile(regexp.QuoteMeta(main) + `:5:\d+: error: .*undefinedThing`)
	if !want.MatchString(err.Error()) {
		t.Fatalf("error does not name file:line:col:\n%v", err)
	}
	after, _ := os.ReadFile(out)
	if string(after) != string(before) {
		t.Fatal("the failed build changed the previous output")
	}
	entries, _ := os.ReadDir(filepath.Dir(out))
	if len(entries) != 1 {
		t.Fatalf("output folder holds leftovers: %v", entries)
	}
}

// A second build of unchanged inputs compiles nothing; an edit recompiles.
func TestUnchangedInputsCompileNothing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, target := scratch(t, ctx)
	main, out := target.Entry, target.Output
	runs := 0
	c.OnRun = func([]string, time.Duration) { runs++ }
	for i := 0; i < 2; i++ {
		if _, err := c.Build(ctx, target); err != nil {
			t.Fatal(err)
		}
	}
	if runs != 2 { // the API declarations SWC and the SWF, once each
		t.Fatalf("compiler ran %d times for two identical builds, want 2", runs)
	}
	os.WriteFile(main, []byte(strings.Replace(goodMain, "1 + 2", "1 + 3", 1)), 0o644)
	res, err := c.Build(ctx, target)
	if err != nil || !res[0].Compiled || runs != 3 {
		t.Fatalf("edited source: compiled=%v runs=%d err=%v", res[0].Compiled, runs, err)
	}
	b, _ := os.ReadFile(out)
	info, err := swfinfo.Parse(b)
	if err != nil || !info.UsesAS3 || info.ABCBytes == 0 {
		t.Fatalf("output is not an AS3 SWF: %+v %v", info, err)
	}
}

// FLEX_HOME pointing at a Royale layout (royale-asjs) compiles, with our declarations.
func TestFlexHomeRoyaleLayoutCompiles(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir, err := npmpkg.Ensure(ctx, sdk.Royale)
	if err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(dir, "apache-royale-0.9.12-bin-js", "royale-asjs")
	tc, err := sdk.Resolve(ctx, sdk.Options{FlexHome: home})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tc.Source, "FLEX_HOME=") || tc.HasFlashAPI {
		t.Fatalf("toolchain %+v", tc)
	}
	c, target := scratch(t, ctx)
	c.Toolchain = tc
	if _, err := c.Build(ctx, target); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(target.Output); len(b) < 8 || string(b[:3]) != "ZWS" {
		t.Fatal("no LZMA SWF written")
	}
}
