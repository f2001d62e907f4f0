// Package release makes the reproducible release archives of web-socket-js
// (web-socket-js-<version>.tar.gz and .zip plus SHA256SUMS) from files that
// are already built, and verifies them. See README.md beside this file for
// the archive layout and the reproducibility rules.
package release

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/web-socket-js/web-socket-js/internal/fsutil"
	"github.com/web-socket-js/web-socket-js/internal/version"
)

// Options configure Build. DefaultOptions fills them for the repository.
type Options struct {
	Root            string        // repository root: module root, LICENSE, README.md
	Dist            string        // directory holding DistFiles (the output of the build)
	Out             string        // directory the archives and SHA256SUMS are written to
	Version         string        // semantic version, no leading "v"; see internal/version
	SourceDateEpoch int64         // Unix seconds for every mtime in the archives
	AllowDirty      bool          // release a work tree with uncommitted changes
	ServerPkg       string        // main package of the server, relative to Root; default "./server"
	Platforms       []Platform    // server targets; nil means DefaultPlatforms
	ExtraNotices    []ExtraNotice // third-party code inside the Dist files, if any
}

// ErrDirty is returned (wrapped) when the work tree has uncommitted changes
// and Options.AllowDirty is false.
var ErrDirty = errors.New("work tree has uncommitted changes or untracked files")

// DefaultOptions returns the options of a normal release of the repository
// at root: Dist and Out are root/dist, the version and dirtiness come from
// git (internal/version), SourceDateEpoch from $SOURCE_DATE_EPOCH or else
// the HEAD commit time. A dirty tree is refused here already, before any
// build work, unless allowDirty (the version then ends in "-dirty").
func DefaultOptions(ctx context.Context, root string, allowDirty bool) (Options, error) {
	info, err := version.Describe(ctx, root)
	if err != nil {
		return Options{}, err
	}
	if info.Dirty && !allowDirty {
		return Options{}, dirtyError(root)
	}
	epoch, err := sourceDateEpoch(info)
	if err != nil {
		return Options{}, err
	}
	return Options{
		Root:            root,
		Dist:            filepath.Join(root, "dist"),
		Out:             filepath.Join(root, "dist"),
		Version:         info.Version,
		SourceDateEpoch: epoch,
		AllowDirty:      allowDirty,
		ServerPkg:       "./server",
	}, nil
}

func dirtyError(root string) error {
	return fmt.Errorf("release: %s: %w; commit or stash them (see `git status`), or allow a dirty release explicitly", root, ErrDirty)
}

// sourceDateEpoch follows reproducible-builds.org: $SOURCE_DATE_EPOCH if
// set, else the commit time.
func sourceDateEpoch(info version.Info) (int64, error) {
	if s, ok := os.LookupEnv("SOURCE_DATE_EPOCH"); ok && s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("release: SOURCE_DATE_EPOCH=%q is not a non-negative integer of Unix seconds", s)
		}
		return n, nil
	}
	if info.CommitTime.IsZero() {
		return 0, errors.New("release: not a git checkout and SOURCE_DATE_EPOCH is not set: no fixed time for the archive entries")
	}
	return info.CommitTime.Unix(), nil
}

// Artifact is one file Build wrote.
type Artifact struct {
	Path   string
	Size   int64
	SHA256 string
}

// Result says what Build made.
type Result struct {
	Version   string
	TarGz     Artifact
	Zip       Artifact
	Sums      string        // path of SHA256SUMS
	Files     int           // files in each archive (directories not counted)
	Unpacked  int64         // their total size
	Elapsed   time.Duration // wall time of Build
	ServerDur time.Duration // of which cross-compiling the servers
}

// Build writes Out/web-socket-js-<Version>.tar.gz, .zip and SHA256SUMS from
// the files in Dist, the repository's LICENSE and README.md, and server
// binaries it cross-compiles from ServerPkg. It does not build Dist. The
// same inputs give byte-identical outputs. Progress, the time taken and the
// archive sizes are written to log (may be nil).
func Build(ctx context.Context, opts Options, log io.Writer) (Result, error) {
	start := time.Now()
	if log == nil {
		log = io.Discard
	}
	if err := checkOptions(ctx, &opts); err != nil {
		return Result{}, err
	}
	mtime := time.Unix(opts.SourceDateEpoch, 0).UTC()
	fmt.Fprintf(log, "release: %s %s, entry times %s\n", Product, opts.Version, mtime.Format(time.RFC3339))

	if err := os.MkdirAll(opts.Out, 0o755); err != nil {
		return Result{}, err
	}
	stage, err := os.MkdirTemp(opts.Out, ".release-")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(stage)

	t0 := time.Now()
	bins, err := buildServers(ctx, opts.Root, opts.ServerPkg, opts.Platforms, opts.Version, stage)
	if err != nil {
		return Result{}, fmt.Errorf("release: %w", err)
	}
	serverDur := time.Since(t0)
	fmt.Fprintf(log, "release: cross-compiled %d server binaries in %s\n", len(bins), serverDur.Round(time.Millisecond))

	members, err := collect(ctx, opts, bins)
	if err != nil {
		return Result{}, fmt.Errorf("release: %w", err)
	}
	res := Result{Version: opts.Version, ServerDur: serverDur}
	for _, m := range members {
		if !m.isDir() {
			res.Files++
			res.Unpacked += int64(len(m.data))
		}
	}

	tgzName, zipName := ArchiveNames(opts.Version)
	if res.TarGz, err = writeArchive(filepath.Join(opts.Out, tgzName), func(w io.Writer) error {
		return writeTarGz(w, members, mtime)
	}); err != nil {
		return Result{}, fmt.Errorf("release: %w", err)
	}
	if res.Zip, err = writeArchive(filepath.Join(opts.Out, zipName), func(w io.Writer) error {
		return writeZip(w, members, mtime)
	}); err != nil {
		return Result{}, fmt.Errorf("release: %w", err)
	}
	res.Sums = filepath.Join(opts.Out, SumsName)
	sums := fmt.Sprintf("%s  %s\n%s  %s\n", res.TarGz.SHA256, tgzName, res.Zip.SHA256, zipName)
	if err := fsutil.WriteAtomic(res.Sums, []byte(sums)); err != nil {
		return Result{}, fmt.Errorf("release: %w", err)
	}

	res.Elapsed = time.Since(start)
	fmt.Fprintf(log, "release: %d files, %s unpacked\n", res.Files, bytesText(res.Unpacked))
	for _, a := range []Artifact{res.TarGz, res.Zip} {
		fmt.Fprintf(log, "release: %s  %s (%.1f%% of unpacked)  sha256 %s\n", a.Path, bytesText(a.Size),
			100*float64(a.Size)/float64(max(res.Unpacked, 1)), a.SHA256)
	}
	fmt.Fprintf(log, "release: %s\n", res.Sums)
	fmt.Fprintf(log, "release: done in %s\n", res.Elapsed.Round(time.Millisecond))
	return res, nil
}

// checkOptions validates opts, fills defaults and refuses a dirty tree.
func checkOptions(ctx context.Context, opts *Options) error {
	if opts.Root == "" || opts.Dist == "" || opts.Out == "" {
		return errors.New("release: Options.Root, Dist and Out are required")
	}
	if !version.IsSemver(opts.Version) {
		return fmt.Errorf("release: version %q is not a semantic version (it goes into npm/package.json); tag releases like v1.2.3", opts.Version)
	}
	if opts.SourceDateEpoch < 0 {
		return fmt.Errorf("release: SourceDateEpoch %d is negative", opts.SourceDateEpoch)
	}
	if opts.ServerPkg == "" {
		opts.ServerPkg = "./server"
	}
	if opts.Platforms == nil {
		opts.Platforms = DefaultPlatforms
	}
	if len(opts.Platforms) == 0 {
		return errors.New("release: no server platforms")
	}
	info, err := version.Describe(ctx, opts.Root)
	if err != nil {
		return fmt.Errorf("release: %w", err)
	}
	if info.Dirty {
		if !opts.AllowDirty {
			return dirtyError(opts.Root)
		}
		// A dirty release must say so wherever its version shows.
		if !strings.HasSuffix(opts.Version, "-dirty") {
			return fmt.Errorf("release: the work tree is dirty but version %q does not end in -dirty", opts.Version)
		}
	}
	var missing []string
	for _, f := range DistFiles {
		if st, err := os.Stat(filepath.Join(opts.Dist, f)); err != nil || !st.Mode().IsRegular() || st.Size() == 0 {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("release: %s lacks built files %s (run the build first)", opts.Dist, strings.Join(missing, ", "))
	}
	return nil
}

// collect reads or generates every archive entry, in archive order (sorted
// by path, as Layout), with MANIFEST computed over the others.
func collect(ctx context.Context, opts Options, bins []string) ([]member, error) {
	top := TopDir(opts.Version)
	binByName := map[string]string{}
	for i, p := range opts.Platforms {
		binByName[p.BinaryName()] = bins[i]
	}
	notices, err := serverNotices(ctx, opts.Root, bins)
	if err != nil {
		return nil, err
	}
	extra, err := extraNotices(opts.Root, opts.ExtraNotices)
	if err != nil {
		return nil, err
	}
	pkg, err := npmPackageJSON(opts.Version)
	if err != nil {
		return nil, err
	}
	generated := map[string][]byte{
		NoticesName:        noticesText(opts.Version, append(notices, extra...)),
		"npm/package.json": pkg,
	}

	members := []member{{name: top, mode: os.ModeDir | 0o755}}
	manifestAt := -1
	for _, e := range Layout(opts.Platforms) {
		m := member{name: top + e.Path, mode: e.Mode}
		switch e.Source {
		case FromDist:
			m.data, err = os.ReadFile(filepath.Join(opts.Dist, e.From))
		case FromRoot:
			m.data, err = os.ReadFile(filepath.Join(opts.Root, e.From))
		case Server:
			m.data, err = os.ReadFile(binByName[e.Path])
		case Generated:
			if e.Path == ManifestName {
				manifestAt = len(members)
			} else if m.data = generated[e.Path]; m.data == nil {
				err = fmt.Errorf("no generator for %s", e.Path)
			}
		}
		if err != nil {
			return nil, err
		}
		members = append(members, m)
	}
	rest := append(append([]member(nil), members[:manifestAt]...), members[manifestAt+1:]...)
	sort.Slice(rest, func(i, j int) bool { return rest[i].name < rest[j].name })
	members[manifestAt].data = manifestText(opts.Version, rest, top)
	return members, nil
}

// writeArchive writes an archive through a temporary file and a rename, so
// a failed or interrupted release never leaves a truncated archive behind.
func writeArchive(path string, write func(io.Writer) error) (Artifact, error) {
	var b bytes.Buffer
	if err := write(&b); err != nil {
		return Artifact{}, fmt.Errorf("%s: %w", path, err)
	}
	if err := fsutil.WriteAtomic(path, b.Bytes()); err != nil {
		return Artifact{}, err
	}
	return Artifact{Path: path, Size: int64(b.Len()), SHA256: sha256Hex(b.Bytes())}, nil
}

// bytesText is "12,345,678 bytes (11.8 MiB)".
func bytesText(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return fmt.Sprintf("%s bytes (%.1f MiB)", b.String(), float64(n)/(1<<20))
}
