package check

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	rs1 = "[10.0.1.1]:tcp:80"
	vs1 = "[10.0.0.1]:tcp:80"
)

// oneRS is a virtual server with delay_loop 6 and one real server carrying
// the given checker blocks.
func oneRS(rsBody string, vsExtra ...string) string {
	return fmt.Sprintf(`virtual_server 10.0.0.1 80 {
  delay_loop 6
  protocol TCP
  lb_algo rr
  lb_kind NAT
%s
  real_server 10.0.1.1 80 {
%s
  }
}
`, strings.Join(vsExtra, "\n"), rsBody)
}

type at struct {
	t   float64 // seconds after start
	msg string
}

// TestCheckerTiming has one row per timing rule of checkers.md; each row
// checks the attempts' times and the log lines keepalived prints.
func TestCheckerTiming(t *testing.T) {
	for _, tc := range []struct {
		name   string
		rs     string
		vs     string // extra virtual_server lines
		server script
		run    float64
		calls  []float64 // attempt start times; nil: not checked
		want   []at      // log lines after start, "Activating" lines left out
	}{
		{
			name:   "first check 1 s after start with warmup 0, then every delay_loop",
			rs:     "TCP_CHECK {\nwarmup 0\n}",
			server: up, run: 20,
			calls: []float64{1, 7, 13, 19},
			want:  []at{{1, "TCP connection to " + rs1 + " success."}},
		},
		{
			name:   "cold start: one failure takes the server down, no retries",
			rs:     "TCP_CHECK {\nwarmup 0\nretry 3\ndelay_before_retry 2\n}",
			server: down, run: 2,
			calls: []float64{1},
			want: []at{
				{1, "TCP_CHECK on service " + rs1 + " failed."},
				{1, "Removing service " + rs1 + " from VS " + vs1},
				{1, "Lost quorum 1-0=1 > 0 for VS " + vs1},
			},
		},
		{
			name:   "TCP up then refused: retry+1 failures delay_before_retry apart",
			rs:     "TCP_CHECK {\nwarmup 0\nretry 3\ndelay_before_retry 2\n}",
			server: upUntil(sec(20)), run: 32,
			calls: []float64{1, 7, 13, 19, 25, 27, 29, 31},
			want: []at{
				{1, "TCP connection to " + rs1 + " success."},
				{31, "TCP_CHECK on service " + rs1 + " failed after 3 retries."},
				{31, "Removing service " + rs1 + " from VS " + vs1},
				{31, "Lost quorum 1-0=1 > 0 for VS " + vs1},
			},
		},
		{
			name: "TCP silent host: each attempt lasts connect_timeout, next counted from its end",
			rs:   "TCP_CHECK {\nwarmup 0\nretry 3\ndelay_before_retry 2\nconnect_timeout 3\n}",
			server: func(now time.Duration, _ int) (Outcome, time.Duration) {
				if now < sec(20) {
					return Outcome{OK: true}, 0
				}
				return Outcome{Err: errTimeout{}}, 3 * time.Second
			},
			run:   44,
			calls: []float64{1, 7, 13, 19, 25, 30, 35, 40},
			want: []at{
				{1, "TCP connection to " + rs1 + " success."},
				{43, "TCP_CHECK on service " + rs1 + " failed after 3 retries."},
				{43, "Removing service " + rs1 + " from VS " + vs1},
				{43, "Lost quorum 1-0=1 > 0 for VS " + vs1},
			},
		},
		{
			name:   "TCP while down: rounds of retry+1 attempts, delay_loop apart; one success brings it back",
			rs:     "TCP_CHECK {\nwarmup 0\nretry 3\ndelay_before_retry 1\n}",
			server: timeline(sec(17.5), sec(100)), run: 20,
			calls: []float64{1, 7, 8, 9, 10, 16, 17, 18},
			want: []at{
				{1, "TCP_CHECK on service " + rs1 + " failed."},
				{1, "Removing service " + rs1 + " from VS " + vs1},
				{1, "Lost quorum 1-0=1 > 0 for VS " + vs1},
				{18, "TCP connection to " + rs1 + " success."},
				{18, "Adding service " + rs1 + " to VS " + vs1},
				{18, "Gained quorum 1+0=1 <= 1 for VS " + vs1},
			},
		},
		{
			name:   "UDP while down: one attempt per delay_loop, no retries",
			rs:     "UDP_CHECK {\nwarmup 0\nretry 3\n}",
			server: down, run: 20,
			calls: []float64{1, 7, 13, 19},
			want: []at{
				{1, "UDP_CHECK on service " + rs1 + " failed."},
				{1, "Removing service " + rs1 + " from VS " + vs1},
				{1, "Lost quorum 1-0=1 > 0 for VS " + vs1},
			},
		},
		{
			name:   "PING up then down: retries while up, its own wording",
			rs:     "PING_CHECK {\nwarmup 0\nretry 2\ndelay_before_retry 1\n}",
			server: upUntil(sec(10)), run: 16,
			calls: []float64{1, 7, 13, 14, 15},
			want: []at{
				{1, "ICMP connection to " + rs1 + " success."},
				{15, "ICMP CHECK on service " + rs1 + " of " + vs1 + " failed after 2 retries."},
				{15, "Removing service " + rs1 + " from VS " + vs1},
				{15, "Lost quorum 1-0=1 > 0 for VS " + vs1},
			},
		},
		{
			name:   "HTTP one url: retry+1 failures on the url, failed url re-tested every max(delay_loop, dbr), two successes to recover",
			rs:     "HTTP_GET {\nwarmup 0\nretry 1\nurl {\npath /x\n}\n}",
			server: timeline(0, sec(20), sec(36), sec(100)), run: 50,
			calls: []float64{1, 7, 13, 19, 25, 28, 34, 40, 46},
			want: []at{
				{1, "Remote Web server " + rs1 + " succeed on service."},
				{28, "HTTP_CHECK on service " + rs1 + " failed after 1 retries."},
				{28, "Removing service " + rs1 + " from VS " + vs1},
				{28, "Lost quorum 1-0=1 > 0 for VS " + vs1},
				{40, "HTTP status code success to " + rs1 + " url(/x)"},
				{46, "HTTP status code success to " + rs1 + " url(/x)"},
				{46, "Remote Web server " + rs1 + " succeed on service."},
				{46, "Adding service " + rs1 + " to VS " + vs1},
				{46, "Gained quorum 1+0=1 <= 1 for VS " + vs1},
			},
		},
		{
			name:   "HTTP fast_recovery: the recovery sweep runs at once",
			rs:     "HTTP_GET {\nwarmup 0\nretry 1\nfast_recovery\nurl {\npath /x\n}\n}",
			server: timeline(0, sec(20), sec(36), sec(100)), run: 47,
			calls: []float64{1, 7, 13, 19, 25, 28, 34, 40, 40, 46},
			want: []at{
				{1, "Remote Web server " + rs1 + " succeed on service."},
				{28, "HTTP_CHECK on service " + rs1 + " failed after 1 retries."},
				{28, "Removing service " + rs1 + " from VS " + vs1},
				{28, "Lost quorum 1-0=1 > 0 for VS " + vs1},
				{40, "HTTP status code success to " + rs1 + " url(/x)"},
				{40, "HTTP status code success to " + rs1 + " url(/x)"},
				{40, "Remote Web server " + rs1 + " succeed on service."},
				{40, "Adding service " + rs1 + " to VS " + vs1},
				{40, "Gained quorum 1+0=1 <= 1 for VS " + vs1},
			},
		},
		{
			name: "checkers.md §11: HTTP_GET retry 3, dbr 3, silent host (3 s per attempt) goes down 21 s after its first failed attempt starts",
			rs:   "HTTP_GET {\nwarmup 0\nretry 3\ndelay_before_retry 3\nconnect_timeout 3\nurl {\npath /index.html\n}\n}",
			server: func(now time.Duration, _ int) (Outcome, time.Duration) {
				if now < sec(20) {
					return Outcome{OK: true}, 0
				}
				return Outcome{Err: errTimeout{}}, 3 * time.Second
			},
			run:   47,
			calls: []float64{1, 7, 13, 19, 25, 31, 37, 43},
			want: []at{
				{1, "Remote Web server " + rs1 + " succeed on service."},
				{46, "HTTP_CHECK on service " + rs1 + " failed after 3 retries."},
				{46, "Removing service " + rs1 + " from VS " + vs1},
				{46, "Lost quorum 1-0=1 > 0 for VS " + vs1},
			},
		},
		{
			name:   "HTTP cold start failure is final and still says after R retries",
			rs:     "HTTP_GET {\nwarmup 0\nretry 3\nurl {\npath /x\n}\n}",
			server: down, run: 8,
			calls: []float64{1, 7},
			want: []at{
				{1, "HTTP_CHECK on service " + rs1 + " failed after 3 retries."},
				{1, "Removing service " + rs1 + " from VS " + vs1},
				{1, "Lost quorum 1-0=1 > 0 for VS " + vs1},
			},
		},
		{
			name:   "HTTP two urls: one url per delay_loop; up only when the walk completes",
			rs:     "HTTP_GET {\nwarmup 0\nurl {\npath /a\n}\nurl {\npath /b\ndigest 00112233445566778899aabbccddeeff\n}\n}",
			server: up, run: 14,
			calls: []float64{1, 7, 13},
			want:  []at{{7, "Remote Web server " + rs1 + " succeed on service."}},
		},
		{
			name:   "SMTP: retry+1 attempts also at start",
			rs:     "SMTP_CHECK {\nwarmup 0\nretry 1\ndelay_before_retry 1\n}",
			server: down, run: 16,
			calls: []float64{1, 2, 8, 9, 15, 16},
			want: []at{
				{2, "SMTP_CHECK connection refused"},
				{2, "Removing service " + rs1 + " from VS " + vs1},
				{2, "Lost quorum 1-0=1 > 0 for VS " + vs1},
			},
		},
		{
			name:   "DNS: retry 3 and delay_before_retry = delay_loop by default",
			rs:     "DNS_CHECK {\nwarmup 0\n}",
			server: upUntil(sec(20)), run: 44,
			calls: []float64{1, 7, 13, 19, 25, 31, 37, 43},
			want: []at{
				{43, "DNS_CHECK (" + rs1 + ") connection refused after 3 retries"},
				{43, "Removing service " + rs1 + " from VS " + vs1},
				{43, "Lost quorum 1-0=1 > 0 for VS " + vs1},
			},
		},
		{
			name: "MISC: period counted from script start to script start",
			rs:   "MISC_CHECK {\nwarmup 0\nmisc_path /usr/bin/true\n}",
			server: func(time.Duration, int) (Outcome, time.Duration) {
				return Outcome{OK: true}, 2 * time.Second
			},
			run:   14,
			calls: []float64{1, 7, 13},
			want:  []at{{3, "Misc check for [" + rs1 + " VS " + vs1 + "] by [/usr/bin/true] succeeded."}},
		},
		{
			name:   "MISC: retry 0 by default, so one failure is final",
			rs:     "MISC_CHECK {\nwarmup 0\nmisc_path /usr/bin/true\n}",
			server: upUntil(sec(5)), run: 8,
			calls: []float64{1, 7},
			want: []at{
				{1, "Misc check for [" + rs1 + " VS " + vs1 + "] by [/usr/bin/true] succeeded."},
				{7, "Misc check for [" + rs1 + " VS " + vs1 + "] by [/usr/bin/true] failed with retry disabled (connection refused)."},
				{7, "Removing service " + rs1 + " from VS " + vs1},
				{7, "Lost quorum 1-0=1 > 0 for VS " + vs1},
			},
		},
		{
			name:   "MISC with retries: log_all_failures shows each retry",
			rs:     "MISC_CHECK {\nwarmup 0\nmisc_path /usr/bin/true\nretry 2\ndelay_before_retry 1\nlog_all_failures\n}",
			server: upUntil(sec(5)), run: 10,
			calls: []float64{1, 7, 8, 9},
			want: []at{
				{1, "Misc check for [" + rs1 + " VS " + vs1 + "] by [/usr/bin/true] succeeded."},
				{7, "Misc check for [" + rs1 + " VS " + vs1 + "] by [/usr/bin/true] failed, will do 2 retries (connection refused)."},
				{8, "Misc check for [" + rs1 + " VS " + vs1 + "] by [/usr/bin/true] failed on retry 1/2 (connection refused)."},
				{9, "Misc check for [" + rs1 + " VS " + vs1 + "] by [/usr/bin/true] failed after 2 retries (connection refused)."},
				{9, "Removing service " + rs1 + " from VS " + vs1},
				{9, "Lost quorum 1-0=1 > 0 for VS " + vs1},
			},
		},
		{
			name:   "retry and delay_before_retry inherited from the virtual server",
			rs:     "TCP_CHECK {\nwarmup 0\n}",
			vs:     "retry 2\ndelay_before_retry 0.5",
			server: upUntil(sec(5)), run: 9,
			calls: []float64{1, 7, 7.5, 8},
			want: []at{
				{1, "TCP connection to " + rs1 + " success."},
				{8, "TCP_CHECK on service " + rs1 + " failed after 2 retries."},
				{8, "Removing service " + rs1 + " from VS " + vs1},
				{8, "Lost quorum 1-0=1 > 0 for VS " + vs1},
			},
		},
		{
			name:   "delay_loop from the real server, the checker's own over both",
			rs:     "delay_loop 2\nTCP_CHECK {\nwarmup 0\n}\nTCP_CHECK {\nwarmup 0\ndelay_loop 3\nconnect_port 81\n}",
			server: up, run: 7.5,
			calls: []float64{1, 1, 3, 4, 5, 7, 7},
			want: []at{
				{1, "TCP connection to " + rs1 + " success."},
				{1, "TCP connection to " + rs1 + " success."},
			},
		},
		{
			name:   "warmup inherited from delay_loop: first check within 1 s + U(0, delay_loop)",
			rs:     "TCP_CHECK {\n}",
			server: up, run: 7.5,
			// Checked below: one call in [1, 7].
		},
		{
			name:   "alpha: the server joins only after its check passes",
			rs:     "alpha\nTCP_CHECK {\nwarmup 0\n}",
			server: up, run: 2,
			calls: []float64{1},
			want: []at{
				{1, "TCP connection to " + rs1 + " success."},
				{1, "Adding service " + rs1 + " to VS " + vs1},
				{1, "Gained quorum 1+0=1 <= 1 for VS " + vs1},
			},
		},
		{
			name:   "inhibit_on_failure: Disabling / Enabling wording",
			rs:     "inhibit_on_failure\nTCP_CHECK {\nwarmup 0\nretry 0\n}",
			server: timeline(0, sec(5), sec(10), sec(100)), run: 14,
			calls: []float64{1, 7, 13},
			want: []at{
				{1, "TCP connection to " + rs1 + " success."},
				{7, "TCP_CHECK on service " + rs1 + " failed."},
				{7, "Disabling service " + rs1 + " of VS " + vs1},
				{7, "Lost quorum 1-0=1 > 0 for VS " + vs1},
				{13, "TCP connection to " + rs1 + " success."},
				{13, "Enabling service " + rs1 + " of VS " + vs1},
				{13, "Gained quorum 1+0=1 <= 1 for VS " + vs1},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sm := newSim(t, oneRS(tc.rs, tc.vs), Options{})
			sm.deflt = tc.server
			sm.start()
			sm.runFor(sec(tc.run))
			var calls []time.Duration
			for _, c := range sm.calls {
				calls = append(calls, c...)
			}
			slices.Sort(calls)
			if tc.calls == nil {
				if len(calls) != 1 || calls[0] < sec(1) || calls[0] > sec(7) {
					t.Errorf("first call at %v, want one in [1s, 7s]", calls)
				}
				return
			}
			var want []time.Duration
			for _, c := range tc.calls {
				want = append(want, sec(c))
			}
			if !slices.Equal(calls, want) {
				t.Errorf("attempts at %v\nwant         %v", calls, want)
			}
			var got []at
			for _, l := range sm.log.lines {
				if l.at == 0 {
					continue
				}
				got = append(got, at{l.at.Seconds(), l.msg})
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("log\n%s\nwant\n%s", fmtAt(got), fmtAt(tc.want))
			}
		})
	}
}

type errTimeout struct{}

func (errTimeout) Error() string   { return "i/o timeout" }
func (errTimeout) Timeout() bool   { return true }
func (errTimeout) Temporary() bool { return true }

func fmtAt(l []at) string {
	var b strings.Builder
	for _, x := range l {
		fmt.Fprintf(&b, "  %6.2f %s\n", x.t, x.msg)
	}
	return b.String()
}
