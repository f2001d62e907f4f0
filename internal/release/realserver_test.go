package release

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The repository's real server, built the way a release builds it for this
// machine's platform, prints the stamped version, and its notices come from
// the real module cache. One platform only, to stay quick.
func TestRealServerPrintsVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips compiling the real server")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "server", "main.go")); err != nil {
		t.Skipf("no real server yet: %v", err)
	}
	const v = "9.8.7-test.1"
	p := Platform{runtime.GOOS, runtime.GOARCH}
	bin := filepath.Join(t.TempDir(), filepath.Base(p.BinaryName()))
	if err := BuildServer(context.Background(), root, "./server", p, v, bin); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-version").CombinedOutput()
	if err != nil {
		t.Fatalf("%s -version: %v\n%s", bin, err, out)
	}
	if !strings.Contains(string(out), v) {
		t.Errorf("-version printed %q, want it to contain %q", out, v)
	}

	notices, err := serverNotices(context.Background(), root, []string{bin})
	if err != nil {
		t.Fatalf("notices for the real server: %v", err)
	}
	var names []string
	for _, n := range notices {
		names = append(names, n.Name+" "+n.Version)
		if len(n.Licenses) == 0 || strings.TrimSpace(n.Licenses[0].Text) == "" {
			t.Errorf("%s %s has no license text", n.Name, n.Version)
		}
	}
	t.Logf("third-party code in the real server: %s", strings.Join(names, ", "))
	if len(notices) == 0 || notices[0].Name != "Go standard library and runtime" {
		t.Errorf("notices %v do not start with the Go runtime", names)
	}
}
