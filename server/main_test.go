package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/web-socket-js/web-socket-js/internal/testkit/proctest"
)

// buildServer compiles this command the way the release does, with a
// stamped version.
func buildServer(t *testing.T, version string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "server")
	cmd := exec.Command("go", "build", "-ldflags", "-X main.version="+version, "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

var urlLine = regexp.MustCompile(`try it at http://(127\.0\.0\.1:\d+)/`)

// startBinary runs bin and returns the address it printed.
func startBinary(t *testing.T, bin string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	return cmd, proctest.Start(t, cmd, urlLine, 30*time.Second)[1]
}

// (That a release build stamps its version is internal/release's test.)
func TestBadFlagExitsWith2(t *testing.T) {
	bin := buildServer(t, "dev")
	if err := exec.Command(bin, "-no-such-flag").Run(); err == nil {
		t.Fatal("a bad flag exited 0")
	} else if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Fatalf("a bad flag: %v, want exit status 2", err)
	}
}

func TestSIGTERMSends1001ToEveryClient(t *testing.T) {
	bin := buildServer(t, "dev")
	cmd, addr := startBinary(t, bin, "-addr", "127.0.0.1:0", "-dist", t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const n = 20
	clients := make([]*websocket.Conn, n)
	for i := range clients {
		c, _, err := websocket.Dial(ctx, "ws://"+addr+"/echo", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		// One echo each proves the connection is fully up before SIGTERM.
		if err := c.Write(ctx, websocket.MessageText, []byte("up")); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.Read(ctx); err != nil {
			t.Fatal(err)
		}
		clients[i] = c
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := c.Read(ctx)
			if st := websocket.CloseStatus(err); st != websocket.StatusGoingAway {
				t.Errorf("client %d: want close 1001 on SIGTERM, got %v (%v)", i, st, err)
			}
		}()
	}
	wg.Wait()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("after SIGTERM the server exited with %v, want status 0", err)
	}
}

func TestDoctorSubcommand(t *testing.T) {
	bin := buildServer(t, "dev")
	_, addr := startBinary(t, bin, "-addr", "127.0.0.1:0", "-dist", t.TempDir())
	out, err := exec.Command(bin, "doctor", "-origin", "http://"+addr, "ws://"+addr+"/echo").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "would connect") {
		t.Fatalf("server doctor against the server: %v\n%s", err, out)
	}
	err = exec.Command(bin, "doctor", "-origin", "https://elsewhere.example", "ws://"+addr+"/echo").Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("server doctor for a page the policy does not list: %v, want exit status 1", err)
	}
	err = exec.Command(bin, "doctor", "http://"+addr+"/").Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Fatalf("server doctor with an http:// URL: %v, want exit status 2", err)
	}
}
