package release

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/web-socket-js/web-socket-js/internal/testkit/proctest"
	"github.com/web-socket-js/web-socket-js/internal/testkit/tcpclient"
)

// The repository's real server, built the way a release builds it for this
// machine's platform (BuildServer, one platform only, to stay quick), runs:
// its banner carries the stamped version, it answers a Flash policy request,
// it stops with status 0 on SIGTERM, and its notices come from the real
// module cache. How the command behaves otherwise is server/main_test.go's.
func TestRealServerRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips compiling the real server")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "server", "main.go")); err != nil {
		t.Fatalf("the repository's server command is missing: %v", err)
	}
	const v = "9.8.7-test.1"
	p := Platform{runtime.GOOS, runtime.GOARCH}
	bin := filepath.Join(t.TempDir(), filepath.Base(p.BinaryName()))
	if err := BuildServer(context.Background(), root, "./server", p, v, bin); err != nil {
		t.Fatal(err)
	}
	runBuiltServer(t, bin, v)

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

var banner = regexp.MustCompile(`web-socket-js server (\S+): try it at http://([^/]+)/`)

// runBuiltServer starts bin on a loopback port, checks its banner's version
// and its policy answer, and stops it with SIGTERM.
func runBuiltServer(t *testing.T, bin, version string) {
	t.Helper()
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-dist", t.TempDir())
	m := proctest.Start(t, cmd, banner, 30*time.Second)
	if m[1] != version {
		t.Errorf("the banner says version %q, want the stamped %q", m[1], version)
	}
	c := tcpclient.Dial(t, m[2])
	defer c.Close()
	io.WriteString(c, "<policy-file-request/>\x00")
	got, err := io.ReadAll(c)
	if err != nil || !strings.Contains(string(got), "<cross-domain-policy>") {
		t.Fatalf("policy from the built server: %q, %v", got, err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("after SIGTERM the built server exited with %v, want status 0", err)
	}
}
