package doctor

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// The rules each message cites. Adobe's own documents, by title and section,
// so a reader can look the rule up.
const (
	adobeGuide = "Adobe, ActionScript 3.0 Developer's Guide, \"Website controls (policy files)\": "
	ruleMaster = adobeGuide + "by default the player " +
		"looks for a socket policy on port 843 (the master policy file) and on the port of the connection itself"
	ruleMeta = adobeGuide + "socket policies support a meta-policy (site-control permitted-cross-domain-policies); " +
		"its default for sockets is \"all\", and only the master policy on port 843 can restrict it"
	rulePort1024 = adobeGuide + "a socket policy served from a port below 1024 may grant any port; one served " +
		"from port 1024 or higher may grant only ports 1024 and higher"
	ruleDomain = "Adobe, Cross-domain policy file specification 2.0, allow-access-from/domain: an exact name, * for " +
		"every domain, or *.example.com for example.com and its subdomains; an IP address matches only a SWF loaded " +
		"by that IP address (no DNS look-ups)"
	ruleToPorts = "Cross-domain policy file specification 2.0, allow-access-from/to-ports (sockets only, required): " +
		"a comma-separated list of ports, ranges like 8000-8010, or *"
	ruleSecure = "Cross-domain policy file specification 2.0, allow-access-from/secure: in socket policies the default " +
		"is false; secure=\"true\" grants access only to SWFs served over HTTPS"
	ruleWire = "Adobe, \"Setting up a socket policy file server\": the player sends <policy-file-request/> and a NUL " +
		"byte; the server answers with the policy XML followed by a NUL byte"
	ruleWait = "Adobe, \"Setting up a socket policy file server\": the player asks port 843 first and waits for it " +
		"(about 3 seconds) before it asks the destination port"
	ruleSameHost = "Adobe, ActionScript 3.0 Reference, Security.loadPolicyFile(): a socket policy " +
		"(xmlsocket://host:port) applies only to sockets on the host it came from"
)

// policyDoc is a socket policy file as Flash Player reads it.
type policyDoc struct {
	XMLName     xml.Name      `xml:"cross-domain-policy"`
	SiteControl []siteControl `xml:"site-control"`
	Allow       []allowEntry  `xml:"allow-access-from"`
}

type siteControl struct {
	Permitted string `xml:"permitted-cross-domain-policies,attr"`
}

type allowEntry struct {
	Domain  string `xml:"domain,attr"`
	ToPorts string `xml:"to-ports,attr"`
	Secure  string `xml:"secure,attr"`
}

// parsePolicy decodes the XML part of an answer (without the NUL).
func parsePolicy(body []byte) (*policyDoc, error) {
	var doc policyDoc
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = true
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("not a well-formed <cross-domain-policy> document: %v", err)
	}
	return &doc, nil
}

// metaPolicy is the master policy's site-control value, "all" when absent.
func (d *policyDoc) metaPolicy() string {
	if len(d.SiteControl) == 0 || d.SiteControl[0].Permitted == "" {
		return "all"
	}
	return d.SiteControl[0].Permitted
}

// swfPlace is where the SWF came from, which is what policies are matched
// against.
type swfPlace struct {
	Domain string // host of the SWF's URL, lower case
	Secure bool   // served over HTTPS
}

// judgement says whether a policy grants a connection and, if not, why not.
type judgement struct {
	Granted bool
	By      string   // the entry that grants, as XML
	Misses  []string // why each entry does not grant
	Rules   []string // the rules behind Misses, without repeats
}

func (j *judgement) miss(rule, format string, args ...any) {
	j.Misses = append(j.Misses, fmt.Sprintf(format, args...))
	for _, r := range j.Rules {
		if r == rule {
			return
		}
	}
	j.Rules = append(j.Rules, rule)
}

// judge applies Flash's rules: does doc, served from policyPort, let a SWF
// from swf open a socket to port?
func judge(doc *policyDoc, policyPort, port int, swf swfPlace) judgement {
	var j judgement
	if len(doc.Allow) == 0 {
		j.miss(ruleDomain, "the policy has no <allow-access-from> element, so it grants nothing")
		return j
	}
	for _, e := range doc.Allow {
		entry := fmt.Sprintf("<allow-access-from domain=%q to-ports=%q", e.Domain, e.ToPorts)
		if e.Secure != "" {
			entry += fmt.Sprintf(" secure=%q", e.Secure)
		}
		entry += "/>"
		if ok, why := domainMatches(e.Domain, swf.Domain); !ok {
			j.miss(ruleDomain, "%s: %s", entry, why)
			continue
		}
		if e.ToPorts == "" {
			j.miss(ruleToPorts, "%s: no to-ports attribute, so it grants no port", entry)
			continue
		}
		if ok, why := portListed(e.ToPorts, port); !ok {
			j.miss(ruleToPorts, "%s: %s", entry, why)
			continue
		}
		if policyPort >= 1024 && port < 1024 {
			j.miss(rulePort1024, "%s: it comes from port %d (≥ 1024), which cannot grant port %d (< 1024)", entry, policyPort, port)
			continue
		}
		if strings.EqualFold(strings.TrimSpace(e.Secure), "true") && !swf.Secure {
			j.miss(ruleSecure, "%s: secure=\"true\" grants only SWFs served over HTTPS, and this one is not", entry)
			continue
		}
		j.Granted, j.By = true, entry
		return j
	}
	return j
}

// domainMatches applies the domain attribute's matching to the SWF's host.
func domainMatches(pattern, host string) (bool, string) {
	p := strings.ToLower(strings.TrimSpace(pattern))
	switch {
	case p == "*":
		return true, ""
	case p == "":
		return false, "an empty domain matches nothing"
	case strings.Contains(p, "://") || strings.Contains(p, "/"):
		return false, "domain must be a bare host name, without a scheme or path"
	}
	if h, _, err := net.SplitHostPort(p); err == nil && h != "" {
		return false, "domain must be a bare host name, without a port (ports go in to-ports)"
	}
	if base, ok := strings.CutPrefix(p, "*."); ok {
		if host == base || strings.HasSuffix(host, "."+base) {
			return true, ""
		}
		return false, fmt.Sprintf("%q is neither %s nor one of its subdomains", host, base)
	}
	if p == host {
		return true, ""
	}
	if (net.ParseIP(p) != nil) != (net.ParseIP(host) != nil) {
		return false, fmt.Sprintf("the SWF's domain is %q; Flash Player compares names and IP addresses as written and never resolves one to the other", host)
	}
	return false, fmt.Sprintf("the SWF's domain is %q", host)
}

// portListed checks port against a to-ports value.
func portListed(list string, port int) (bool, string) {
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "*" {
			return true, ""
		}
		lo, hi, isRange := strings.Cut(item, "-")
		a, errA := strconv.Atoi(strings.TrimSpace(lo))
		if errA != nil {
			continue
		}
		b := a
		if isRange {
			var errB error
			if b, errB = strconv.Atoi(strings.TrimSpace(hi)); errB != nil {
				continue
			}
		}
		if a <= port && port <= b {
			return true, ""
		}
	}
	return false, fmt.Sprintf("port %d is not in to-ports", port)
}
