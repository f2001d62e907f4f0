package release

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func readMembers(t *testing.T, path string) []member {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	read := readTarGz
	if strings.HasSuffix(path, ".zip") {
		read = readZip
	}
	ms, err := read(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return ms
}

func findMember(t *testing.T, ms []member, name string) member {
	t.Helper()
	for _, m := range ms {
		if m.name == name {
			return m
		}
	}
	t.Fatalf("archive has no %s", name)
	return member{}
}

// Two releases of one commit, from two clones in different directories into
// two output directories, are byte-identical.
func TestBuildIsReproducible(t *testing.T) {
	f := sharedRelease(t)

	clone := filepath.Join(t.TempDir(), "elsewhere", "clone")
	git(t, filepath.Dir(f.root), "clone", "-q", f.root, clone)
	if err := writeFakeDist(filepath.Join(clone, "dist")); err != nil {
		t.Fatal(err)
	}
	opts, err := fakeOptions(clone, filepath.Join(t.TempDir(), "out2"), false)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Version != f.opts.Version {
		t.Fatalf("clone version %q != original %q", opts.Version, f.opts.Version)
	}
	res, err := Build(context.Background(), opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{filepath.Base(f.res.TarGz.Path), filepath.Base(f.res.Zip.Path), SumsName} {
		a, errA := os.ReadFile(filepath.Join(f.out, name))
		b, errB := os.ReadFile(filepath.Join(opts.Out, name))
		if errA != nil || errB != nil {
			t.Fatal(errA, errB)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between the two builds (%d vs %d bytes)", name, len(a), len(b))
		}
	}
	if res.TarGz.SHA256 != f.res.TarGz.SHA256 || res.Zip.SHA256 != f.res.Zip.SHA256 {
		t.Errorf("results differ: %+v vs %+v", res, f.res)
	}
}

// The archives' listings are exactly the documented layout: top folder
// first, then Layout's paths in order, with its modes; the archives carry
// the fixed time and no owner names.
func TestListingIsTheDocumentedManifest(t *testing.T) {
	f := sharedRelease(t)
	top := TopDir(f.opts.Version)
	want := []string{top + " " + (fs.ModeDir | 0o755).String()}
	for _, e := range Layout(testPlatforms) {
		want = append(want, top+e.Path+" "+e.Mode.String())
	}
	for _, path := range []string{f.res.TarGz.Path, f.res.Zip.Path} {
		var got []string
		for _, m := range readMembers(t, path) {
			got = append(got, m.name+" "+m.mode.String())
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s listing:\n%s\nwant the documented manifest:\n%s", filepath.Base(path), strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	// The layout really has what the issue asks for.
	paths := map[string]bool{}
	for _, e := range Layout(nil) {
		paths[e.Path] = true
	}
	for _, p := range []string{"WebSocketMain.swf", "WebSocketMainInsecure.swf", "web_socket.js", "web_socket.min.js",
		"web_socket.min.js.map", "web_socket.mjs", "web_socket.d.ts", "sample.html", "README.md", "LICENSE",
		NoticesName, ManifestName, "npm/package.json", "bin/web-socket-js-server-linux-amd64",
		"bin/web-socket-js-server-linux-arm64", "bin/web-socket-js-server-darwin-amd64",
		"bin/web-socket-js-server-darwin-arm64", "bin/web-socket-js-server-windows-amd64.exe",
		"bin/web-socket-js-server-windows-arm64.exe"} {
		if !paths[p] {
			t.Errorf("Layout(nil) lacks %s", p)
		}
	}
}

// README.md's layout table lists exactly Layout(DefaultPlatforms), so the
// documentation cannot drift from the code.
func TestReadmeDocumentsLayout(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for _, line := range strings.Split(string(readme), "\n") {
		// Table rows of the layout look like: | `path` | mode | ... |
		if rest, ok := strings.CutPrefix(line, "| `"); ok {
			if p, _, ok := strings.Cut(rest, "`"); ok {
				documented = append(documented, p)
			}
		}
	}
	var want []string
	for _, e := range Layout(nil) {
		want = append(want, e.Path)
	}
	if strings.Join(documented, "\n") != strings.Join(want, "\n") {
		t.Errorf("README.md layout table:\n%s\nLayout(nil):\n%s", strings.Join(documented, "\n"), strings.Join(want, "\n"))
	}
}

// Entries carry the fixed time; owners are checked by readTarGz itself.
func TestEntryTimesAndGzipHeader(t *testing.T) {
	f := sharedRelease(t)
	data, err := os.ReadFile(f.res.TarGz.Path)
	if err != nil {
		t.Fatal(err)
	}
	// RFC 1952: ID1 ID2 CM FLG MTIME(4) XFL OS. No FNAME flag, mtime 0, OS 255.
	if data[3] != 0 || !bytes.Equal(data[4:8], []byte{0, 0, 0, 0}) || data[9] != gzipOSUnknown {
		t.Errorf("gzip header %x: want FLG 0, MTIME 0, OS ff", data[:10])
	}
	tarTimes, err := tarModTimes(data)
	if err != nil {
		t.Fatal(err)
	}
	for name, mt := range tarTimes {
		if mt.Unix() != testEpoch {
			t.Errorf("tar %s mtime %v, want %d", name, mt, testEpoch)
		}
	}
	zipTimes, err := zipModTimes(f.res.Zip.Path)
	if err != nil {
		t.Fatal(err)
	}
	want := time.Unix(testEpoch, 0).UTC()
	for name, mt := range zipTimes {
		if !mt.Equal(want) {
			t.Errorf("zip %s time %v, want %v", name, mt, want)
		}
	}
}

// The linux/amd64 server from the archive runs and prints the version.
func TestServerFromArchivePrintsVersion(t *testing.T) {
	f := sharedRelease(t)
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skipf("can only run the linux/amd64 binary on linux/amd64, not %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	ms := readMembers(t, f.res.TarGz.Path)
	bin := findMember(t, ms, TopDir(f.opts.Version)+"bin/web-socket-js-server-linux-amd64")
	path := filepath.Join(t.TempDir(), "server")
	if err := os.WriteFile(path, bin.data, bin.mode); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(path, "-version").CombinedOutput()
	if err != nil {
		t.Fatalf("%s -version: %v\n%s", path, err, out)
	}
	if got := strings.TrimSpace(string(out)); got != f.opts.Version {
		t.Errorf("-version printed %q, want %q", got, f.opts.Version)
	}
	if !strings.HasPrefix(f.opts.Version, "0.0.0-g") {
		t.Errorf("untagged fixture version %q, want 0.0.0-g<sha>", f.opts.Version)
	}
	// No trace of the build machine's paths (-trimpath).
	if bytes.Contains(bin.data, []byte(f.root)) {
		t.Errorf("binary contains the build directory %s", f.root)
	}
}

// The notices name the Go runtime and the module compiled into the server,
// with their license texts; MANIFEST and package.json are as documented.
func TestGeneratedFiles(t *testing.T) {
	f := sharedRelease(t)
	ms := readMembers(t, f.res.TarGz.Path)
	top := TopDir(f.opts.Version)
	notices := string(findMember(t, ms, top+NoticesName).data)
	for _, want := range []string{
		"example.com/fakedep v0.0.0 (in bin/*)",
		"FAKEDEP TEST LICENSE 7f3a",
		"Go standard library and runtime " + runtime.Version(),
		"Copyright 2009 The Go Authors", // GOROOT/LICENSE
	} {
		if !strings.Contains(notices, want) {
			t.Errorf("%s lacks %q:\n%s", NoticesName, want, notices)
		}
	}

	manifest := string(findMember(t, ms, top+ManifestName).data)
	lines := strings.Split(strings.TrimSpace(manifest), "\n")
	files := 0
	for _, m := range ms {
		if !m.isDir() && m.name != top+ManifestName {
			files++
			rel := strings.TrimPrefix(m.name, top)
			want := sha256Hex(m.data) + "  " + itoa(len(m.data)) + "  " + rel
			if !strings.Contains(manifest, want+"\n") {
				t.Errorf("MANIFEST lacks line %q", want)
			}
		}
	}
	if len(lines) != files+1 || !strings.HasPrefix(lines[0], "# ") {
		t.Errorf("MANIFEST has %d lines, want a comment and %d files:\n%s", len(lines), files, manifest)
	}
	if f.res.Files != files+1 {
		t.Errorf("Result.Files = %d, want %d", f.res.Files, files+1)
	}

	pkg := string(findMember(t, ms, top+"npm/package.json").data)
	for _, want := range []string{`"name": "web-socket-js"`, `"version": "` + f.opts.Version + `"`,
		`"main": "web_socket.js"`, `"module": "web_socket.mjs"`, `"types": "web_socket.d.ts"`,
		`"license": "BSD-3-Clause"`, `"files": [`} {
		if !strings.Contains(pkg, want) {
			t.Errorf("package.json lacks %s:\n%s", want, pkg)
		}
	}
	// Node picks the first matching condition: "default" must be last.
	if i, j := strings.Index(pkg, `"import"`), strings.Index(pkg, `"default"`); i < 0 || j < i {
		t.Errorf("exports conditions out of order:\n%s", pkg)
	}
}

// npm accepts the npm folder as a package and would publish exactly the
// shim, the SWFs, package.json, README.md and LICENSE.
func TestNpmPackDryRun(t *testing.T) {
	f := sharedRelease(t)
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("npm not installed; the package.json content is checked by TestGeneratedFiles")
	}
	dir := t.TempDir()
	top := TopDir(f.opts.Version)
	for _, m := range readMembers(t, f.res.TarGz.Path) {
		rel, ok := strings.CutPrefix(m.name, top+"npm/")
		if !ok || m.isDir() {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, rel), m.data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("npm", "pack", "--dry-run", "--json", "--ignore-scripts")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "npm_config_cache="+filepath.Join(t.TempDir(), "npmcache"), "npm_config_update_notifier=false")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("npm pack --dry-run: %v\n%s", err, out)
	}
	var packed []struct {
		Name, Version string
		Files         []struct{ Path string }
	}
	if err := jsonUnmarshal(out, &packed); err != nil || len(packed) != 1 {
		t.Fatalf("npm pack output: %v\n%s", err, out)
	}
	var got []string
	for _, f := range packed[0].Files {
		got = append(got, f.Path)
	}
	want := append([]string{"LICENSE", "README.md", "package.json"}, npmFiles...)
	if !sameSet(got, want) {
		t.Errorf("npm would pack %v, want %v", got, want)
	}
	if packed[0].Name != Product || packed[0].Version != f.opts.Version {
		t.Errorf("npm sees %s@%s", packed[0].Name, packed[0].Version)
	}
}

// A dirty tree is refused, by DefaultOptions and by Build, unless allowed;
// an allowed dirty release says so in its version.
func TestDirtyTreeRefused(t *testing.T) {
	root := newFakeRepo(t)
	if err := os.WriteFile(filepath.Join(root, "README.md"), []byte("changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	if _, err := fakeOptions(root, out, false); !errors.Is(err, ErrDirty) {
		t.Errorf("DefaultOptions on a dirty tree: %v, want ErrDirty", err)
	}
	opts, err := fakeOptions(root, out, true)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(opts.Version, "-dirty") {
		t.Errorf("allowed dirty version %q lacks -dirty", opts.Version)
	}
	strict := opts
	strict.AllowDirty = false
	if _, err := Build(context.Background(), strict, nil); !errors.Is(err, ErrDirty) {
		t.Errorf("Build on a dirty tree: %v, want ErrDirty", err)
	}
	clean := opts
	clean.Version = strings.TrimSuffix(opts.Version, "-dirty")
	if _, err := Build(context.Background(), clean, nil); err == nil || !strings.Contains(err.Error(), "-dirty") {
		t.Errorf("Build of a dirty tree under a clean version: %v, want an error about -dirty", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("refused builds created %s", out)
	}
	// An untracked file is dirt too: it could be compiled in.
	git(t, root, "checkout", "--", "README.md")
	if err := os.WriteFile(filepath.Join(root, "fakeserver", "extra.go"), []byte("package main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := fakeOptions(root, out, false); !errors.Is(err, ErrDirty) {
		t.Errorf("untracked file: %v, want ErrDirty", err)
	}
}

// Bad input gets a clear error before any work.
func TestBadOptions(t *testing.T) {
	root := newFakeRepo(t)
	opts, err := fakeOptions(root, filepath.Join(t.TempDir(), "out"), false)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		mod  func(*Options)
		want string
	}{
		"missing dist file":  {func(o *Options) { os.Remove(filepath.Join(o.Dist, "web_socket.mjs")) }, "web_socket.mjs"},
		"not semver":         {func(o *Options) { o.Version = "v1.0" }, "semantic version"},
		"no root":            {func(o *Options) { o.Root = "" }, "required"},
		"no platforms":       {func(o *Options) { o.Platforms = []Platform{} }, "platforms"},
		"server build fails": {func(o *Options) { o.ServerPkg = "./nosuchpkg" }, "go build ./nosuchpkg"},
	} {
		t.Run(name, func(t *testing.T) {
			o := opts
			if err := writeFakeDist(o.Dist); err != nil {
				t.Fatal(err)
			}
			tc.mod(&o)
			_, err := Build(context.Background(), o, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}

// A module without a license file is not shipped.
func TestModuleWithoutLicenseRefused(t *testing.T) {
	root := newFakeRepo(t)
	git(t, root, "rm", "-q", "fakedep/LICENSE")
	git(t, root, "commit", "-q", "-m", "drop license")
	opts, err := fakeOptions(root, filepath.Join(t.TempDir(), "out"), false)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Build(context.Background(), opts, nil)
	if err == nil || !strings.Contains(err.Error(), "example.com/fakedep") || !strings.Contains(err.Error(), "LICENSE") {
		t.Errorf("got %v, want a refusal naming example.com/fakedep", err)
	}
}

// The log says how long the release took and how big the archives are.
func TestLogReportsTimeAndSizes(t *testing.T) {
	f := sharedRelease(t)
	for _, want := range []string{"done in ", "cross-compiled 1 server binaries in ",
		f.res.TarGz.Path + "  " + bytesText(f.res.TarGz.Size), f.res.Zip.Path + "  " + bytesText(f.res.Zip.Size)} {
		if !strings.Contains(f.log, want) {
			t.Errorf("log lacks %q:\n%s", want, f.log)
		}
	}
	t.Logf("release log:\n%s", f.log)
}

func TestMsDosTime(t *testing.T) {
	for _, tc := range []struct {
		in         time.Time
		date, time uint16
	}{
		{time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC), 0x21, 0},
		{time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), 0x21, 0}, // clamped
		{time.Date(2023, 11, 14, 22, 13, 21, 0, time.UTC), (43 << 9) | (11 << 5) | 14, (22 << 11) | (13 << 5) | 10},
	} {
		d, c := msDosTime(tc.in)
		if d != tc.date || c != tc.time {
			t.Errorf("msDosTime(%v) = %#x,%#x, want %#x,%#x", tc.in, d, c, tc.date, tc.time)
		}
	}
}

func TestSourceDateEpochFromEnv(t *testing.T) {
	root := newFakeRepo(t)
	t.Setenv("SOURCE_DATE_EPOCH", "")
	opts, err := DefaultOptions(context.Background(), root, false)
	if err != nil {
		t.Fatal(err)
	}
	// gitEnv's commit date 2022-01-02T03:04:05Z.
	if want := time.Date(2022, 1, 2, 3, 4, 5, 0, time.UTC).Unix(); opts.SourceDateEpoch != want {
		t.Errorf("without SOURCE_DATE_EPOCH: %d, want the commit time %d", opts.SourceDateEpoch, want)
	}
	t.Setenv("SOURCE_DATE_EPOCH", "12ab")
	if _, err := DefaultOptions(context.Background(), root, false); err == nil || !strings.Contains(err.Error(), "SOURCE_DATE_EPOCH") {
		t.Errorf("bad SOURCE_DATE_EPOCH: %v", err)
	}
	t.Setenv("SOURCE_DATE_EPOCH", "")
	if _, err := DefaultOptions(context.Background(), t.TempDir(), false); err == nil {
		t.Error("no git and no SOURCE_DATE_EPOCH: want an error")
	}
}
