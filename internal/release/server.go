package release

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// serverEnv pins everything in the environment that changes the bytes of a
// Go binary, so a user's GOFLAGS/GOAMD64/… cannot make releases differ.
func serverEnv(p Platform) []string {
	env := os.Environ()
	drop := map[string]bool{"GOFLAGS": true, "GOAMD64": true, "GOARM64": true, "GOEXPERIMENT": true,
		"CGO_ENABLED": true, "GOOS": true, "GOARCH": true}
	kept := env[:0:0]
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); !drop[k] {
			kept = append(kept, kv)
		}
	}
	return append(kept,
		"CGO_ENABLED=0", "GOOS="+p.OS, "GOARCH="+p.Arch,
		"GOAMD64=v1", "GOARM64=v8.0", "GOFLAGS=-mod=readonly", "GOEXPERIMENT=")
}

// ServerLdflags are the linker flags of a release binary: no symbol table or
// DWARF, an empty build id (the default one hashes inputs that include
// paths), and the version in main.version.
func ServerLdflags(version string) string {
	return "-s -w -buildid= -X main.version=" + version
}

// BuildServer cross-compiles the main package pkg (a path relative to root,
// e.g. "./server") for p into out, reproducibly: CGO off, -trimpath,
// -buildvcs=false, ServerLdflags. The package must declare
// `var version string` (any initial value) for -X to stamp it.
func BuildServer(ctx context.Context, root, pkg string, p Platform, version, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false",
		"-ldflags="+ServerLdflags(version), "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = serverEnv(p)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s for %s: %v\n%s", pkg, p, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// buildServers builds all platforms into dir, a few at a time (each go build
// is parallel inside, but linking is not), and returns the binaries' paths by
// platform in the order given.
func buildServers(ctx context.Context, root, pkg string, platforms []Platform, version, dir string) ([]string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := min(runtime.NumCPU(), 3, len(platforms))
	paths := make([]string, len(platforms))
	var (
		mu       sync.Mutex
		firstErr error // the failure that cancelled the rest, not their "killed"
	)
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				p := platforms[i]
				paths[i] = filepath.Join(dir, filepath.Base(p.BinaryName()))
				if err := BuildServer(ctx, root, pkg, p, version, paths[i]); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
						cancel() // no point finishing the others
					}
					mu.Unlock()
				}
			}
		}()
	}
feed:
	for i := range platforms {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return paths, nil
}
