package jsbundle

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// copyFixture copies testdata/<name>/src into a fresh folder the test may edit.
func copyFixture(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join("testdata", name, "src")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "src"), 0o755)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "src", e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// An incremental context follows edits to an imported file, reports a syntax error as
// file:line:col, and builds again once the error is fixed.
func TestIncrementalFollowsEdits(t *testing.T) {
	jsDir, out := copyFixture(t, "ok"), t.TempDir()
	in, err := NewIncremental(Options{JSDir: jsDir, OutDir: out, Version: "9.9.9"})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	built := func() string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(out, "web_socket.js"))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	greet := filepath.Join(jsDir, "src", "greet.js")
	orig, _ := os.ReadFile(greet)
	if o, err := in.Rebuild(); err != nil || !o.Changed || !strings.Contains(built(), "9.9.9") {
		t.Fatalf("first build: %+v %v", o, err)
	}
	if o, err := in.Rebuild(); err != nil || o.Changed {
		t.Fatalf("unchanged sources rewrote the output: %+v %v", o, err)
	}
	os.WriteFile(greet, append(append([]byte{}, orig...), []byte("\nvar incrementalMarker = 'edited-42'; window.marker = incrementalMarker;\n")...), 0o644)
	if o, err := in.Rebuild(); err != nil || !o.Changed || !strings.Contains(built(), "edited-42") {
		t.Fatalf("edit not followed: %+v %v", o, err)
	}
	os.WriteFile(greet, append(append([]byte{}, orig...), []byte("\nvar broken = ;\n")...), 0o644)
	_, err = in.Rebuild()
	if err == nil || !regexp.MustCompile(regexp.QuoteMeta(filepath.Join("src", "greet.js"))+`:\d+:\d+: `).MatchString(err.Error()) {
		t.Fatalf("syntax error not reported as file:line:col: %v", err)
	}
	os.WriteFile(greet, orig, 0o644)
	if o, err := in.Rebuild(); err != nil || !o.Changed || strings.Contains(built(), "edited-42") {
		t.Fatalf("build after the fix: %+v %v", o, err)
	}
}
