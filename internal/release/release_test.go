package release

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The tests release a small fake repository (testdata/fakerepo: a main
// package with the server's -version mechanism that links one third-party
// module) for one platform, because cross-compiling the real server six
// times takes minutes on a small machine. `mage release` covers the real one.

var testPlatforms = []Platform{{"linux", "amd64"}}

// testEpoch is 2023-11-14T22:13:20Z, given as $SOURCE_DATE_EPOCH.
const testEpoch = 1700000000

// gitEnv gives git a fixed identity and dates, independent of the machine.
var gitEnv = []string{
	"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.invalid",
	"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.invalid",
	"GIT_AUTHOR_DATE=2022-01-02T03:04:05Z", "GIT_COMMITTER_DATE=2022-01-02T03:04:05Z",
	"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
}

func runGit(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), gitEnv...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

func git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := runGit(dir, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// writeFakeDist writes small stand-ins for the built files.
func writeFakeDist(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range DistFiles {
		body := "fake " + f + "\n" + strings.Repeat("x", len(f)*13) + "\n"
		if err := os.WriteFile(filepath.Join(dir, f), []byte(body), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// makeFakeRepo copies testdata/fakerepo into dir as a git repository with
// one commit, and writes a fake dist/ (ignored by git). Fixture files named
// *.txt lose that suffix, so the Go tool never sees them inside testdata.
func makeFakeRepo(dir string) error {
	if _, err := exec.LookPath("git"); err != nil {
		return fmt.Errorf("git is required: %v", err)
	}
	src := filepath.Join("testdata", "fakerepo")
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		rel = strings.TrimSuffix(rel, ".txt")
		if rel == "gitignore" {
			rel = ".gitignore"
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), data, 0o644)
	})
	if err != nil {
		return err
	}
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"}, {"commit", "-q", "-m", "fixture"}} {
		if _, err := runGit(dir, args...); err != nil {
			return err
		}
	}
	return writeFakeDist(filepath.Join(dir, "dist"))
}

func newFakeRepo(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := makeFakeRepo(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// fakeOptions are DefaultOptions for a fake repository, with the fake
// server, one platform and $SOURCE_DATE_EPOCH = testEpoch.
func fakeOptions(root, out string, allowDirty bool) (Options, error) {
	old, had := os.LookupEnv("SOURCE_DATE_EPOCH")
	os.Setenv("SOURCE_DATE_EPOCH", fmt.Sprint(testEpoch))
	defer func() {
		if had {
			os.Setenv("SOURCE_DATE_EPOCH", old)
		} else {
			os.Unsetenv("SOURCE_DATE_EPOCH")
		}
	}()
	opts, err := DefaultOptions(context.Background(), root, allowDirty)
	if err != nil {
		return Options{}, err
	}
	opts.Out = out
	opts.ServerPkg = "./fakeserver"
	opts.Platforms = testPlatforms
	return opts, nil
}

// fixture is one release of a fake repository, shared by the tests that
// only read it (building it costs a Go cross-compile).
type fixture struct {
	root, out string
	opts      Options
	res       Result
	log       string
}

var (
	fixOnce sync.Once
	fix     fixture
	fixErr  error
	fixDir  string // removed by TestMain
)

func TestMain(m *testing.M) {
	code := m.Run()
	if fixDir != "" {
		os.RemoveAll(fixDir)
	}
	os.Exit(code)
}

func sharedRelease(t *testing.T) fixture {
	t.Helper()
	fixOnce.Do(func() {
		if fixDir, fixErr = os.MkdirTemp("", "release-test-"); fixErr == nil {
			fix, fixErr = buildFixture(fixDir)
		}
	})
	if fixErr != nil {
		t.Fatalf("building the shared test release: %v", fixErr)
	}
	return fix
}

func buildFixture(dir string) (fixture, error) {
	f := fixture{root: filepath.Join(dir, "repo"), out: filepath.Join(dir, "out")}
	if err := os.Mkdir(f.root, 0o755); err != nil {
		return f, err
	}
	if err := makeFakeRepo(f.root); err != nil {
		return f, err
	}
	var err error
	if f.opts, err = fakeOptions(f.root, f.out, false); err != nil {
		return f, err
	}
	var log bytes.Buffer
	f.res, err = Build(context.Background(), f.opts, &log)
	f.log = log.String()
	return f, err
}
