package swf_test

import (
	"context"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/web-socket-js/web-socket-js/internal/testkit/swfinfo"
)

// A warm compiler recompiles edits in one JVM: a good edit replaces the output, an
// error names file:line:col and keeps the previous output, the fix compiles again, and
// Close leaves no JVM behind.
func TestWarmCompilerFollowsEditsAndStops(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, target := scratch(t, ctx)
	target.Debug = true
	w, err := c.StartWarm(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if w.PID() == 0 {
		t.Fatal("no warm JVM started (is javac missing?)")
	}
	compile := func(src string) error {
		t.Helper()
		if err := os.WriteFile(target.Entry, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := w.Compile(ctx)
		return err
	}
	hasString := func(s string) bool {
		t.Helper()
		b, err := os.ReadFile(target.Output)
		if err != nil {
			t.Fatal(err)
		}
		body, err := swfinfo.Uncompressed(b)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Contains(string(body), s)
	}
	withString := func(s string) string {
		return strings.Replace(goodMain, "var n:int = 1 + 2;", `var s:String = "`+s+`";`, 1)
	}
	if err := compile(withString("first-edit")); err != nil || !hasString("first-edit") {
		t.Fatalf("first compile: %v", err)
	}
	if err := compile(withString("second-edit")); err != nil || !hasString("second-edit") || hasString("first-edit") {
		t.Fatalf("second compile did not follow the edit: %v", err)
	}
	err = compile(badMain)
	if err == nil || !regexp.MustCompile(regexp.QuoteMeta(target.Entry)+`:5:\d+: error: .*undefinedThing`).MatchString(err.Error()) {
		t.Fatalf("error compile: %v", err)
	}
	if !hasString("second-edit") {
		t.Fatal("a failed compile changed the output")
	}
	if err := compile(withString("fixed")); err != nil || !hasString("fixed") {
		t.Fatalf("compile after the fix: %v", err)
	}
	if !w.DependsOn(target.Entry) || w.DependsOn(target.Entry+".other.as") {
		t.Fatalf("the link report does not list exactly the entry file")
	}
	pid := w.PID()
	w.Close()
	if p, err := os.FindProcess(pid); err == nil && p.Signal(syscall.Signal(0)) == nil {
		t.Fatalf("warm JVM %d still running after Close", pid)
	}
}
