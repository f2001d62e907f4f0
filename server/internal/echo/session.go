package echo

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// errCloseSent refuses a write after this side's close frame: RFC 6455 §5.5.1
// allows nothing more on the connection after it.
var errCloseSent = errors.New("echo: close frame already sent")

// headerRoom is reserved at the front of every message buffer so that the
// frame header can be put right before the payload and the echo goes out
// in one write.
const headerRoom = ws.MaxHeaderSize

var noHeader [headerRoom]byte

// session is one upgraded connection. Its frames are read through the
// library's wsutil.Reader (header checks, fragments, the size limit, UTF-8)
// on the connection's goroutine; control frames are answered by the
// library's ControlHandler. Writes come from that goroutine, the pinger and
// Shutdown, so they take turns under wmu.
type session struct {
	conn        *messageConn
	rd          wsutil.Reader
	subprotocol string
	onPong      func() // set by the pinger, if any
	// writeTimeout bounds writing one echo to a client that stopped reading.
	writeTimeout time.Duration

	wmu           sync.Mutex
	closeSent     bool
	writeDeadline time.Time // the connection's write deadline now
	header        headerBytes
}

func newSession(c *messageConn, subprotocol string, opts Options) *session {
	s := &session{conn: c, subprotocol: subprotocol, writeTimeout: opts.MessageTimeout}
	s.rd = wsutil.Reader{
		Source:         (*borrowedFrames)(c),
		State:          ws.StateServerSide,
		CheckUTF8:      true,
		MaxMessageSize: opts.MaxMessage,
		OnIntermediate: s.control,
	}
	return s
}

// readMessage reads the next frame. A data message is read whole into buf,
// after headerRoom reserved bytes, and its type returned; a control frame
// is answered and 0 returned.
func (s *session) readMessage(buf *bytes.Buffer) (ws.OpCode, error) {
	hdr, err := s.rd.NextFrame()
	if err != nil {
		return 0, err
	}
	if hdr.OpCode.IsControl() {
		return 0, s.control(hdr, &s.rd)
	}
	buf.Write(noHeader[:])
	// The declared length is within MaxMessage already; growing for it at
	// once saves copies, up to a size a client cannot make us hold idle.
	buf.Grow(int(min(hdr.Length, maxPooledMessage)))
	s.conn.inMessage = true
	_, err = buf.ReadFrom(&s.rd)
	s.conn.inMessage = false
	if err != nil {
		return 0, err
	}
	return hdr.OpCode, s.conn.settle()
}

// control answers one control frame whose payload body holds, between
// messages or between the fragments of one: a pong to a ping, the close
// handshake (with 1002 for a close frame the protocol does not allow), and
// a pong tells the pinger. The reply is written after the payload is read,
// so that a client trickling a payload never holds the write lock.
func (s *session) control(hdr ws.Header, body io.Reader) error {
	var reply bytes.Buffer
	err := wsutil.ControlHandler{
		Src:                 body,
		Dst:                 &reply,
		State:               ws.StateServerSide,
		DisableSrcCiphering: true, // the frame reader unmasks
	}.Handle(hdr)
	if hdr.OpCode == ws.OpPong && s.onPong != nil {
		s.onPong()
	}
	if reply.Len() > 0 {
		var werr error
		if hdr.OpCode == ws.OpClose {
			werr = s.sendClose(reply.Bytes(), replyTimeout)
		} else {
			werr = s.sendControl(reply.Bytes(), replyTimeout)
		}
		var netErr net.Error
		if err == nil && !errors.Is(werr, errCloseSent) && !errors.As(werr, &netErr) {
			err = werr // a failed write on an ending connection shows on the next read
		}
	}
	if err != nil {
		return err
	}
	return s.conn.controlFrameRead()
}

// writeMessage writes buf (headerRoom bytes, then the payload) back as one
// frame of type op, in one write.
func (s *session) writeMessage(op ws.OpCode, buf []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closeSent {
		return errCloseSent
	}
	h := ws.Header{Fin: true, OpCode: op, Length: int64(len(buf) - headerRoom)}
	if err := ws.WriteHeaderBuffer(&s.header, h, s.header.b[:]); err != nil {
		return err
	}
	start := headerRoom - s.header.n
	copy(buf[start:], s.header.b[:s.header.n])
	if err := s.extendWriteDeadline(); err != nil {
		return err
	}
	_, err := s.conn.Conn.Write(buf[start:])
	return err
}

// extendWriteDeadline moves the write deadline to writeTimeout from now
// when less than half of that is left: an echo may wait between half and
// all of writeTimeout, and a busy connection resets its deadline (a timer
// in the runtime) about once per half, not for every message.
func (s *session) extendWriteDeadline() error {
	now := time.Now()
	if s.writeDeadline.Sub(now) >= s.writeTimeout/2 {
		return nil
	}
	s.writeDeadline = now.Add(s.writeTimeout)
	return s.conn.Conn.SetWriteDeadline(s.writeDeadline)
}

// sendControl writes a ping or pong frame within timeout.
func (s *session) sendControl(frame []byte, timeout time.Duration) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closeSent {
		return errCloseSent
	}
	return s.writeWithin(frame, timeout)
}

// sendClose writes this side's close frame within timeout; nothing is
// written after it.
func (s *session) sendClose(frame []byte, timeout time.Duration) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closeSent {
		return errCloseSent
	}
	s.closeSent = true
	return s.writeWithin(frame, timeout)
}

func (s *session) writeWithin(frame []byte, timeout time.Duration) error {
	s.writeDeadline = time.Now().Add(timeout)
	if err := s.conn.Conn.SetWriteDeadline(s.writeDeadline); err != nil {
		return err
	}
	_, err := s.conn.Conn.Write(frame)
	return err
}

// headerBytes is where the library encodes a frame header (in b) and then
// writes it (the same bytes, so only their length is taken).
type headerBytes struct {
	b [ws.MaxHeaderSize]byte
	n int
}

func (h *headerBytes) Write(p []byte) (int, error) {
	h.n = len(p)
	return h.n, nil
}
