// Package npmpkg fetches pinned npm packages with the npm client, checks them against a
// pinned integrity hash and installs the files a caller needs into the user cache, once.
//
// The registry is whatever the user's npm is configured for: no registry address is
// written here. A warm cache needs no network and no npm.
package npmpkg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/web-socket-js/web-socket-js/internal/cache"
)

// Package names one pinned npm package version.
type Package struct {
	Name      string   // e.g. "@ruffle-rs/ruffle"
	Version   string   // exact version, e.g. "0.6.0"
	Integrity string   // the registry's dist.integrity, "sha512-<base64>"
	Keep      []string // tarball path prefixes to install; empty keeps everything
}

func (p Package) String() string { return p.Name + "@" + p.Version }

// dirName is a file-system-safe, version- and hash-specific folder name.
func (p Package) dirName() string {
	name := strings.NewReplacer("@", "", "/", "+").Replace(p.Name)
	sum := strings.NewReplacer("/", "_", "+", "-").Replace(strings.TrimPrefix(p.Integrity, "sha512-"))
	if len(sum) > 12 {
		sum = sum[:12]
	}
	return name + "-" + p.Version + "-" + sum
}

// Downloader writes the package tarball to dst. Tests replace it; the real one uses npm.
type Downloader func(ctx context.Context, p Package, dst string, progress io.Writer) error

// Fetcher installs packages under Root.
type Fetcher struct {
	Root     string     // install root; Default uses <user cache>/web-socket-js/npm
	Download Downloader // nil: DownloadWithNPM
	Log      io.Writer  // status lines and progress; nil: silent
}

// Default is the Fetcher the build uses; it reports to stdout, with a progress bar when
// stdout is a terminal.
func Default() *Fetcher {
	return &Fetcher{Root: filepath.Join(cache.Dir(), "npm"), Log: os.Stdout}
}

// Ensure installs p with the Default fetcher and returns its directory.
func Ensure(ctx context.Context, p Package) (string, error) { return Default().Ensure(ctx, p) }

const completeMarker = ".wsjs-complete"

// Installed reports the directory of p when it is completely installed, without fetching.
func (f *Fetcher) Installed(p Package) (string, bool) {
	dir := filepath.Join(f.Root, p.dirName())
	marker, err := os.ReadFile(filepath.Join(dir, completeMarker))
	return dir, err == nil && strings.TrimSpace(string(marker)) == p.Integrity
}

// Ensure returns the directory holding p's kept files, fetching and installing it first
// when it is missing or incomplete. Concurrent callers (in this or other processes)
// serialise on a lock file, so exactly one installs and the rest reuse its result.
func (f *Fetcher) Ensure(ctx context.Context, p Package) (string, error) {
	if err := p.validate(); err != nil {
		return "", err
	}
	if dir, ok := f.Installed(p); ok {
		return dir, nil
	}
	if err := os.MkdirAll(f.Root, 0o755); err != nil {
		return "", err
	}
	unlock, err := cache.Lock(ctx, filepath.Join(f.Root, p.dirName()+".lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if dir, ok := f.Installed(p); ok { // another process finished while we waited
		return dir, nil
	}
	return f.install(ctx, p)
}

func (p Package) validate() error {
	if p.Name == "" || p.Version == "" {
		return errors.New("npmpkg: package name and version are required")
	}
	if !strings.HasPrefix(p.Integrity, "sha512-") {
		return fmt.Errorf("npmpkg: %s: integrity must be a pinned sha512 value, got %q", p, p.Integrity)
	}
	return nil
}

// install downloads, verifies and extracts p; a bad download is fetched once more,
// since a truncated or corrupted transfer is the common cause of a mismatch.
func (f *Fetcher) install(ctx context.Context, p Package) (string, error) {
	tmp, err := os.MkdirTemp(f.Root, ".fetch-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	tarball := filepath.Join(tmp, "package.tgz")
	var verifyErr error
	for attempt := 1; attempt <= 2; attempt++ {
		f.logf("fetching %s with npm (attempt %d)\n", p, attempt)
		if err := f.downloader()(ctx, p, tarball, f.Log); err != nil {
			return "", fmt.Errorf("npmpkg: fetching %s: %w", p, err)
		}
		if verifyErr = VerifyFile(tarball, p.Integrity); verifyErr == nil {
			break
		}
		f.logf("%v; fetching again\n", verifyErr)
		os.Remove(tarball)
	}
	if verifyErr != nil {
		return "", fmt.Errorf("npmpkg: %s: %w (nothing was installed)", p, verifyErr)
	}
	staging := filepath.Join(tmp, "tree")
	if err := extract(tarball, staging, p.Keep); err != nil {
		return "", fmt.Errorf("npmpkg: unpacking %s: %w", p, err)
	}
	if err := os.WriteFile(filepath.Join(staging, completeMarker), []byte(p.Integrity+"\n"), 0o644); err != nil {
		return "", err
	}
	final := filepath.Join(f.Root, p.dirName())
	if err := os.RemoveAll(final); err != nil { // an earlier, incomplete install
		return "", err
	}
	if err := os.Rename(staging, final); err != nil {
		return "", err
	}
	f.logf("installed %s in %s\n", p, final)
	return final, nil
}

func (f *Fetcher) downloader() Downloader {
	if f.Download != nil {
		return f.Download
	}
	return DownloadWithNPM
}

func (f *Fetcher) logf(format string, args ...any) {
	if f.Log != nil {
		fmt.Fprintf(f.Log, "npm: "+format, args...)
	}
}
