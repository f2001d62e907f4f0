package fsutil

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteIfChangedWritesOnlyChanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "out.txt")
	for i, c := range []struct {
		data    string
		changed bool
	}{{"a", true}, {"a", false}, {"b", true}} {
		changed, err := WriteIfChanged(path, []byte(c.data))
		if err != nil || changed != c.changed {
			t.Fatalf("step %d: changed=%v err=%v, want %v", i, changed, err, c.changed)
		}
		if got, _ := os.ReadFile(path); string(got) != c.data {
			t.Fatalf("step %d: content %q", i, got)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}

func TestWriteAtomicFailureLeavesOldFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores directory permissions")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	os.WriteFile(path, []byte("old"), 0o644)
	os.Chmod(dir, 0o555) // no new files: the temporary cannot be created
	defer os.Chmod(dir, 0o755)
	if err := WriteAtomic(path, []byte("new")); err == nil {
		t.Fatal("write into a read-only folder succeeded")
	}
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Fatalf("old file changed to %q", got)
	}
}

func TestCopyIfChangedMissingSource(t *testing.T) {
	if _, err := CopyIfChanged(filepath.Join(t.TempDir(), "nope"), filepath.Join(t.TempDir(), "x")); err == nil {
		t.Fatal("missing source gave no error")
	}
}
