// Package js_test runs the shim's tests from go test: the Node unit tests (against a
// fake SWF), the size report, and the browser tests with the real SWF in Ruffle.
package js_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestNodeUnitTests runs `node --test test/*.test.mjs`: the shim against a fake SWF that
// speaks flash-src/BRIDGE.md. (Files are listed: test/ also holds browser-test fixtures.)
func TestNodeUnitTests(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("the shim's unit tests need Node.js 18 or newer on PATH (they run with `node --test`): install nodejs")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	files, err := filepath.Glob(filepath.Join("test", "*.test.mjs"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test/*.test.mjs files (%v)", err)
	}
	cmd := exec.CommandContext(ctx, node, append([]string{"--test", "--test-reporter=tap"}, files...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test failed: %v\n%s", err, failures(string(out)))
	}
	summary := regexp.MustCompile(`(?m)^# (tests|pass|fail) \d+$`).FindAllString(string(out), -1)
	if len(summary) != 3 || !strings.Contains(string(out), "\n# fail 0") {
		t.Fatalf("unexpected node --test output:\n%s", out)
	}
	t.Log(strings.Join(summary, ", "))
}

// failures keeps the "not ok" blocks of TAP output (the whole output when there are none).
func failures(tap string) string {
	var b strings.Builder
	keep := false
	for _, line := range strings.Split(tap, "\n") {
		trimmed := strings.TrimLeft(line, " ")
		if strings.HasPrefix(trimmed, "not ok") {
			keep = true
		} else if strings.HasPrefix(trimmed, "ok ") {
			keep = false
		}
		if keep || strings.HasPrefix(line, "# ") {
			b.WriteString(line + "\n")
		}
	}
	if b.Len() == 0 {
		return tap
	}
	return b.String()
}
