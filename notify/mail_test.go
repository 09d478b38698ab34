package notify

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// goldenMailConfig is the mail part of the configuration keepalived ran
// with when testdata/keepalived-2.2.7 was recorded.
func goldenMailConfig(port uint16) MailConfig {
	return MailConfig{
		Server:         "127.0.0.1",
		Port:           port,
		HeloName:       "node-a.helo",
		From:           "keepalived@node-a.example",
		To:             []string{"ops@example.com", "oncall@example.org"},
		ConnectTimeout: 5 * time.Second,
	}
}

func quietLogger(t testing.TB) (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	var mu = &lockedWriter{w: &buf}
	return slog.New(slog.NewTextHandler(mu, &slog.HandlerOptions{Level: slog.LevelDebug})), &buf
}

func readGolden(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "keepalived-2.2.7", name))
	if err != nil {
		t.Fatalf("golden file: %v", err)
	}
	return string(b)
}

// TestMailTranscriptMatchesKeepalived sends the four alerts keepalived sent
// in the recording to the same sink and compares the conversations line
// for line; only the Date header differs.
func TestMailTranscriptMatchesKeepalived(t *testing.T) {
	cases := []struct {
		golden string
		mail   func() (Mail, bool)
	}{
		{"smtp-VRRP-Instance-VI_1-Entering-BACKUP-state.txt", func() (Mail, bool) { return VRRPInstanceMail("node_a", "VI_1", Backup) }},
		{"smtp-VRRP-Instance-VI_1-Entering-MASTER-state.txt", func() (Mail, bool) { return VRRPInstanceMail("node_a", "VI_1", Master) }},
		{"smtp-VRRP-Group-VG_1-Entering-BACKUP-state.txt", func() (Mail, bool) { return VRRPGroupMail("node_a", "VG_1", Backup) }},
		{"smtp-VRRP-Group-VG_1-Entering-MASTER-state.txt", func() (Mail, bool) { return VRRPGroupMail("node_a", "VG_1", Master) }},
	}
	for _, tc := range cases {
		t.Run(tc.golden, func(t *testing.T) {
			want := readGolden(t, tc.golden)
			sink := newSMTPSink(t, "127.0.0.1:0")
			sink.start()
			defer sink.close()
			log, _ := quietLogger(t)
			m := NewMailer(context.Background(), goldenMailConfig(sink.port()), MailerOptions{Logger: log})
			mail, ok := tc.mail()
			if !ok {
				t.Fatal("no mail for this state")
			}
			if err := m.Deliver(context.Background(), mail); err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			conns := sink.connections()
			if len(conns) != 1 {
				t.Fatalf("%d connections, want 1", len(conns))
			}
			<-conns[0].done
			got := conns[0].Transcript()
			if diff := cmp.Diff(normalizeTranscript(want), normalizeTranscript(got)); diff != "" {
				t.Errorf("transcript differs from keepalived's (-keepalived +gokeepalived):\n%s", diff)
			}
			if !dateLine.MatchString(got) || !regexpDate.MatchString(got) {
				t.Errorf("Date header not in keepalived's format:\n%s", got)
			}
			if s := m.Stats(); s.Sent != 1 || s.Failed != 0 {
				t.Errorf("stats %+v, want 1 sent", s)
			}
		})
	}
}

var regexpDate = mustRegexp(`C: Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d [+-]\d{4}\r\n`)

// TestMailBlackholeReal: a server that accepts and never answers costs one
// smtp_connect_timeout, in the background; gokeepalived then says QUIT, as
// keepalived did in the recording.
func TestMailBlackholeReal(t *testing.T) {
	sink := newSMTPSink(t, "127.0.0.1:0")
	sink.silent = true
	sink.start()
	defer sink.close()
	log, logs := quietLogger(t)
	cfg := goldenMailConfig(sink.port())
	cfg.ConnectTimeout = 300 * time.Millisecond
	m := NewMailer(context.Background(), cfg, MailerOptions{Logger: log})
	mail, _ := VRRPInstanceMail("node_a", "VI_1", Backup)
	start := time.Now()
	if !m.Send(mail) {
		t.Fatal("Send refused")
	}
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Errorf("Send blocked the caller for %v", d)
	}
	if err := m.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	if elapsed < cfg.ConnectTimeout || elapsed > cfg.ConnectTimeout+time.Second {
		t.Errorf("black-holed alert took %v, want about %v", elapsed, cfg.ConnectTimeout)
	}
	conns := sink.connections()
	if len(conns) != 1 {
		t.Fatalf("%d connections", len(conns))
	}
	<-conns[0].done
	if diff := cmp.Diff(readGolden(t, "smtp-blackhole.txt"), conns[0].Transcript()); diff != "" {
		t.Errorf("differs from keepalived (-keepalived +gokeepalived):\n%s", diff)
	}
	if s := m.Stats(); s.Failed != 1 || s.Sent != 0 {
		t.Errorf("stats %+v, want 1 failed", s)
	}
	want := "Timeout reading data to remote SMTP server [127.0.0.1]:" + itoa(int(sink.port())) + "."
	if !strings.Contains(logs.String(), want) {
		t.Errorf("log lacks %q:\n%s", want, logs.String())
	}
}

// pipeServer is a scripted SMTP server on one end of a net.Pipe, for tests
// in virtual time. replies[i] is sent after the i-th client line (the
// first before any); nil for a reply means stay silent from then on.
type pipeServer struct {
	got  bytes.Buffer
	done chan struct{}
}

func startPipeServer(conn net.Conn, replies []string, silentAfter int) *pipeServer {
	ps := &pipeServer{done: make(chan struct{})}
	out := make(chan string, len(replies)+1)
	go func() {
		// A writer of its own: net.Pipe writes wait for the reader, and
		// the client may be writing at the same time.
		for r := range out {
			conn.Write([]byte(r))
		}
	}()
	go func() {
		defer close(ps.done)
		defer conn.Close()
		defer close(out)
		buf := make([]byte, 4096)
		i := 0
		send := func() {
			if i < len(replies) && (silentAfter < 0 || i < silentAfter) {
				out <- replies[i]
			}
			i++
		}
		send()
		var line []byte
		for {
			n, err := conn.Read(buf)
			for _, c := range buf[:n] {
				ps.got.WriteByte(c)
				line = append(line, c)
				if c == '\n' {
					l := string(line)
					line = line[:0]
					if strings.HasPrefix(l, "Date:") || strings.HasPrefix(l, "From:") || strings.HasPrefix(l, "Subject:") ||
						strings.HasPrefix(l, "X-Mailer:") || strings.HasPrefix(l, "To:") || l == "\r\n" || strings.HasPrefix(l, "=>") {
						continue // inside the DATA chunk
					}
					send()
				}
			}
			if err != nil {
				return
			}
		}
	}()
	return ps
}

func pipeDialer(replies []string, silentAfter int, servers chan<- *pipeServer) DialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, s := net.Pipe()
		servers <- startPipeServer(s, replies, silentAfter)
		return c, nil
	}
}

var okReplies = []string{"220 hi\r\n", "250 helo\r\n", "250 mail\r\n", "250 rcpt\r\n", "250 rcpt\r\n", "354 data\r\n", "250 queued\r\n", "221 bye\r\n"}

// TestMailTimeoutsVirtualTime pins the timing rules in virtual time: each
// reply is awaited for at most smtp_connect_timeout, a silent server costs
// exactly one timeout, and Send returns before any of it.
func TestMailTimeoutsVirtualTime(t *testing.T) {
	for _, tc := range []struct {
		name        string
		silentAfter int
		wantClient  string
	}{
		{"silent from the start", 0, "QUIT\r\n"},
		{"no helo name", 1, "HELO localhost\r\nQUIT\r\n"},
		{"silent after greeting", 1, "HELO h\r\nQUIT\r\n"},
		{"silent after DATA", 6, "HELO h\r\nMAIL FROM:<f@x>\r\nRCPT TO:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\n<data>QUIT\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				servers := make(chan *pipeServer, 1)
				log, _ := quietLogger(t)
				cfg := MailConfig{Server: "192.0.2.1", HeloName: "h", From: "f@x", To: []string{"a@x", "b@x"}, ConnectTimeout: 7 * time.Second}
				if strings.HasPrefix(tc.name, "no helo") {
					cfg.HeloName = ""
				}
				m := NewMailer(t.Context(), cfg, MailerOptions{Logger: log, Dial: pipeDialer(okReplies, tc.silentAfter, servers)})
				start := time.Now()
				mail, _ := VRRPInstanceMail("r", "VI_1", Master)
				m.Send(mail)
				if time.Since(start) != 0 {
					t.Fatal("Send took virtual time")
				}
				srv := <-servers
				m.Wait(t.Context())
				if got := time.Since(start); got != cfg.ConnectTimeout {
					t.Errorf("delivery took %v, want exactly %v", got, cfg.ConnectTimeout)
				}
				<-srv.done
				got := srv.got.String()
				if i := strings.Index(got, "Date:"); i >= 0 {
					j := strings.Index(got, "\r\n.\r\n")
					got = got[:i] + "<data>" + got[j+5:]
				}
				if got != tc.wantClient {
					t.Errorf("client sent %q, want %q", got, tc.wantClient)
				}
				if s := m.Stats(); s.Failed != 1 {
					t.Errorf("stats %+v", s)
				}
			})
		})
	}
}

// TestMailErrors: a wrong code at any step is logged with keepalived's
// words and ends with QUIT; a closed connection ends without it.
func TestMailErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		replies []string
		wantLog string
		wantErr error
		quit    bool
	}{
		{"greeting refused", []string{"554 no\r\n", "221 bye\r\n"}, "Error processing (E)SMTP cmd on SMTP server [192.0.2.1]:25. SMTP status code = 554", ErrSMTPStatus, true},
		{"HELO refused", []string{"220 hi\r\n", "501 bad\r\n", "221 bye\r\n"}, "Error processing HELO cmd on SMTP server [192.0.2.1]:25. SMTP status code = 501", ErrSMTPStatus, true},
		{"RCPT refused", []string{"220 hi\r\n", "250 ok\r\n", "250 ok\r\n", "550 no such user\r\n", "221 bye\r\n"}, "Error processing RCPT cmd on SMTP server [192.0.2.1]:25. SMTP status code = 550", ErrSMTPStatus, true},
		{"body refused", []string{"220 hi\r\n", "250 ok\r\n", "250 ok\r\n", "250 ok\r\n", "250 ok\r\n", "354 go\r\n", "552 too big\r\n", "221 bye\r\n"}, "Error processing BODY cmd on SMTP server [192.0.2.1]:25. SMTP status code = 552", ErrSMTPStatus, true},
		{"closed", []string{"220 hi\r\n"}, "Remote SMTP server [192.0.2.1]:25 has closed the connection.", ErrSMTPClosed, false},
		{"oversized reply", []string{strings.Repeat("x", 1100)}, "overflow our get read buffer length", ErrSMTPIO, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				log, logs := quietLogger(t)
				cfg := MailConfig{Server: "192.0.2.1", HeloName: "h", From: "f@x", To: []string{"a@x", "b@x"}, ConnectTimeout: time.Second}
				var srv *pipeServer
				dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
					c, s := net.Pipe()
					if tc.name == "closed" {
						go func() { s.Write([]byte("220 hi\r\n")); buf := make([]byte, 100); s.Read(buf); s.Close() }()
						return c, nil
					}
					srv = startPipeServer(s, tc.replies, -1)
					return c, nil
				}
				m := NewMailer(t.Context(), cfg, MailerOptions{Logger: log, Dial: dial})
				err := m.Deliver(t.Context(), Mail{Subject: "s", Body: "=> b <="})
				if !errors.Is(err, tc.wantErr) {
					t.Errorf("error %v, want %v", err, tc.wantErr)
				}
				if !strings.Contains(logs.String(), tc.wantLog) {
					t.Errorf("log lacks %q:\n%s", tc.wantLog, logs.String())
				}
				if srv != nil {
					<-srv.done
					if q := strings.HasSuffix(srv.got.String(), "QUIT\r\n"); q != tc.quit {
						t.Errorf("ended with QUIT = %v, want %v (client sent %q)", q, tc.quit, srv.got.String())
					}
				}
			})
		})
	}
}

// TestMailReplyParsing: multi-line replies are skipped to their last line
// and replies may arrive split or several in one read.
func TestMailReplyParsing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, s := net.Pipe()
		go func() {
			s.Write([]byte("220-a\r\n220-b\r\n"))
			s.Write([]byte("220 c\r\n250 next\r\n25"))
			s.Write([]byte("0-x\r\n354 y\r\n"))
		}()
		log, _ := quietLogger(t)
		ss := &session{cfg: &MailConfig{ConnectTimeout: time.Second}, log: log, conn: c, host: "[x]:25"}
		for _, want := range []struct {
			code  int
			lines int
		}{{220, 3}, {250, 1}, {354, 2}} {
			r, err := ss.read()
			if err != nil || r.code != want.code || len(r.lines) != want.lines {
				t.Fatalf("read = %+v, %v; want code %d with %d lines", r, err, want.code, want.lines)
			}
		}
		c.Close()
		s.Close()
	})
}

func TestMailMessages(t *testing.T) {
	type mk func() (Mail, bool)
	for _, tc := range []struct {
		mail          mk
		subject, body string
	}{
		{func() (Mail, bool) { return VRRPInstanceMail("r1", "VI_1", Master) }, "[r1] VRRP Instance VI_1 - Entering MASTER state", "=> VRRP Instance is now owning VRRP VIPs <="},
		{func() (Mail, bool) { return VRRPInstanceMail("r1", "VI_1", Backup) }, "[r1] VRRP Instance VI_1 - Entering BACKUP state", "=> VRRP Instance is no longer owning VRRP VIPs <="},
		{func() (Mail, bool) { return VRRPInstanceMail("r1", "VI_1", Fault) }, "[r1] VRRP Instance VI_1 - Entering FAULT state", "=> VRRP Instance is no longer owning VRRP VIPs <="},
		{func() (Mail, bool) { return VRRPInstanceMail("r1", "VI_1", Stop) }, "[r1] VRRP Instance VI_1 - Stopping", "=> VRRP Instance stopping <="},
		{func() (Mail, bool) { return VRRPInstanceMail("r1", "VI_1", Deleted) }, "[r1] VRRP Instance VI_1 - Deleted", "=> VRRP Deleted at reload <="},
		{func() (Mail, bool) { return VRRPGroupMail("r1", "G", Master) }, "[r1] VRRP Group G - Entering MASTER state", "=> All VRRP group instances are now in MASTER state <="},
		{func() (Mail, bool) { return VRRPGroupMail("r1", "G", Backup) }, "[r1] VRRP Group G - Entering BACKUP state", "=> All VRRP group instances are now in BACKUP state <="},
		{func() (Mail, bool) { return VRRPGroupMail("r1", "G", Fault) }, "[r1] VRRP Group G - Entering FAULT state", "=> All VRRP group instances are now in FAULT state <="},
		{func() (Mail, bool) { return VRRPGroupMail("r1", "G", Stop) }, "[r1] VRRP Group G - Stopping", "=> All VRRP group instances are now stopping <="},
		{func() (Mail, bool) {
			return RealServerMail("r1", "[10.0.0.2]:tcp:80", "[10.0.0.1]:tcp:80", true, BodyTCPUp), true
		}, "[r1] Realserver [10.0.0.2]:tcp:80 of virtual server [10.0.0.1]:tcp:80 - UP", "=> TCP CHECK succeed on service <="},
		{func() (Mail, bool) {
			return RealServerMail("r1", "[10.0.0.2]:tcp:80", "[10.0.0.1]:tcp:80", false, BodyHTTPDown), true
		}, "[r1] Realserver [10.0.0.2]:tcp:80 of virtual server [10.0.0.1]:tcp:80 - DOWN", "=> CHECK failed on service : HTTP request failed <="},
		{func() (Mail, bool) {
			return RealServerRemovedMail("r1", "[10.0.0.2]:tcp:80", "FWM 7", true), true
		}, "[r1] Realserver [10.0.0.2]:tcp:80 of virtual server FWM 7 - DOWN", "=> Shutting down <="},
		{func() (Mail, bool) {
			return RealServerRemovedMail("r1", "[10.0.0.2]:tcp:80", "[G]:0", false), true
		}, "[r1] Realserver [10.0.0.2]:tcp:80 of virtual server [G]:0 - DOWN", "=> Removing <="},
		{func() (Mail, bool) {
			return VirtualServerMail("r1", "[10.0.0.1]:tcp:80", true, false, false, 2, 1, 3, 4), true
		}, "[r1] Virtualserver [10.0.0.1]:tcp:80 - UP", "=> Gained quorum 2+1=3 <= 4 <="},
		{func() (Mail, bool) {
			return VirtualServerMail("r1", "[10.0.0.1]:tcp:80", false, true, false, 2, 1, 1, 0), true
		}, "[r1] Virtualserver [10.0.0.1]:tcp:80 - DOWN", "=> Starting with quorum down 2+1=1 <= 0 <="},
		{func() (Mail, bool) {
			return VirtualServerMail("r1", "[10.0.0.1]:tcp:80", false, false, true, 2, 1, 1, 0), true
		}, "[r1] Virtualserver [10.0.0.1]:tcp:80 - DOWN", "=> Shutting down <="},
	} {
		m, ok := tc.mail()
		if !ok || m.Subject != tc.subject || m.Body != tc.body {
			t.Errorf("got %q / %q (%v), want %q / %q", m.Subject, m.Body, ok, tc.subject, tc.body)
		}
	}
	for _, s := range []State{MasterPriority, BackupPriority, MasterRxLowerPri} {
		if _, ok := VRRPInstanceMail("r", "VI", s); ok {
			t.Errorf("%s must send no mail", s)
		}
	}
	if _, ok := VRRPGroupMail("r", "G", Deleted); ok {
		t.Error("groups have no DELETED mail")
	}
}

func TestMessageBytes(t *testing.T) {
	now := time.Date(2026, 11, 24, 16, 40, 9, 0, time.FixedZone("", 3600))
	got := string(Message(now, "f@x", []string{"a@x", "b@y"}, Mail{Subject: "[r] s", Body: "=> b <="}))
	want := "Date: Tue, 24 Nov 2026 16:40:09 +0100\r\nFrom: f@x\r\nSubject: [r] s\r\nX-Mailer: Keepalived\r\nTo: a@x, b@y\r\n\r\n=> b <=\r\n\r\n.\r\n"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	// keepalived's buffers: subject 255 bytes, body 511, chunk 1023.
	long := Message(now, "f@x", []string{"a@x"}, Mail{Subject: strings.Repeat("s", 300), Body: strings.Repeat("b", 600)})
	if !bytes.Contains(long, []byte("Subject: "+strings.Repeat("s", 255)+"\r\n")) {
		t.Error("subject not cut to 255 bytes")
	}
	if !bytes.Contains(long, []byte("\r\n\r\n"+strings.Repeat("b", 511)+"\r\n\r\n.\r\n")) {
		t.Error("body not cut to 511 bytes")
	}
	many := make([]string, 100)
	for i := range many {
		many[i] = "someone" + itoa(i) + "@example.com"
	}
	if n := len(Message(now, "f@x", many, Mail{Subject: "s", Body: "b"})); n != 1023 {
		t.Errorf("DATA chunk is %d bytes, keepalived cuts it to 1023", n)
	}
	full := strings.Join(many, ", ")
	if h := toHeader(many); len(h) > 1023 || len(h) < 1000 || !strings.HasPrefix(full, h) {
		t.Errorf("To header %d bytes; keepalived stops at the first address that does not fit", len(h))
	}
	if h := toHeader(many[:3]); h != strings.Join(many[:3], ", ") {
		t.Errorf("To header %q", h)
	}
}

func TestShouldMail(t *testing.T) {
	for _, tc := range []struct {
		enabled, noFaults bool
		last, now         State
		want              bool
	}{
		{true, false, "", Backup, true},
		{true, false, Backup, Backup, false},
		{true, false, Backup, Master, true},
		{false, false, Backup, Master, false},
		{true, true, Master, Fault, false},
		{true, false, Master, Fault, true},
		{true, false, Master, MasterPriority, false},
	} {
		if got := ShouldMailVRRP(tc.enabled, tc.noFaults, tc.last, tc.now); got != tc.want {
			t.Errorf("ShouldMailVRRP(%v,%v,%s,%s) = %v", tc.enabled, tc.noFaults, tc.last, tc.now, got)
		}
	}
	for _, tc := range []struct{ alert, changed, alive, noChecker, want bool }{
		{true, true, false, false, true},
		{true, true, false, true, false},
		{true, true, true, true, true},
		{false, true, true, false, false},
		{true, false, true, false, false},
	} {
		if got := ShouldMailChecker(tc.alert, tc.changed, tc.alive, tc.noChecker); got != tc.want {
			t.Errorf("ShouldMailChecker%+v = %v", tc, got)
		}
	}
}

func TestMailerDisabledAndClosed(t *testing.T) {
	log, _ := quietLogger(t)
	m := NewMailer(context.Background(), MailConfig{Server: "127.0.0.1"}, MailerOptions{Logger: log})
	if m.Send(Mail{}) {
		t.Error("no recipients: keepalived sends nothing")
	}
	m2 := NewMailer(context.Background(), MailConfig{Server: "127.0.0.1", To: []string{"a@x"}}, MailerOptions{Logger: log})
	m2.Close(context.Background())
	if m2.Send(Mail{}) || m2.Stats().Dropped != 1 {
		t.Error("a closed Mailer must refuse and count")
	}
}

// TestMailerCloseAborts: Close ends a delivery stuck on a silent server at
// once, without waiting for the timeout.
func TestMailerCloseAborts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		servers := make(chan *pipeServer, 1)
		log, _ := quietLogger(t)
		cfg := MailConfig{Server: "192.0.2.1", HeloName: "h", From: "f@x", To: []string{"a@x"}, ConnectTimeout: time.Hour}
		m := NewMailer(t.Context(), cfg, MailerOptions{Logger: log, Dial: pipeDialer(okReplies, 0, servers)})
		m.Send(Mail{Subject: "s", Body: "b"})
		srv := <-servers
		synctest.Wait()
		start := time.Now()
		if err := m.Close(t.Context()); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != 0 {
			t.Errorf("Close waited %v", d)
		}
		<-srv.done
		if s := m.Stats(); s.Failed != 1 {
			t.Errorf("stats %+v", s)
		}
	})
}

// TestMailerBounded: with MaxInFlight deliveries stuck, further alerts are
// dropped and counted instead of piling up goroutines.
func TestMailerBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		servers := make(chan *pipeServer, 10)
		log, _ := quietLogger(t)
		cfg := MailConfig{Server: "192.0.2.1", HeloName: "h", From: "f@x", To: []string{"a@x"}, ConnectTimeout: time.Minute}
		m := NewMailer(t.Context(), cfg, MailerOptions{Logger: log, Dial: pipeDialer(okReplies, 0, servers), MaxInFlight: 2})
		for range 5 {
			m.Send(Mail{Subject: "s", Body: "b"})
		}
		if s := m.Stats(); s.Dropped != 3 {
			t.Errorf("stats %+v, want 3 dropped", s)
		}
		m.Close(t.Context())
	})
}

func FuzzSMTPReply(f *testing.F) {
	f.Add([]byte("220 ok\r\n"))
	f.Add([]byte("250-a\r\n250-b\r\n250 c\r\n"))
	f.Add([]byte("2\r\n"))
	f.Add([]byte("\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, s := net.Pipe()
		go func() { s.Write(data); s.Close() }()
		log := slog.New(slog.DiscardHandler)
		ss := &session{cfg: &MailConfig{ConnectTimeout: time.Second}, log: log, conn: c, host: "[x]:25"}
		for range 10 {
			r, err := ss.read()
			if err != nil {
				break
			}
			if r.code < -1 || r.code > 999 || len(r.lines) == 0 {
				t.Fatalf("bad reply %+v", r)
			}
			last := r.lines[len(r.lines)-1]
			if len(last) > 3 && last[3] == '-' {
				t.Fatalf("reply ended on a continuation line %q", last)
			}
		}
		c.Close()
	})
}
