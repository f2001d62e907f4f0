package swf

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// hashTree feeds every file below dir (path relative to dir, then content hash) into h,
// in a stable order.
func hashTree(h hash.Hash, dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		fmt.Fprintf(h, "%s %x\n", filepath.ToSlash(rel), sha256.Sum256(b))
		return nil
	})
}

// installIfChanged copies src to dst (temp name + rename) unless dst already holds the
// same bytes, and returns the size.
func installIfChanged(src, dst string) (int64, error) {
	want, err := os.ReadFile(src)
	if err != nil {
		return 0, err
	}
	if have, err := os.ReadFile(dst); err == nil && bytes.Equal(have, want) {
		return int64(len(want)), nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return 0, err
	}
	return int64(len(want)), writeAtomic(dst, want)
}

func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	os.Chmod(tmp.Name(), 0o644)
	return os.Rename(tmp.Name(), path)
}

// compilerError matches the compiler's "path(line): col: N Error: message".
var compilerError = regexp.MustCompile(`^(.+)\((\d+)\): col: (\d+) (Error|Warning): (.*)$`)

// formatDiagnostics rewrites compiler output as file:line:col: messages, the form
// editors and terminals link to, and drops the noise lines.
func formatDiagnostics(out string) string {
	var b strings.Builder
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimRight(line, "\r")
		if m := compilerError.FindStringSubmatch(line); m != nil {
			fmt.Fprintf(&b, "%s:%s:%s: %s: %s\n", m[1], m[2], m[3], strings.ToLower(m[4]), m[5])
			continue
		}
		if strings.HasPrefix(line, "Loading configuration") || strings.TrimSpace(line) == "" {
			continue
		}
		b.WriteString("    " + line + "\n")
	}
	return b.String()
}
