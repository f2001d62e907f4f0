package doctor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/web-socket-js/web-socket-js/server/internal/policy"
)

// maxPolicyBytes caps how much of an answer is read; a policy is a few
// hundred bytes, and a server streaming more is not a policy server.
const maxPolicyBytes = 64 << 10

// fetchOutcome is how a policy request ended.
type fetchOutcome int

const (
	outcomeAnswered fetchOutcome = iota // bytes came (see answer)
	outcomeRefused                      // nothing listens: connection refused
	outcomeSilent                       // no connection or no answer before the deadline
	outcomeEmpty                        // connected, then closed without a byte
	outcomeFailed                       // any other network error
)

// answer is what one policy request brought back.
type answer struct {
	Outcome fetchOutcome
	Raw     []byte // bytes up to and including the first NUL, or all that came
	NUL     bool   // Raw ends with the NUL terminator
	Closed  bool   // the server closed the connection (after Raw)
	Err     error  // for outcomeFailed and outcomeSilent
}

// fetchPolicy connects to addr, sends Flash's request and reads the answer
// the way the player does: until the NUL, the end of the connection or the
// deadline, whichever comes first.
func fetchPolicy(ctx context.Context, addr string, wait time.Duration) answer {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return dialFailure(err)
	}
	defer c.Close()
	deadline, _ := ctx.Deadline()
	c.SetDeadline(deadline)
	if _, err := c.Write([]byte(policy.Request)); err != nil {
		return answer{Outcome: outcomeFailed, Err: err}
	}
	var raw []byte
	buf := make([]byte, 4096)
	for len(raw) < maxPolicyBytes {
		n, err := c.Read(buf)
		raw = append(raw, buf[:n]...)
		if i := bytes.IndexByte(raw, 0); i >= 0 {
			return answer{Outcome: outcomeAnswered, Raw: raw[:i+1], NUL: true}
		}
		if err != nil {
			return readEnd(raw, err)
		}
	}
	return answer{Outcome: outcomeAnswered, Raw: raw}
}

func dialFailure(err error) answer {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return answer{Outcome: outcomeRefused, Err: err}
	case isTimeout(err):
		return answer{Outcome: outcomeSilent, Err: err}
	}
	return answer{Outcome: outcomeFailed, Err: err}
}

// readEnd classifies the end of an answer that had no NUL.
func readEnd(raw []byte, err error) answer {
	closed := !isTimeout(err)
	switch {
	case len(raw) == 0 && closed:
		return answer{Outcome: outcomeEmpty, Closed: true, Err: err}
	case len(raw) == 0:
		return answer{Outcome: outcomeSilent, Err: err}
	}
	return answer{Outcome: outcomeAnswered, Raw: raw, Closed: closed}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		errors.As(err, &ne) && ne.Timeout()
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// bytesVerdict checks an answer's bytes before its XML is read. body is the
// XML to parse (NUL and any BOM removed); fail is set when the player would
// not take the answer as a policy; warn notes something it tolerates or may not.
type bytesVerdict struct {
	body       []byte
	fail, warn string
	fix        string
}

func checkBytes(a answer, wait time.Duration) bytesVerdict {
	raw := a.Raw
	if a.NUL {
		raw = raw[:len(raw)-1]
	}
	if bytes.HasPrefix(raw, []byte("HTTP/")) {
		line, _, _ := bytes.Cut(raw, []byte("\n"))
		return bytesVerdict{fail: fmt.Sprintf("an HTTP server answered the policy request (%q): this port does not know Flash's <policy-file-request/>",
			bytes.TrimSpace(line)), fix: "answer policy requests on this port before HTTP sees them"}
	}
	var v bytesVerdict
	if bytes.HasPrefix(raw, utf8BOM) {
		raw = raw[len(utf8BOM):]
		v.warn = "the answer starts with a UTF-8 byte-order mark (EF BB BF) before the XML; it is not part of the policy format and strict readers reject it: send the XML from its first '<'"
	}
	v.body = raw
	if !a.NUL {
		if a.Closed {
			v.fail = fmt.Sprintf("the answer (%d bytes) has no NUL byte at its end: the connection closed without the terminator", len(a.Raw))
		} else {
			v.fail = fmt.Sprintf("the answer (%d bytes) has no NUL byte at its end and the connection stayed open for %s: the player keeps waiting for the terminator", len(a.Raw), wait)
		}
		v.fix = "end the policy with a NUL byte (\\0) and then close the connection"
	}
	return v
}
