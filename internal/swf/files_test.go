package swf

import "testing"

// The compiler's two error forms and its warnings become file:line:col lines; the source
// excerpt under them stays, indented.
func TestFormatDiagnostics(t *testing.T) {
	in := "Loading configuration: x.xml\n\n" +
		"/src/A.as(67): col: 29 Syntax error: ';' is not allowed here\n\n\t\tlog(\"a\" +;);\n\t\t        ^\n\n" +
		"/src/B.as(5): col: 15 Error: Access of undefined property undefinedThing.\n" +
		"/src/C.as(9): col: 3 Warning: variable 'n' has no type declaration.\n"
	want := "/src/A.as:67:29: error: syntax error: ';' is not allowed here\n" +
		"    \t\tlog(\"a\" +;);\n    \t\t        ^\n" +
		"/src/B.as:5:15: error: Access of undefined property undefinedThing.\n" +
		"/src/C.as:9:3: warning: variable 'n' has no type declaration.\n"
	if got := formatDiagnostics(in); got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
}
