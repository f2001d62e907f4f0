package doctor

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// flashMasterPort is the master policy's port as Flash Player knows it; the
// ≥ 1024 rule is applied with it even when tests serve the master elsewhere.
const flashMasterPort = 843

// masterResult is what the master policy decided.
type masterResult struct {
	answered bool   // a well-formed policy came back
	granted  bool   // it grants the connection
	meta     string // its site-control value ("all" when absent or unanswered)
}

// othersAllowed says whether policies on other ports count.
func (m masterResult) othersAllowed() bool { return m.meta == "all" }

// checkPolicies runs the master and the target-port policy steps; true when
// one of them lets the SWF open the socket.
func checkPolicies(ctx context.Context, t *target, r *Report) bool {
	m := checkMaster(ctx, t, r)
	if m.granted {
		r.add(Step{Name: "policy on " + t.policyAddr, Status: StatusSkip,
			Detail: "not needed: the master policy on port 843 grants the connection already"})
		return true
	}
	return checkTargetPolicy(ctx, t, r, m)
}

func (t *target) fixPolicy() string {
	return fmt.Sprintf("serve a socket policy that grants domain %q port %d, one of three ways: "+
		"move your server to another port and run `web-socket-js-server -addr :%d -upstream 127.0.0.1:<its new port>` in front of it; "+
		"or run `web-socket-js-server -policy-only -policy-addr :843 -policy-domains %s -policy-ports %d`; "+
		"or answer <policy-file-request/> in your own server (server/README.md, \"Flash clients for your own WebSocket server\")",
		t.swf.Domain, t.port, t.port, t.swf.Domain, t.port)
}

func checkMaster(ctx context.Context, t *target, r *Report) masterResult {
	addr := net.JoinHostPort(t.host, strconv.Itoa(t.o.masterPort()))
	wait := t.o.masterWait()
	s := r.add(Step{Name: fmt.Sprintf("master policy on %s:843", t.host), Rule: ruleMaster})
	res := masterResult{meta: "all"}
	a := fetchPolicy(ctx, addr, wait)
	switch a.Outcome {
	case outcomeRefused:
		s.Status, s.Detail = StatusOK, "nothing listens there (connection refused), so Flash Player goes on to the next place at once"
		return res
	case outcomeSilent:
		s.Status, s.Rule = StatusWarn, ruleWait
		s.Detail = fmt.Sprintf("no answer within %s: Flash Player waits about 3 s for port 843 on each first connection before it asks port %d, so every Flash client starts that much later", wait, t.policyPort)
		s.Fix = fmt.Sprintf("serve the policy on port 843 too (`web-socket-js-server -policy-only -policy-addr :843 -policy-domains %s -policy-ports %d`), or have the firewall reject port 843 (REJECT, not DROP) so the player does not wait", t.swf.Domain, t.port)
		return res
	case outcomeEmpty:
		s.Status, s.Detail = StatusWarn, "it accepted the connection and closed it without an answer; Flash Player goes on to the next place"
		return res
	case outcomeFailed:
		s.Status, s.Detail = StatusWarn, fmt.Sprintf("could not ask: %v; Flash Player goes on to the next place", a.Err)
		return res
	}
	doc, problem, fix := readAnswer(a, wait)
	if doc == nil {
		s.Status, s.Detail, s.Fix, s.Rule = StatusWarn, "the answer is not a policy Flash Player can use, so it goes on to the next place: "+problem, fix, ruleWire
		return res
	}
	res.answered = true
	res.meta = doc.metaPolicy()
	j := judge(doc, flashMasterPort, t.port, t.swf)
	res.granted = j.Granted && res.meta != "none"
	return reportMaster(t, s, res, j)
}

// reportMaster fills the master step from its judgement.
func reportMaster(t *target, s *Step, res masterResult, j judgement) masterResult {
	note := ""
	switch res.meta {
	case "all", "master-only", "none":
	default:
		note = fmt.Sprintf("site-control permitted-cross-domain-policies=%q means nothing for socket policies (only all, master-only and none do), so it is read here as master-only. ", res.meta)
		res.meta = "master-only"
	}
	defer func() {
		if note != "" {
			s.Detail = note + s.Detail
			s.Rule = ruleMeta
			if s.Status == StatusOK {
				s.Status = StatusWarn
			}
		}
	}()
	switch {
	case res.meta == "none":
		s.Status, s.Rule = StatusFail, ruleMeta
		s.Detail = "the master policy says permitted-cross-domain-policies=\"none\": no policy on this host counts, not even this one, so no Flash socket can connect"
		s.Fix = "remove the site-control element from the master policy on port 843, or set it to \"all\""
	case res.granted:
		s.Status, s.Detail = StatusOK, "grants the connection: "+j.By
	case res.meta == "master-only":
		s.Status, s.Rule = StatusFail, ruleMeta+"; "+strings.Join(j.Rules, "; ")
		s.Detail = "the master policy says permitted-cross-domain-policies=\"master-only\", so only it counts, and it does not grant the connection: " + strings.Join(j.Misses, "; ")
		s.Fix = fmt.Sprintf("add <allow-access-from domain=%q to-ports=\"%d\"/> to the master policy on port 843, or set site-control to \"all\"", t.swf.Domain, t.port)
	default:
		s.Status, s.Rule = StatusWarn, strings.Join(j.Rules, "; ")
		s.Detail = "it does not grant the connection (Flash Player goes on to the next place): " + strings.Join(j.Misses, "; ")
	}
	return res
}

// readAnswer turns an answer into a policy, or says what is wrong with it.
func readAnswer(a answer, wait time.Duration) (*policyDoc, string, string) {
	v := checkBytes(a, wait)
	if v.fail != "" {
		return nil, v.fail, v.fix
	}
	doc, err := parsePolicy(v.body)
	if err != nil {
		if !bytes.Contains(v.body, []byte("</cross-domain-policy>")) {
			return nil, fmt.Sprintf("the policy is truncated: %d bytes came, and the XML ends before </cross-domain-policy>", len(v.body)),
				"send the whole policy, then the NUL byte, then close"
		}
		return nil, err.Error(), "send a well-formed <cross-domain-policy> document"
	}
	return doc, "", ""
}

func checkTargetPolicy(ctx context.Context, t *target, r *Report, m masterResult) bool {
	name := fmt.Sprintf("policy on %s (in-band, as WebSocketMain.swf asks)", t.policyAddr)
	if t.named {
		name = fmt.Sprintf("policy named by loadFlashPolicyFile, xmlsocket://%s", t.policyAddr)
	}
	s := r.add(Step{Name: name, Rule: ruleMaster})
	if !m.othersAllowed() {
		s.Status, s.Rule = StatusSkip, ruleMeta
		s.Detail = fmt.Sprintf("ignored: the master policy allows only %q", m.meta)
		return false
	}
	nowhere := ""
	if !m.answered {
		nowhere = " No policy anywhere: port 843 had none either."
	}
	a := fetchPolicy(ctx, t.policyAddr, t.o.timeout())
	s.Status, s.Fix = StatusFail, t.fixPolicy()
	switch a.Outcome {
	case outcomeRefused:
		s.Detail, s.Fix = fmt.Sprintf("nothing listens on %s (connection refused).", t.policyAddr)+nowhere, "start the server there, or correct the host and port"
		return false
	case outcomeSilent:
		s.Detail, s.Rule = fmt.Sprintf("no answer to <policy-file-request/> within %s: the server there waits for more than Flash sends, so it does not answer policy requests.", t.o.timeout())+nowhere, ruleWire
		return false
	case outcomeEmpty:
		s.Detail, s.Rule = "the server accepted the policy request and closed without an answer."+nowhere, ruleWire
		return false
	case outcomeFailed:
		s.Detail = fmt.Sprintf("could not ask: %v.", a.Err) + nowhere
		return false
	}
	doc, problem, fix := readAnswer(a, t.o.timeout())
	if doc == nil {
		s.Detail, s.Fix, s.Rule = problem+"."+nowhere, fix, ruleWire
		if strings.HasPrefix(problem, "an HTTP server") {
			s.Fix = fix + ": " + t.fixPolicy()
		}
		return false
	}
	j := judge(doc, t.policyPort, t.port, t.swf)
	if !j.Granted {
		s.Detail, s.Rule = "the policy does not grant the connection: "+strings.Join(j.Misses, "; "), strings.Join(j.Rules, "; ")
		s.Fix = grantFix(t, j)
		return false
	}
	s.Status, s.Fix, s.Detail = StatusOK, "", "grants the connection: "+j.By
	if len(doc.SiteControl) > 0 {
		s.Detail += "; its site-control element is ignored (only the master policy on port 843 sets the meta-policy)"
	}
	if v := checkBytes(a, t.o.timeout()); v.warn != "" {
		s.Status, s.Detail, s.Fix = StatusWarn, s.Detail+"; but "+v.warn, "remove the byte-order mark"
	}
	return true
}

// grantFix says what to change in a policy that does not grant.
func grantFix(t *target, j judgement) string {
	for _, rule := range j.Rules {
		if rule == rulePort1024 {
			return fmt.Sprintf("serve the policy from port 843 (`web-socket-js-server -policy-only -policy-addr :843 -policy-domains %s -policy-ports %d`), or move the WebSocket server to a port ≥ 1024", t.swf.Domain, t.port)
		}
	}
	return fmt.Sprintf("add <allow-access-from domain=%q to-ports=\"%d\"/> to the policy (our server: -policy-domains %s -policy-ports %d)", t.swf.Domain, t.port, t.swf.Domain, t.port)
}
