package sdk

import (
	"archive/zip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/web-socket-js/web-socket-js/internal/npmpkg"
)

// fakeHome lays out a Flex-style SDK with a playerglobal.swc whose catalog names catalog.
func fakeHome(t *testing.T, catalog string, versions ...string) string {
	t.Helper()
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, "lib"), 0o755)
	os.WriteFile(filepath.Join(home, "lib", "mxmlc.jar"), []byte("jar"), 0o644)
	for _, v := range versions {
		dir := filepath.Join(home, "frameworks", "libs", "player", v)
		os.MkdirAll(dir, 0o755)
		f, _ := os.Create(filepath.Join(dir, "playerglobal.swc"))
		zw := zip.NewWriter(f)
		w, _ := zw.Create("catalog.xml")
		w.Write([]byte(catalog))
		zw.Close()
		f.Close()
	}
	return home
}

func TestFlexHomeWithRealPlayerGlobalUsesItsFlashAPI(t *testing.T) {
	home := fakeHome(t, `<def id="flash.net:Socket"/>`, "10.2", "11.1", "9.0")
	tc, err := Resolve(context.Background(), Options{FlexHome: home})
	if err != nil {
		t.Fatal(err)
	}
	if !tc.HasFlashAPI || !strings.Contains(tc.BuiltinsSWC, filepath.Join("11.1", "playerglobal.swc")) {
		t.Fatalf("got %+v, want the 11.1 playerglobal with the Flash API", tc)
	}
	if !strings.HasPrefix(tc.Source, "FLEX_HOME=") {
		t.Fatalf("source %q does not say FLEX_HOME", tc.Source)
	}
}

func TestFlexHomeWithJSExternsNeedsDeclarations(t *testing.T) {
	tc, err := Resolve(context.Background(), Options{FlexHome: fakeHome(t, `<def id="Window"/>`, "11.7")})
	if err != nil || tc.HasFlashAPI {
		t.Fatalf("got %+v, %v; want HasFlashAPI=false", tc, err)
	}
}

func TestBadFlexHomeIsAClearError(t *testing.T) {
	_, err := Resolve(context.Background(), Options{FlexHome: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "no lib/mxmlc.jar") {
		t.Fatalf("err = %v", err)
	}
	_, err = Resolve(context.Background(), Options{FlexHome: fakeHome(t, "")})
	if err == nil || !strings.Contains(err.Error(), "playerglobal.swc") {
		t.Fatalf("err = %v", err)
	}
}

func TestMissingJavaSaysWhatToInstall(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("JAVA_HOME", "")
	_, err := Resolve(context.Background(), Options{FlexHome: fakeHome(t, "", "11.1")})
	if err == nil || !strings.Contains(err.Error(), "Java 17+") {
		t.Fatalf("err = %v", err)
	}
}

func TestMissingNPMSaysWhatToInstall(t *testing.T) {
	bin := t.TempDir() // java only: no npm
	if err := os.Symlink(mustJava(t), filepath.Join(bin, "java")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	t.Setenv("JAVA_HOME", "")
	f := &npmpkg.Fetcher{Root: t.TempDir()}
	_, err := Resolve(context.Background(), Options{Fetcher: f})
	if err == nil || !strings.Contains(err.Error(), "npm client was not found") || !strings.Contains(err.Error(), "FLEX_HOME") {
		t.Fatalf("err = %v", err)
	}
}

func mustJava(t *testing.T) string {
	p, err := findJava()
	if err != nil {
		t.Skip(err)
	}
	return p
}

// The identity changes when the SDK's compiler changes, so cached outputs are not reused.
func TestIdentityFollowsTheCompiler(t *testing.T) {
	home := fakeHome(t, "", "11.1")
	a, err := Resolve(context.Background(), Options{FlexHome: home})
	if err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour)
	os.Chtimes(filepath.Join(home, "lib", "mxmlc.jar"), later, later)
	b, _ := Resolve(context.Background(), Options{FlexHome: home})
	if a.Identity == b.Identity {
		t.Fatal("replacing mxmlc.jar kept the identity")
	}
}
