package build

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/web-socket-js/web-socket-js/internal/project"
	"github.com/web-socket-js/web-socket-js/internal/testkit/swfinfo"
)

func testBuilder(t testing.TB) *Builder {
	t.Helper()
	root, err := project.Root()
	if err != nil {
		t.Fatal(err)
	}
	return &Builder{Layout: project.Layout{Root: root}, Dist: t.TempDir(), Version: "0.0.0-test", FlexHome: os.Getenv("FLEX_HOME")}
}

// A build fills dist/ with two real AS3 SWFs and the JS files; the next one is a no-op.
func TestBuildFillsDistThenIsANoOp(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	b := testBuilder(t)
	if _, err := b.All(ctx); err != nil {
		t.Fatal(err)
	}
	for _, name := range SWFNames {
		data, err := os.ReadFile(filepath.Join(b.Dist, name+".swf"))
		if err != nil {
			t.Fatal(err)
		}
		info, err := swfinfo.Parse(data)
		if err != nil || !info.UsesAS3 || info.ABCBytes < 1000 || info.Version != 13 {
			t.Fatalf("%s: %+v, %v; want an AS3 SWF version 13 with code", name, info, err)
		}
	}
	for _, name := range append([]string{"web_socket.js", "web_socket.min.js", "web_socket.min.js.map", "web_socket.mjs"}, JSAssets...) {
		if st, err := os.Stat(filepath.Join(b.Dist, name)); err != nil || st.Size() == 0 {
			t.Fatalf("%s missing or empty: %v", name, err)
		}
	}
	sum, err := b.All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Changed() {
		t.Fatalf("second build changed something: %+v", sum)
	}
}

// BenchmarkNoOpBuild is the time of a build with nothing to do (target ≤ 100 ms).
func BenchmarkNoOpBuild(bm *testing.B) {
	ctx := context.Background()
	b := testBuilder(bm)
	if _, err := b.All(ctx); err != nil {
		bm.Fatal(err)
	}
	bm.ResetTimer()
	for i := 0; i < bm.N; i++ {
		if _, err := b.All(ctx); err != nil {
			bm.Fatal(err)
		}
	}
	bm.ReportMetric(float64(bm.Elapsed().Milliseconds())/float64(bm.N), "ms/build")
}

// BenchmarkColdBuild compiles everything (SDK cached, empty output cache) and replays the
// exact compiler commands it ran, one after another, to report the pipeline's overhead:
// cold-build time / sum of raw compiler times (target ≤ 1.1).
func BenchmarkColdBuild(bm *testing.B) {
	ctx := context.Background()
	var build, raw time.Duration
	for i := 0; i < bm.N; i++ {
		b := testBuilder(bm)
		b.CacheDir = bm.TempDir()
		var mu sync.Mutex
		var cmds [][]string
		b.OnCompile = func(argv []string, _ time.Duration) { mu.Lock(); cmds = append(cmds, argv); mu.Unlock() }
		start := time.Now()
		if _, err := b.All(ctx); err != nil {
			bm.Fatal(err)
		}
		build += time.Since(start)
		bm.StopTimer()
		for _, dir := range []string{"api", "swf"} { // the replay must compile for real too
			os.RemoveAll(filepath.Join(b.CacheDir, dir))
			os.MkdirAll(filepath.Join(b.CacheDir, dir), 0o755)
		}
		for _, argv := range cmds {
			t0 := time.Now()
			out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
			if err != nil {
				bm.Fatalf("replaying %v: %v\n%s", argv, err, out)
			}
			raw += time.Since(t0)
			publishOutput(argv) // as the build does, so later commands find it
		}
		bm.StartTimer()
	}
	bm.ReportMetric(build.Seconds()/float64(bm.N), "s/cold-build")
	bm.ReportMetric(raw.Seconds()/float64(bm.N), "s/raw-compiler")
	bm.ReportMetric(build.Seconds()/raw.Seconds(), "overhead-ratio")
}

// publishOutput renames a replayed command's temporary output to its final name.
func publishOutput(argv []string) {
	for _, a := range argv {
		if out, ok := strings.CutPrefix(a, "-output="); ok {
			if i := strings.LastIndex(out, ".tmp"); i > 0 {
				os.Rename(out, out[:i])
			}
		}
	}
}

func TestSizeReportNamesEveryShippedFile(t *testing.T) {
	dist := t.TempDir()
	for _, name := range SWFNames {
		os.WriteFile(filepath.Join(dist, name+".swf"), make([]byte, 30*1024), 0o644)
	}
	os.WriteFile(filepath.Join(dist, "web_socket.min.js"), []byte(strings.Repeat("var a=1;", 100)), 0o644)
	var out strings.Builder
	if err := SizeReport(dist, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"WebSocketMain.swf", "WebSocketMainInsecure.swf", "30720 bytes", "NOT met", "web_socket.min.js"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	if err := SizeReport(t.TempDir(), &out); err == nil {
		t.Error("a dist/ without the files gave no error")
	}
}

// Releases are only reproducible if dist/ is: two cold builds (empty output caches, so the
// compiler really runs twice) must give byte-identical files.
func TestColdBuildsAreByteIdentical(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles everything twice")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var dists []string
	for i := 0; i < 2; i++ {
		b := testBuilder(t)
		b.CacheDir = t.TempDir()
		if _, err := b.All(ctx); err != nil {
			t.Fatal(err)
		}
		dists = append(dists, b.Dist)
	}
	entries, err := os.ReadDir(dists[0])
	if err != nil || len(entries) < 8 {
		t.Fatalf("dist holds %d files (%v)", len(entries), err)
	}
	for _, e := range entries {
		a, _ := os.ReadFile(filepath.Join(dists[0], e.Name()))
		b, err := os.ReadFile(filepath.Join(dists[1], e.Name()))
		if err != nil || string(a) != string(b) {
			t.Errorf("%s differs between two cold builds (%v)", e.Name(), err)
		}
	}
}
