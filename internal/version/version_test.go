package version

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// newRepo makes an empty git repository with a fixed identity and dates so
// the test does not depend on the machine's git config.
func newRepo(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("git is required for this test: %v", err)
	}
	dir := t.TempDir()
	run(t, dir, "init", "-q", "-b", "main")
	return dir
}

func run(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.invalid",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.invalid",
		"GIT_AUTHOR_DATE=2021-02-03T04:05:06Z", "GIT_COMMITTER_DATE=2021-02-03T04:05:06Z",
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func commitFile(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, dir, "add", name)
	run(t, dir, "commit", "-q", "-m", "add "+name)
}

func describe(t *testing.T, dir string) Info {
	t.Helper()
	info, err := Describe(context.Background(), dir)
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	if !IsSemver(info.Version) {
		t.Errorf("version %q is not valid semver", info.Version)
	}
	return info
}

func TestNotARepo(t *testing.T) {
	info := describe(t, t.TempDir())
	if info.Version != Fallback || info.FromGit || info.Commit != "" {
		t.Fatalf("got %+v, want fallback %q", info, Fallback)
	}
}

func TestRepoWithoutCommits(t *testing.T) {
	info := describe(t, newRepo(t))
	if info.Version != Fallback || info.FromGit {
		t.Fatalf("got %+v, want fallback %q", info, Fallback)
	}
}

func TestNoTags(t *testing.T) {
	dir := newRepo(t)
	commitFile(t, dir, "a.txt", "a")
	sha := run(t, dir, "rev-parse", "HEAD")
	info := describe(t, dir)
	if want := "0.0.0-g" + sha[:12]; info.Version != want {
		t.Errorf("version = %q, want %q", info.Version, want)
	}
	if info.Commit != sha || info.Dirty || !info.FromGit || info.Tag != "" {
		t.Errorf("info = %+v", info)
	}
	if want := time.Date(2021, 2, 3, 4, 5, 6, 0, time.UTC); !info.CommitTime.Equal(want) {
		t.Errorf("commit time = %v, want %v", info.CommitTime, want)
	}
}

func TestTags(t *testing.T) {
	dir := newRepo(t)
	commitFile(t, dir, "a.txt", "a")
	run(t, dir, "tag", "v1.2.0") // lightweight tags count (--tags)
	if info := describe(t, dir); info.Version != "1.2.0" || info.Tag != "v1.2.0" {
		t.Errorf("at tag: %+v, want 1.2.0 from v1.2.0", info)
	}
	commitFile(t, dir, "b.txt", "b")
	commitFile(t, dir, "c.txt", "c")
	sha := run(t, dir, "rev-parse", "HEAD")
	info := describe(t, dir)
	if want := "1.2.0-2-g" + sha[:12]; info.Version != want {
		t.Errorf("after tag: %q, want %q", info.Version, want)
	}
	if info.Tag != "v1.2.0" {
		t.Errorf("tag = %q", info.Tag)
	}
	run(t, dir, "tag", "-a", "-m", "release", "2.0.0-rc.1")
	if info := describe(t, dir); info.Version != "2.0.0-rc.1" {
		t.Errorf("annotated tag without v: %q", info.Version)
	}
}

func TestDirty(t *testing.T) {
	dir := newRepo(t)
	commitFile(t, dir, "a.txt", "a")
	sha := run(t, dir, "rev-parse", "HEAD")[:12]

	// A modified tracked file.
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	info := describe(t, dir)
	if want := "0.0.0-g" + sha + "-dirty"; info.Version != want || !info.Dirty {
		t.Errorf("modified: %+v, want %q", info, want)
	}
	run(t, dir, "checkout", "--", "a.txt")
	if info := describe(t, dir); info.Dirty {
		t.Errorf("clean again but dirty: %+v", info)
	}

	// An untracked file counts; an ignored one does not.
	commitFile(t, dir, ".gitignore", "/out/\n")
	if err := os.MkdirAll(filepath.Join(dir, "out"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "out", "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if info := describe(t, dir); info.Dirty {
		t.Errorf("ignored file made the tree dirty: %+v", info)
	}
	if err := os.WriteFile(filepath.Join(dir, "stray.go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if info := describe(t, dir); !info.Dirty || !strings.HasSuffix(info.Version, "-dirty") {
		t.Errorf("untracked file: %+v, want dirty", info)
	}
}

func TestIsSemver(t *testing.T) {
	good := []string{"0.0.0-dev", "1.2.3", "1.2.3-4-g0123456789ab", "1.2.3-rc.1+build.5", "0.0.0-g0123456789ab-dirty"}
	bad := []string{"v1.2.3", "1.2", "01.2.3", "1.2.3-01", "1.2.3-", "release-1", ""}
	for _, v := range good {
		if !IsSemver(v) {
			t.Errorf("IsSemver(%q) = false, want true", v)
		}
	}
	for _, v := range bad {
		if IsSemver(v) {
			t.Errorf("IsSemver(%q) = true, want false", v)
		}
	}
	// The no-tag form must stay semver even when the short sha is digits only.
	if !IsSemver("0.0.0-g012345678901") {
		t.Error("0.0.0-g<digits> should be semver")
	}
}
