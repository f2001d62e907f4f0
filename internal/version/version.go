// Package version derives the project's version string from git, so that the
// release archive names, the server's -version output and the JS banner all
// say the same thing.
//
// The rules, in order:
//
//   - HEAD is exactly at a tag:        the tag, e.g. "1.2.0" (a leading "v"
//     followed by a digit is dropped, so tag v1.2.0 gives 1.2.0).
//   - HEAD is after a tag:             git describe's form, e.g. "1.2.0-3-g1a2b3c4d5e".
//   - a git repo with commits, no tag: "0.0.0-g<12-hex short sha>", e.g. "0.0.0-g1a2b3c4d5e6f".
//     The "g" keeps the pre-release identifier valid semver even when the
//     short sha is all digits with a leading zero.
//   - not a git checkout (or no commits, or git not installed): "0.0.0-dev".
//
// A work tree with uncommitted changes to tracked files or untracked,
// non-ignored files is "dirty" and gets the suffix "-dirty". Untracked files
// count (unlike plain `git describe --dirty`) because a stray source file
// changes what gets built.
//
// Every form is a valid semantic version when the tag itself is one, which
// matters because the version also goes into the npm package.json.
package version

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Fallback is the version of a tree that is not a git checkout.
const Fallback = "0.0.0-dev"

// abbrev is the fixed short-sha length. Git's default length depends on how
// many objects the clone has, so two clones of one commit could disagree.
const abbrev = 12

// Info describes the source tree a build comes from.
type Info struct {
	Version    string    // see the package comment for the forms
	Commit     string    // full HEAD sha; "" when not from git
	Tag        string    // the tag described from, as written in git; "" if none
	Dirty      bool      // uncommitted changes or untracked files
	CommitTime time.Time // HEAD's committer time (UTC); zero when not from git
	FromGit    bool      // false when the fallback was used
}

// Describe inspects the git work tree containing dir. It falls back to
// Fallback (FromGit false, no error) when dir is not in a git checkout, the
// repository has no commits, or git is not installed. Other git failures
// (e.g. a repository git refuses to read) are returned as errors, since
// guessing a version then would hide a real problem.
func Describe(ctx context.Context, dir string) (Info, error) {
	if _, err := exec.LookPath("git"); err != nil {
		return Info{Version: Fallback}, nil
	}
	commit, err := git(ctx, dir, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
	if err != nil {
		var ge *gitError
		if errors.As(err, &ge) && (ge.notRepo() || ge.code == 1) {
			// Not a repo, or a repo whose HEAD has no commit yet.
			return Info{Version: Fallback}, nil
		}
		return Info{}, err
	}
	info := Info{Commit: commit, FromGit: true}

	ct, err := git(ctx, dir, "show", "-s", "--format=%ct", "HEAD")
	if err != nil {
		return Info{}, err
	}
	secs, err := strconv.ParseInt(ct, 10, 64)
	if err != nil {
		return Info{}, fmt.Errorf("version: commit time %q: %v", ct, err)
	}
	info.CommitTime = time.Unix(secs, 0).UTC()

	status, err := git(ctx, dir, "status", "--porcelain", "--untracked-files=normal")
	if err != nil {
		return Info{}, err
	}
	info.Dirty = status != ""

	desc, err := git(ctx, dir, "describe", "--tags", "--abbrev="+strconv.Itoa(abbrev))
	if err != nil {
		var ge *gitError
		if !errors.As(err, &ge) || !ge.noTags() {
			return Info{}, err
		}
		info.Version = "0.0.0-g" + commit[:abbrev]
	} else {
		info.Tag = tagOf(desc)
		info.Version = normalize(desc)
	}
	if info.Dirty {
		info.Version += "-dirty"
	}
	return info, nil
}

// describeSuffix matches what git describe appends after the tag name.
var describeSuffix = regexp.MustCompile(`-[0-9]+-g[0-9a-f]+$`)

// tagOf returns the tag part of a git describe output.
func tagOf(desc string) string {
	return describeSuffix.ReplaceAllString(desc, "")
}

// normalize drops the conventional "v" of a version tag.
func normalize(desc string) string {
	if len(desc) > 1 && desc[0] == 'v' && desc[1] >= '0' && desc[1] <= '9' {
		return desc[1:]
	}
	return desc
}

// semver is the grammar of semver.org 2.0.0 (without the numeric-identifier
// leading-zero subtleties of build metadata, which we never produce).
var semver = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)` +
	`(-((0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)(\.(0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*))?` +
	`(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)

// IsSemver reports whether v is a valid semantic version (semver.org 2.0.0,
// no leading "v"). npm refuses package.json versions that are not.
func IsSemver(v string) bool { return semver.MatchString(v) }

// gitError is a git command that ran and exited non-zero.
type gitError struct {
	args   []string
	code   int
	stderr string
}

func (e *gitError) Error() string {
	return fmt.Sprintf("version: git %s: exit %d: %s", strings.Join(e.args, " "), e.code, e.stderr)
}

func (e *gitError) notRepo() bool { return strings.Contains(e.stderr, "not a git repository") }

func (e *gitError) noTags() bool {
	return strings.Contains(e.stderr, "No names found") || strings.Contains(e.stderr, "No tags can describe")
}

// git runs git in dir and returns its trimmed standard output.
func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	// A translated git would break the stderr matching above.
	cmd.Env = append(cmd.Environ(), "LC_ALL=C", "LANGUAGE=C")
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", &gitError{args: args, code: ee.ExitCode(), stderr: strings.TrimSpace(errb.String())}
		}
		return "", fmt.Errorf("version: git %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(out.String()), nil
}
