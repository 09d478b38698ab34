package parser

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestSMTPExtensionKeywords: smtp_starttls, smtp_tls_ca_file,
// smtp_auth_user and smtp_auth_password are accepted, marked as
// gokeepalived extensions in -t's output without changing the exit code
// (not even with --strict), and the password stays out of dumps.
func TestSMTPExtensionKeywords(t *testing.T) {
	r := parseText(t, globalDefs("notification_email {\nops@example.com\n}\nsmtp_server 192.0.2.25 587\nsmtp_starttls\nsmtp_tls_ca_file /etc/ssl/mail-ca.pem\nsmtp_auth_user alerts\nsmtp_auth_password \"s3 cret\""))
	if got := r.ExitCode(false); got != ExitOK {
		t.Fatalf("exit %d: %q", got, messages(r))
	}
	if got := r.ExitCode(true); got != ExitOK {
		t.Errorf("strict exit %d: an extension is not a fault", got)
	}
	g := r.Config.Global
	if !g.SMTPStartTLS || g.SMTPTLSCAFile != "/etc/ssl/mail-ca.pem" || g.SMTPAuthUser != "alerts" || g.SMTPAuthPassword != "s3 cret" {
		t.Errorf("parsed %+v", g.GlobalMail)
	}
	n := 0
	for _, d := range r.Diagnostics {
		if strings.Contains(d.Message, "is a gokeepalived extension") {
			n++
			if !d.Own || d.Severity != SeverityNote {
				t.Errorf("%v: want an own note", d)
			}
			if !strings.Contains(d.String(), "[gokeepalived]") {
				t.Errorf("%q does not say it is gokeepalived's", d.String())
			}
		}
	}
	if n != 4 {
		t.Errorf("%d extension notes, want 4: %q", n, messages(r))
	}
	b, err := json.Marshal(g.GlobalMail)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "s3 cret") {
		t.Errorf("the password is in the dump: %s", b)
	}
	if !strings.Contains(string(b), `"smtp_starttls":true`) {
		t.Errorf("dump lacks smtp_starttls: %s", b)
	}
}

func TestSMTPExtensionValues(t *testing.T) {
	for _, tc := range []struct {
		text     string
		starttls bool
		exit     int
		msg      string
	}{
		{"smtp_starttls off", false, ExitOK, ""},
		{"smtp_starttls yes", true, ExitOK, ""},
		{"smtp_starttls maybe", false, ExitErrors, "Invalid value 'maybe' for global smtp_starttls specified"},
		{"smtp_auth_user", false, ExitMissingParameter, "missing a parameter after keyword `smtp_auth_user`"},
	} {
		r := parseText(t, globalDefs(tc.text))
		if got := r.ExitCode(false); got != tc.exit {
			t.Errorf("%s: exit %d, want %d (%q)", tc.text, got, tc.exit, messages(r))
		}
		if r.Config != nil && r.Config.Global.SMTPStartTLS != tc.starttls {
			t.Errorf("%s: starttls %v", tc.text, r.Config.Global.SMTPStartTLS)
		}
		if tc.msg != "" && !hasMessage(r, tc.msg) {
			t.Errorf("%s: got %q", tc.text, messages(r))
		}
	}
}
