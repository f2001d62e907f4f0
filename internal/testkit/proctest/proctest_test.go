package proctest

import (
	"os/exec"
	"regexp"
	"testing"
	"time"
)

func TestStartReturnsTheReadyLine(t *testing.T) {
	cmd := exec.Command("sh", "-c", "echo starting; echo listening 127.0.0.1:4242; echo listening again; exec sleep 30")
	m := Start(t, cmd, regexp.MustCompile(`^listening (\S+)$`), 10*time.Second)
	if m[1] != "127.0.0.1:4242" {
		t.Fatalf("got %q, want the first ready line's address", m)
	}
}
