package jsbundle

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func build(t *testing.T, fixture string) ([]Output, string, error) {
	t.Helper()
	out := t.TempDir()
	outs, err := Build(context.Background(), Options{JSDir: filepath.Join("testdata", fixture), OutDir: out, Version: "1.2.3"})
	return outs, out, err
}

func TestBuildWritesTheFourFilesASCIIAndVersioned(t *testing.T) {
	outs, dir, err := build(t, "ok")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"web_socket.js", "web_socket.min.js", "web_socket.min.js.map", "web_socket.mjs"}
	if len(outs) != len(want) {
		t.Fatalf("outputs %v, want %v", outs, want)
	}
	for _, name := range want {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range b {
			if c > 0x7e {
				t.Fatalf("%s: non-ASCII byte %#x at %d", name, c, i)
			}
		}
		if strings.HasSuffix(name, "js") && !strings.Contains(string(b), "1.2.3") {
			t.Errorf("%s: version define not applied", name)
		}
	}
	min, _ := os.ReadFile(filepath.Join(dir, "web_socket.min.js"))
	if !strings.Contains(string(min), "sourceMappingURL=web_socket.min.js.map") {
		t.Error("minified file does not link its source map")
	}
	if mjs, _ := os.ReadFile(filepath.Join(dir, "web_socket.mjs")); !strings.Contains(string(mjs), "export") {
		t.Error("the module build exports nothing")
	}
}

func TestSecondBuildChangesNothing(t *testing.T) {
	out := t.TempDir()
	o := Options{JSDir: filepath.Join("testdata", "ok"), OutDir: out, Version: "1"}
	if _, err := Build(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	outs, err := Build(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range outs {
		if f.Changed {
			t.Errorf("%s rewritten by an identical build", f.Path)
		}
	}
}

// MinifySyntax turns o["delete"] into o.delete, which IE 8 cannot parse: the gate must
// catch it, name the file and position, and write nothing.
func TestES3GateRejectsReservedWordProperty(t *testing.T) {
	_, dir, err := build(t, "reserved")
	if err == nil || !strings.Contains(err.Error(), "not ES3-safe") || !regexp.MustCompile(`web_socket.min.js:\d+:\d+: Unexpected keyword .delete.`).MatchString(err.Error()) {
		t.Fatalf("err = %v, want an ES3 rejection with position", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("a rejected build wrote files: %v", entries)
	}
}

func TestES3CheckRejectsTrailingCommaAndAcceptsES3(t *testing.T) {
	c := DefaultES3Check()
	c.Memo = ""
	if err := c.Check(context.Background(), "x.js", []byte("var a = {b: 1,};")); err == nil {
		t.Fatal("trailing comma in an object literal accepted")
	}
	if err := c.Check(context.Background(), "x.js", []byte(`var a = {b: 1}; a["class"] = 2;`)); err != nil {
		t.Fatalf("valid ES3 rejected: %v", err)
	}
}

func TestMissingEntryPointIsAClearError(t *testing.T) {
	_, err := Build(context.Background(), Options{JSDir: t.TempDir(), OutDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "entry point missing") {
		t.Fatalf("err = %v", err)
	}
}
