package swf_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/web-socket-js/web-socket-js/internal/swf"
	"github.com/web-socket-js/web-socket-js/internal/testkit/swfinfo"
)

// A warm compiler recompiles edits in one JVM, incrementally: a good edit replaces the
// output, an error names file:line:col and keeps the previous output, the fix compiles
// again, the result is byte for byte a full compile's, a killed JVM is replaced, and
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
	incremental := 0
	compile := func(src string) error {
		t.Helper()
		if err := os.WriteFile(target.Entry, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := w.Compile(ctx, []string{target.Entry})
		if res.Incremental {
			incremental++
		}
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
	if incremental != 2 { // the second edit and the fix; the first compile is full
		t.Errorf("%d incremental compiles, want 2", incremental)
	}
	// What the incremental compiles wrote is what a full compile writes.
	body := func() string {
		t.Helper()
		b, _ := os.ReadFile(target.Output)
		u, err := swfinfo.Uncompressed(b)
		if err != nil {
			t.Fatal(err)
		}
		return string(u)
	}
	afterEdits := body()
	if res, err := w.Compile(ctx, nil); err != nil || res.Incremental {
		t.Fatalf("full compile: %+v %v", res, err)
	}
	if body() != afterEdits {
		t.Error("the incremental compile's SWF differs from a full compile of the same source")
	}
	if !w.DependsOn(target.Entry) || w.DependsOn(target.Entry+".other.as") {
		t.Fatalf("the link report does not list exactly the entry file")
	}
	// A JVM that dies is replaced at the next compile.
	first := w.PID()
	if p, err := os.FindProcess(first); err == nil {
		p.Kill()
	}
	if err := compile(withString("after-kill")); err != nil || !hasString("after-kill") || w.PID() == first {
		t.Fatalf("compile after the JVM was killed: %v (pid %d, was %d)", err, w.PID(), first)
	}
	pid := w.PID()
	start := time.Now()
	w.Close()
	if time.Since(start) >= swf.WarmStopGrace {
		t.Errorf("the JVM did not exit when its input closed; Close had to kill it")
	}
	if p, err := os.FindProcess(pid); err == nil && p.Signal(syscall.Signal(0)) == nil {
		t.Fatalf("warm JVM %d still running after Close", pid)
	}
}

// Without javac (a JRE only), Warm still compiles: a compiler process per compile.
func TestWarmWithoutJavacCompilesCold(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, target := scratch(t, ctx)
	jre := t.TempDir()
	if err := os.Symlink(c.Toolchain.Java, filepath.Join(jre, "java")); err != nil {
		t.Fatal(err)
	}
	tc := *c.Toolchain
	tc.Java = filepath.Join(jre, "java")
	c.Toolchain = &tc
	t.Setenv("PATH", jre)
	w, err := c.StartWarm(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if w.PID() != 0 {
		t.Fatal("a warm JVM started without javac")
	}
	res, err := w.Compile(ctx, []string{target.Entry})
	if err != nil || res.Incremental {
		t.Fatalf("cold compile: %+v %v", res, err)
	}
	if b, _ := os.ReadFile(target.Output); len(b) < 8 {
		t.Fatal("no SWF written")
	}
}

// A JVM that never answers (a deadlocked compiler) does not stall the compiles: it is
// killed after the timeout, the compile says so, and the next compile runs in a new JVM.
func TestWarmKillsAndReplacesAHungJVM(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, target := scratch(t, ctx)
	// A java that, the first time it is asked to run the driver, hangs instead.
	bin := t.TempDir()
	once := filepath.Join(bin, "hung-once")
	script := fmt.Sprintf("#!/bin/sh\ncase \"$*\" in *WarmMXMLC*) if [ ! -e %q ]; then : > %q; exec sleep 600; fi;; esac\nexec %q \"$@\"\n",
		once, once, c.Toolchain.Java)
	if err := os.WriteFile(filepath.Join(bin, "java"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	tc := *c.Toolchain
	tc.Java = filepath.Join(bin, "java")
	c.Toolchain = &tc
	w, err := c.StartWarm(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	hung := w.PID()
	if hung == 0 {
		t.Fatal("no warm JVM started (is javac missing?)")
	}
	// A second is too short for the replacement JVM's first compile too: both are killed.
	w.SetTimeout(time.Second)
	done := make(chan error, 1)
	go func() { _, err := w.Compile(ctx, nil); done <- err }()
	select {
	case err := <-done:
		if err != nil && !strings.Contains(err.Error(), "no answer within 1s") {
			t.Fatalf("compile with a hung JVM: %v", err)
		}
	case <-time.After(time.Minute):
		cancel() // kills the JVM, so that Close does not wait for the compile too
		t.Fatal("the compile is still waiting for the hung JVM after a minute")
	}
	if p, err := os.FindProcess(hung); err == nil && p.Signal(syscall.Signal(0)) == nil {
		t.Fatalf("the hung JVM %d is still running", hung)
	}
	w.SetTimeout(swf.WarmTimeout)
	if _, err := w.Compile(ctx, nil); err != nil {
		t.Fatalf("compile after the hung JVM was replaced: %v", err)
	}
	if pid := w.PID(); pid == 0 || pid == hung {
		t.Fatalf("no new JVM: pid %d (the hung one was %d)", pid, hung)
	}
	if b, _ := os.ReadFile(target.Output); len(b) < 8 {
		t.Fatal("no SWF written")
	}
}
