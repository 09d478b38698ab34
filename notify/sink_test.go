package notify

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// smtpSink is a tiny SMTP server that records what each client said. The
// same code answered real keepalived when the golden transcripts in
// testdata were recorded (TestRecordSMTPSink, run by
// testdata/record/record.sh), so gokeepalived is compared with keepalived
// against identical replies.
type smtpSink struct {
	ln     net.Listener
	silent bool        // accept and never answer (a black-holed server)
	tls    *tls.Config // offer STARTTLS and AUTH PLAIN when set
	user   string      // AUTH PLAIN credentials accepted
	pass   string

	mu    sync.Mutex
	conns []*sinkConn
	wg    sync.WaitGroup
}

// sinkConn is one recorded conversation.
type sinkConn struct {
	mu      sync.Mutex
	events  []string // "S: line\r\n" / "C: line\r\n" in order
	raw     []byte   // every byte the client sent
	subject string
	done    chan struct{}
}

func (c *sinkConn) add(dir, line string) {
	c.mu.Lock()
	c.events = append(c.events, dir+": "+line+"\r\n")
	c.mu.Unlock()
}

// Transcript renders the conversation, one line per protocol line, each
// with its CRLF.
func (c *sinkConn) Transcript() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.events, "")
}

// The sink's replies. The greeting is a multi-line reply on purpose: a
// client must skip to its last line.
const (
	sinkGreeting = "220-sink.example ESMTP\r\n220 gokeepalived test sink\r\n"
	sinkHelo     = "250 sink.example\r\n"
	sinkEhlo     = "250-sink.example\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n"
	sinkMail     = "250 2.1.0 ok\r\n"
	sinkRcpt     = "250 2.1.5 ok\r\n"
	sinkData     = "354 go ahead\r\n"
	sinkQueued   = "250 2.0.0 queued\r\n"
	sinkBye      = "221 2.0.0 bye\r\n"
)

func newSMTPSink(t testing.TB, addr string) *smtpSink {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("sink listen: %v", err)
	}
	s := &smtpSink{ln: ln}
	return s
}

func (s *smtpSink) start() {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := s.ln.Accept()
			if err != nil {
				return
			}
			sc := &sinkConn{done: make(chan struct{})}
			s.mu.Lock()
			s.conns = append(s.conns, sc)
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer close(sc.done)
				defer c.Close()
				s.serve(c, sc)
			}()
		}
	}()
}

func (s *smtpSink) close() {
	s.ln.Close()
	s.wg.Wait()
}

func (s *smtpSink) port() uint16 { return uint16(s.ln.Addr().(*net.TCPAddr).Port) }

// connections returns the conversations so far.
func (s *smtpSink) connections() []*sinkConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*sinkConn(nil), s.conns...)
}

type recordingReader struct {
	r  io.Reader
	sc *sinkConn
}

func (r recordingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.sc.mu.Lock()
	r.sc.raw = append(r.sc.raw, p[:n]...)
	r.sc.mu.Unlock()
	return n, err
}

func (s *smtpSink) serve(c net.Conn, sc *sinkConn) {
	br := bufio.NewReader(recordingReader{c, sc})
	if s.silent {
		// Keep reading (and recording) until the client hangs up.
		for {
			line, err := br.ReadString('\n')
			if line != "" {
				sc.add("C", strings.TrimSuffix(line, "\r\n"))
			}
			if err != nil {
				return
			}
		}
	}
	var conn net.Conn = c
	say := func(text string) bool {
		for _, l := range strings.SplitAfter(text, "\r\n") {
			if l != "" {
				sc.add("S", strings.TrimSuffix(l, "\r\n"))
			}
		}
		_, err := io.WriteString(conn, text)
		return err == nil
	}
	if !say(sinkGreeting) {
		return
	}
	inData := false
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			if line != "" {
				sc.add("C", line)
			}
			return
		}
		line = strings.TrimSuffix(line, "\r\n")
		sc.add("C", line)
		if inData {
			if strings.HasPrefix(line, "Subject: ") {
				sc.subject = strings.TrimPrefix(line, "Subject: ")
			}
			if line == "." {
				inData = false
				say(sinkQueued)
			}
			continue
		}
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch {
		case verb == "HELO":
			say(sinkHelo)
		case verb == "EHLO" && s.tls != nil:
			say(sinkEhlo)
		case verb == "STARTTLS" && s.tls != nil:
			say("220 2.0.0 ready\r\n")
			tc := tls.Server(c, s.tls)
			if tc.Handshake() != nil {
				return
			}
			sc.add("S", "<TLS established>")
			conn = tc
			br = bufio.NewReader(recordingReader{tc, sc})
		case verb == "AUTH" && s.tls != nil:
			want := base64.StdEncoding.EncodeToString([]byte("\x00" + s.user + "\x00" + s.pass))
			if line == "AUTH PLAIN "+want {
				say("235 2.7.0 ok\r\n")
			} else {
				say("535 5.7.8 bad credentials\r\n")
			}
		case strings.HasPrefix(line, "MAIL FROM:"):
			say(sinkMail)
		case strings.HasPrefix(line, "RCPT TO:"):
			say(sinkRcpt)
		case verb == "DATA":
			inData = true
			say(sinkData)
		case verb == "QUIT":
			say(sinkBye)
			return
		default:
			say("500 5.5.2 what\r\n")
		}
	}
}

var dateLine = regexp.MustCompile(`(?m)^C: Date: [^\r\n]*\r\n`)

// normalizeTranscript hides the one line that differs between runs.
func normalizeTranscript(s string) string {
	return dateLine.ReplaceAllString(s, "C: Date: <date>\r\n")
}

var nonWord = regexp.MustCompile(`[^A-Za-z0-9_]+`)

// transcriptName names a recorded conversation after its subject.
func transcriptName(subject string, i int) string {
	if subject == "" {
		return "smtp-conn" + strconv.Itoa(i) + ".txt"
	}
	if j := strings.Index(subject, "] "); j >= 0 {
		subject = subject[j+2:]
	}
	return "smtp-" + strings.Trim(nonWord.ReplaceAllString(subject, "-"), "-") + ".txt"
}

// TestRecordSMTPSink is not a test: testdata/record/record.sh runs the test
// binary with GOKA_SINK_LISTEN set to make it the SMTP server real
// keepalived talks to, and it writes what keepalived said to
// GOKA_SINK_OUT. It skips in normal runs.
func TestRecordSMTPSink(t *testing.T) {
	addr := os.Getenv("GOKA_SINK_LISTEN")
	if addr == "" {
		t.Skip("recording helper: runs only under testdata/record/record.sh (GOKA_SINK_LISTEN)")
	}
	out := os.Getenv("GOKA_SINK_OUT")
	s := newSMTPSink(t, addr)
	s.silent = os.Getenv("GOKA_SINK_SILENT") != ""
	s.start()
	if f := os.Getenv("GOKA_SINK_READY"); f != "" {
		if err := os.WriteFile(f, []byte("ready\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	s.ln.Close()
	for _, c := range s.connections() {
		select {
		case <-c.done:
		case <-time.After(2 * time.Second):
		}
	}
	for i, c := range s.connections() {
		name := transcriptName(c.subject, i)
		if s.silent {
			name = "smtp-blackhole-conn" + strconv.Itoa(i) + ".txt"
		}
		if err := os.WriteFile(filepath.Join(out, name), []byte(c.Transcript()), 0o644); err != nil {
			t.Error(err)
		}
		fmt.Fprintf(os.Stderr, "recorded %s (%d bytes from the client)\n", name, len(c.raw))
	}
	if len(s.connections()) == 0 {
		t.Error(errors.New("no SMTP connection was recorded"))
	}
}
