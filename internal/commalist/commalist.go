// Package commalist reads the comma-separated lists that flags take
// ("-origins a.example, b.example").
package commalist

import "strings"

// Split returns the items of s, a comma-separated list, with the spaces
// around each trimmed and the empty ones left out; nil when there are none.
func Split(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
