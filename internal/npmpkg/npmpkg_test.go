package npmpkg

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// tarball builds a .tgz holding files (path → content) and returns it with its integrity.
func tarball(t *testing.T, files map[string]string) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, body)
	}
	tw.Close()
	gz.Close()
	sum := sha512.Sum512(buf.Bytes())
	return buf.Bytes(), "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
}

// serve returns a Downloader that hands out the given bodies in turn (the last repeats)
// and counts calls.
func serve(calls *int32, bodies ...[]byte) Downloader {
	return func(ctx context.Context, p Package, dst string, _ io.Writer) error {
		n := atomic.AddInt32(calls, 1)
		i := int(n) - 1
		if i >= len(bodies) {
			i = len(bodies) - 1
		}
		return os.WriteFile(dst, bodies[i], 0o644)
	}
}

func TestEnsureInstallsKeptFilesOnce(t *testing.T) {
	tgz, integrity := tarball(t, map[string]string{"package/lib/a.jar": "A", "package/docs/big.txt": "B"})
	var calls int32
	f := &Fetcher{Root: t.TempDir(), Download: serve(&calls, tgz)}
	p := Package{Name: "@x/tool", Version: "1.0.0", Integrity: integrity, Keep: []string{"package/lib"}}
	dir, err := f.Ensure(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "package/lib/a.jar")); err != nil || string(b) != "A" {
		t.Fatalf("kept file: %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "package/docs/big.txt")); !os.IsNotExist(err) {
		t.Fatalf("file outside Keep was installed: %v", err)
	}
	if _, err := f.Ensure(context.Background(), p); err != nil || calls != 1 {
		t.Fatalf("second Ensure: calls=%d err=%v, want 1 download", calls, err)
	}
}

func TestTamperedTarballIsRejectedAndNothingInstalled(t *testing.T) {
	good, integrity := tarball(t, map[string]string{"package/a": "real"})
	evil, _ := tarball(t, map[string]string{"package/a": "evil"})
	var calls int32
	f := &Fetcher{Root: t.TempDir(), Download: serve(&calls, evil)}
	p := Package{Name: "tool", Version: "1.0.0", Integrity: integrity}
	_, err := f.Ensure(context.Background(), p)
	if err == nil || !strings.Contains(err.Error(), "integrity mismatch") {
		t.Fatalf("err = %v, want integrity mismatch", err)
	}
	if _, ok := f.Installed(p); ok {
		t.Fatal("tampered package reported installed")
	}
	if entries, _ := os.ReadDir(f.Root); len(entries) != 1 || !strings.HasSuffix(entries[0].Name(), ".lock") {
		t.Fatalf("root holds more than the lock file: %v", entries)
	}
	_ = good
}

func TestPartialDownloadIsFetchedAgain(t *testing.T) {
	good, integrity := tarball(t, map[string]string{"package/a": "ok"})
	var calls int32
	f := &Fetcher{Root: t.TempDir(), Download: serve(&calls, good[:len(good)/2], good)}
	dir, err := f.Ensure(context.Background(), Package{Name: "tool", Version: "1.0.0", Integrity: integrity})
	if err != nil || calls != 2 {
		t.Fatalf("calls=%d err=%v, want success on the second download", calls, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "package/a")); string(b) != "ok" {
		t.Fatalf("content %q", b)
	}
}

func TestIncompleteInstallIsReplaced(t *testing.T) {
	good, integrity := tarball(t, map[string]string{"package/a": "ok"})
	var calls int32
	f := &Fetcher{Root: t.TempDir(), Download: serve(&calls, good)}
	p := Package{Name: "tool", Version: "1.0.0", Integrity: integrity}
	stale := filepath.Join(f.Root, p.dirName())
	os.MkdirAll(stale, 0o755)
	os.WriteFile(filepath.Join(stale, "half"), []byte("x"), 0o644) // no completion marker
	dir, err := f.Ensure(context.Background(), p)
	if err != nil || calls != 1 {
		t.Fatalf("calls=%d err=%v", calls, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "half")); !os.IsNotExist(err) {
		t.Fatal("leftover of the incomplete install survived")
	}
}

func TestConcurrentEnsureDownloadsOnce(t *testing.T) {
	good, integrity := tarball(t, map[string]string{"package/a": "ok"})
	var calls int32
	f := &Fetcher{Root: t.TempDir(), Download: serve(&calls, good)}
	p := Package{Name: "tool", Version: "1.0.0", Integrity: integrity}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); _, errs[i] = f.Ensure(context.Background(), p) }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if calls != 1 {
		t.Fatalf("downloads = %d, want 1", calls)
	}
}

func TestUnsafePathsAndUnpinnedPackagesAreRefused(t *testing.T) {
	evil, integrity := tarball(t, map[string]string{"../escape": "x"})
	var calls int32
	f := &Fetcher{Root: t.TempDir(), Download: serve(&calls, evil)}
	if _, err := f.Ensure(context.Background(), Package{Name: "t", Version: "1", Integrity: integrity}); err == nil || !strings.Contains(err.Error(), "unsafe path") {
		t.Fatalf("err = %v, want unsafe path", err)
	}
	if _, err := f.Ensure(context.Background(), Package{Name: "t", Version: "1", Integrity: "sha1-abc"}); err == nil {
		t.Fatal("an unpinned (non-sha512) integrity was accepted")
	}
}
