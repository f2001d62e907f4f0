package dev

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

// The poller reports edited, added and removed files once each, and ignores dot-files
// (editors' lock and swap files).
func TestPollerSeesEditsAddsAndRemovals(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.as", "1")
	write("b.as", "1")
	p := newPoller(dir)
	if got := p.changed(); len(got) != 0 {
		t.Fatalf("nothing changed, got %v", got)
	}
	write("a.as", "22")                                                           // edited (size)
	os.Chtimes(filepath.Join(dir, "b.as"), time.Now(), time.Now().Add(time.Hour)) // touched
	write("c.as", "new")                                                          // added
	write(".#a.as", "lock")                                                       // ignored
	got := p.changed()
	sort.Strings(got)
	want := []string{filepath.Join(dir, "a.as"), filepath.Join(dir, "b.as"), filepath.Join(dir, "c.as")}
	if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("changed %v, want %v", got, want)
	}
	os.Remove(filepath.Join(dir, "c.as"))
	if got := p.changed(); len(got) != 1 || got[0] != filepath.Join(dir, "c.as") {
		t.Fatalf("after a removal: %v", got)
	}
	if got := p.changed(); len(got) != 0 {
		t.Fatalf("reported twice: %v", got)
	}
}
