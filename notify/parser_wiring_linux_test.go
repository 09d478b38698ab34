package notify_test

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/notify"
	"github.com/gokeepalived/gokeepalived/parser"
)

// This file shows, and checks, how the engines build notify's plain
// values from parser.Config. Package notify itself does not import parser;
// only this test does.

// commandOf is how a caller turns a parsed script into a Command: the
// argv and the uid/gid script security resolved. A disabled script is not
// run at all.
func commandOf(s *parser.Script, name string) (notify.Command, bool) {
	if s == nil || s.Disabled || len(s.Argv) == 0 {
		return notify.Command{}, false
	}
	return notify.Command{Argv: append([]string(nil), s.Argv...), UID: s.UID, GID: s.GID, Name: name}, true
}

// mailConfigOf turns global_defs into a MailConfig.
func mailConfigOf(g *parser.GlobalDefs) notify.MailConfig {
	mc := notify.MailConfig{
		HeloName:       g.SMTPHeloName,
		From:           g.NotificationEmailFrom,
		To:             g.NotificationEmail,
		ConnectTimeout: time.Duration(g.SMTPConnectTimeout) * time.Microsecond,
		StartTLS:       g.SMTPStartTLS,
		AuthUser:       g.SMTPAuthUser,
		AuthPassword:   g.SMTPAuthPassword,
	}
	if g.SMTPServer != nil {
		mc.Server, mc.Port = g.SMTPServer.Host, g.SMTPServer.Port
	}
	return mc
}

type host struct{}

func (host) InterfaceExists(name string) bool { return name == "eth0" }
func (host) Hostname() string                 { return "node-a" }

func TestParserWiring(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "argv.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nprintf '[%s] ' \"$@\" >"+dir+"/out\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	conf := `global_defs {
    router_id node_a
    notification_email {
        ops@example.com
        oncall@example.org
    }
    notification_email_from keepalived@node-a.example
    smtp_server 127.0.0.1 2525
    smtp_helo_name node-a.helo
    smtp_connect_timeout 5
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 100
    virtual_ipaddress {
        10.0.0.100/24
    }
    smtp_alert
    notify "` + script + ` 'it''s' \"a'b\""
}
`
	res := parser.LoadBytes("keepalived.conf", []byte(conf), parser.Options{Host: host{}})
	if res.Config == nil {
		t.Fatalf("parse: %v", res.Diagnostics)
	}
	vi := res.Config.Instances[0]
	c, ok := commandOf(vi.Notify, "notify VI_1")
	if !ok {
		t.Fatalf("notify script dropped: %v", res.Diagnostics)
	}
	if got := notify.InstanceNotifyArgs(c, vi.Name, notify.Master, 100).Argv[1:]; strings.Join(got, "|") != "its|a'b|INSTANCE|VI_1|MASTER|100" {
		t.Errorf("argv %q", got)
	}
	r := (&notify.ExecRunner{}).Run(t.Context(), notify.InstanceNotifyArgs(c, vi.Name, notify.Master, 100))
	if !r.OK() {
		t.Fatalf("run: %v", r)
	}
	out, _ := os.ReadFile(filepath.Join(dir, "out"))
	if string(out) != "[its] [a'b] [INSTANCE] [VI_1] [MASTER] [100] " {
		t.Errorf("script got %q", out)
	}

	mc := mailConfigOf(&res.Config.Global)
	if !mc.Enabled() || mc.Server != "127.0.0.1" || mc.Port != 2525 || mc.HeloName != "node-a.helo" ||
		mc.From != "keepalived@node-a.example" || len(mc.To) != 2 || mc.ConnectTimeout != 5*time.Second {
		t.Errorf("mail config %+v", mc)
	}
	if !vi.SMTPAlert {
		t.Error("smtp_alert not set on the instance")
	}
	m, _ := notify.VRRPInstanceMail(res.Config.Global.RouterID, vi.Name, notify.Master)
	if m.Subject != "[node_a] VRRP Instance VI_1 - Entering MASTER state" {
		t.Errorf("subject %q", m.Subject)
	}
}

func quietLog() (*slog.Logger, *bytes.Buffer) {
	var b bytes.Buffer
	return slog.New(slog.NewTextHandler(&b, nil)), &b
}
