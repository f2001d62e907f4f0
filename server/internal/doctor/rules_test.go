package doctor

import (
	"strings"
	"testing"
)

func TestDomainMatching(t *testing.T) {
	cases := []struct {
		pattern, host string
		want          bool
		why           string
	}{
		{"*", "anything.example", true, ""},
		{"example.com", "example.com", true, ""},
		{"Example.COM", "example.com", true, ""},
		{"example.com", "www.example.com", false, "the SWF's domain"},
		{"*.example.com", "www.example.com", true, ""},
		{"*.example.com", "a.b.example.com", true, ""},
		{"*.example.com", "example.com", true, ""},
		{"*.example.com", "badexample.com", false, "nor one of its subdomains"},
		{"127.0.0.1", "127.0.0.1", true, ""},
		{"127.0.0.1", "localhost", false, "never resolves"},
		{"localhost", "127.0.0.1", false, "never resolves"},
		{"http://example.com", "example.com", false, "without a scheme"},
		{"example.com:8080", "example.com", false, "without a port"},
		{"", "example.com", false, "empty domain"},
	}
	for _, c := range cases {
		got, why := domainMatches(c.pattern, c.host)
		if got != c.want || !strings.Contains(why, c.why) {
			t.Errorf("domainMatches(%q, %q) = %v, %q; want %v mentioning %q", c.pattern, c.host, got, why, c.want, c.why)
		}
	}
}

func TestPortLists(t *testing.T) {
	cases := []struct {
		list string
		port int
		want bool
	}{
		{"*", 80, true},
		{"10081", 10081, true},
		{"10081", 10082, false},
		{"80,443,10081", 443, true},
		{"8000-8010", 8005, true},
		{"8000-8010", 8011, false},
		{"8000-8010, 9000", 9000, true},
		{"abc,10081", 10081, true},
		{"", 80, false},
	}
	for _, c := range cases {
		if got, _ := portListed(c.list, c.port); got != c.want {
			t.Errorf("portListed(%q, %d) = %v, want %v", c.list, c.port, got, c.want)
		}
	}
}

func mustParse(t *testing.T, xml string) *policyDoc {
	t.Helper()
	doc, err := parsePolicy([]byte(xml))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestJudgeAppliesFlashRules(t *testing.T) {
	page := swfPlace{Domain: "www.example.com"}
	cases := []struct {
		name       string
		xml        string
		policyPort int
		port       int
		swf        swfPlace
		granted    bool
		rule       string
	}{
		{"grants", `<cross-domain-policy><allow-access-from domain="*.example.com" to-ports="8080"/></cross-domain-policy>`, 8080, 8080, page, true, ""},
		{"second entry grants", `<cross-domain-policy><allow-access-from domain="other.com" to-ports="*"/><allow-access-from domain="*" to-ports="1-9000"/></cross-domain-policy>`, 8080, 8080, page, true, ""},
		{"no entries", `<cross-domain-policy/>`, 8080, 8080, page, false, ruleDomain},
		{"no to-ports", `<cross-domain-policy><allow-access-from domain="*"/></cross-domain-policy>`, 8080, 8080, page, false, ruleToPorts},
		{"high port cannot grant low", `<cross-domain-policy><allow-access-from domain="*" to-ports="*"/></cross-domain-policy>`, 8080, 443, page, false, rulePort1024},
		{"843 grants low", `<cross-domain-policy><allow-access-from domain="*" to-ports="443"/></cross-domain-policy>`, 843, 443, page, true, ""},
		{"secure needs https", `<cross-domain-policy><allow-access-from domain="*" to-ports="*" secure="true"/></cross-domain-policy>`, 8080, 8080, page, false, ruleSecure},
		{"secure with https", `<cross-domain-policy><allow-access-from domain="*" to-ports="*" secure="true"/></cross-domain-policy>`, 8080, 8080, swfPlace{Domain: "www.example.com", Secure: true}, true, ""},
	}
	for _, c := range cases {
		j := judge(mustParse(t, c.xml), c.policyPort, c.port, c.swf)
		if j.Granted != c.granted {
			t.Errorf("%s: granted %v, want %v (misses %q)", c.name, j.Granted, c.granted, j.Misses)
		}
		if c.rule != "" && (len(j.Rules) == 0 || j.Rules[0] != c.rule) {
			t.Errorf("%s: rules %q, want %q", c.name, j.Rules, c.rule)
		}
	}
}

func TestMetaPolicy(t *testing.T) {
	if got := mustParse(t, `<cross-domain-policy/>`).metaPolicy(); got != "all" {
		t.Errorf("no site-control: %q, want all (the socket default)", got)
	}
	doc := mustParse(t, `<?xml version="1.0"?><!DOCTYPE cross-domain-policy SYSTEM "/xml/dtds/cross-domain-policy.dtd"><cross-domain-policy><site-control permitted-cross-domain-policies="master-only"/></cross-domain-policy>`)
	if got := doc.metaPolicy(); got != "master-only" {
		t.Errorf("site-control: %q, want master-only", got)
	}
}
