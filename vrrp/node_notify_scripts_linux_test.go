package vrrp

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gokeepalived/gokeepalived/notify"
	"github.com/gokeepalived/gokeepalived/parser"
)

func TestScriptNotifier(t *testing.T) {
	res := parser.LoadBytes("test.conf", []byte(`global_defs {
 script_user root
}
vrrp_sync_group G {
 group {
  VI_1
 }
 notify "/bin/echo grp"
}
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  10.0.0.1
 }
 notify_master "/bin/echo master"
 notify "/bin/echo any"
}
`), parser.Options{Host: testHost{}})
	if res.Config == nil {
		t.Fatal(res.Diagnostics)
	}
	var mu sync.Mutex
	var ran []string
	q := notify.NewQueue(t.Context(), notify.QueueOptions{Logger: quietLog(),
		Runner: notify.RunnerFunc(func(ctx context.Context, c notify.Command) notify.Result {
			mu.Lock()
			// The parser resolved argv[0] (/bin may be /usr/bin).
			ran = append(ran, filepath.Base(c.Argv[0])+" "+strings.Join(c.Argv[1:], " "))
			mu.Unlock()
			return notify.Result{}
		})})
	sn := NewScriptNotifier(res.Config, q, nil)
	sn.Notify(t.Context(), Notification{Instance: "VI_1", State: StateMaster, Type: "MASTER", Priority: 100})
	sn.Notify(t.Context(), Notification{Instance: "VI_1", State: StateBackup, Type: "BACKUP", Priority: 100})
	sn.Notify(t.Context(), Notification{Group: "G", State: StateMaster, Type: "MASTER"})
	if err := q.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := []string{"echo master", "echo any INSTANCE VI_1 MASTER 100", "echo any INSTANCE VI_1 BACKUP 100",
		"echo grp GROUP G MASTER 0"}
	slices.Sort(want)
	slices.Sort(ran)
	if !slices.Equal(ran, want) {
		t.Errorf("ran\n %q\nwant\n %q", ran, want)
	}
}

// fakeMailer records the mails it is given.
type fakeMailer struct {
	cfg   notify.MailConfig
	mails []notify.Mail
}

func (f *fakeMailer) Send(m notify.Mail) bool {
	f.mails = append(f.mails, m)
	return true
}

func (f *fakeMailer) subjects() []string {
	var out []string
	for _, m := range f.mails {
		out = append(out, m.Subject)
	}
	return out
}

// TestScriptNotifierMail: smtp_alert_vrrp turns on instance and group
// mails; one per state change, FAULT left out with no_email_faults, none
// for an instance with smtp_alert off; a reload that changes the server
// builds a new mailer; a deleted instance without notify_deleted reports
// FAULT without running notify_fault.
func TestScriptNotifierMail(t *testing.T) {
	conf := func(server string) *parser.Config {
		res := parser.LoadBytes("test.conf", []byte(`global_defs {
 router_id r1
 script_user root
 notification_email {
  ops@example.com
 }
 notification_email_from ka@example.com
 smtp_server `+server+`
 smtp_alert_vrrp
 no_email_faults
}
vrrp_sync_group G {
 group {
  VI_1
 }
}
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  10.0.0.1
 }
 notify_fault "/bin/echo fault"
 notify "/bin/echo any"
}
vrrp_instance VI_2 {
 interface eth0
 virtual_router_id 52
 smtp_alert false
 virtual_ipaddress {
  10.0.0.2
 }
}
`), parser.Options{Host: testHost{}})
		if res.Config == nil {
			t.Fatal(res.Diagnostics)
		}
		return res.Config
	}
	var mu sync.Mutex
	var ran []string
	q := notify.NewQueue(t.Context(), notify.QueueOptions{Logger: quietLog(),
		Runner: notify.RunnerFunc(func(ctx context.Context, c notify.Command) notify.Result {
			mu.Lock()
			ran = append(ran, filepath.Base(c.Argv[0])+" "+strings.Join(c.Argv[1:], " "))
			mu.Unlock()
			return notify.Result{}
		})})
	var mailers []*fakeMailer
	sn := NewScriptNotifier(conf("127.0.0.1 2525"), q, nil)
	sn.EnableMail(func(mc notify.MailConfig) MailSender {
		m := &fakeMailer{cfg: mc}
		mailers = append(mailers, m)
		return m
	})
	ctx := t.Context()
	sn.Notify(ctx, Notification{Instance: "VI_1", State: StateBackup, Type: "BACKUP", Priority: 100})
	sn.Notify(ctx, Notification{Instance: "VI_1", State: StateBackup, Type: "BACKUP", Priority: 100})
	sn.Notify(ctx, Notification{Instance: "VI_1", State: StateMaster, Type: "MASTER_PRIORITY", Priority: 90})
	sn.Notify(ctx, Notification{Instance: "VI_1", State: StateMaster, Type: "MASTER", Priority: 100})
	sn.Notify(ctx, Notification{Instance: "VI_1", State: StateFault, Type: "FAULT", Priority: 100})
	sn.Notify(ctx, Notification{Instance: "VI_2", State: StateMaster, Type: "MASTER", Priority: 100})
	sn.Notify(ctx, Notification{Group: "G", State: StateMaster, Type: "MASTER"})
	want := []string{"[r1] VRRP Instance VI_1 - Entering BACKUP state", "[r1] VRRP Instance VI_1 - Entering MASTER state",
		"[r1] VRRP Group G - Entering MASTER state"}
	if len(mailers) != 1 || !slices.Equal(mailers[0].subjects(), want) {
		t.Fatalf("mails %v\nwant %v", mailers[0].subjects(), want)
	}
	if c := mailers[0].cfg; c.Server != "127.0.0.1" || c.Port != 2525 || c.From != "ka@example.com" || !slices.Equal(c.To, []string{"ops@example.com"}) {
		t.Errorf("mail config %+v", c)
	}
	if mailers[0].mails[1].Body != "=> VRRP Instance is now owning VRRP VIPs <=" {
		t.Errorf("body %q", mailers[0].mails[1].Body)
	}

	// The same settings again keep the mailer; a new server makes another.
	sn.ReloadConfig(conf("127.0.0.1 2525"))
	if len(mailers) != 1 {
		t.Errorf("%d mailers after an unchanged reload", len(mailers))
	}
	sn.ReloadConfig(conf("127.0.0.1 2526"))
	if len(mailers) != 2 || mailers[1].cfg.Port != 2526 {
		t.Fatalf("mailers after a server change: %d", len(mailers))
	}
	sn.Notify(ctx, Notification{Instance: "VI_1", State: StateFault, Type: "DELETED", Priority: 100})
	sn.Notify(ctx, Notification{Instance: "VI_1", State: StateStop, Type: "STOP", Priority: 100})
	// a FIFO-only notification (fifo_write_vrrp_states_on_reload) runs
	// nothing and mails nothing
	sn.Notify(ctx, Notification{Instance: "VI_1", State: StateBackup, Type: "BACKUP", Priority: 100, FIFOOnly: true})
	if got := mailers[1].subjects(); !slices.Equal(got, []string{"[r1] VRRP Instance VI_1 - Stopping"}) {
		t.Errorf("mails after the reload %v", got)
	}
	if err := q.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	faults := 0
	for _, r := range ran {
		if r == "echo fault" {
			faults++
		}
	}
	if faults != 1 { // the FAULT notification's only
		t.Errorf("notify_fault ran for a deleted instance without notify_deleted: %q", ran)
	}
	backups := 0
	for _, r := range ran {
		if r == "echo any INSTANCE VI_1 BACKUP 100" {
			backups++
		}
	}
	if backups != 2 {
		t.Errorf("generic notify ran %d times for BACKUP, want 2 (not for the FIFO-only one): %q", backups, ran)
	}
	if !slices.Contains(ran, "echo any INSTANCE VI_1 FAULT 100") {
		t.Errorf("generic notify of the deleted instance missing: %q", ran)
	}
}

// TestScriptNotifierReopensFIFOs: with ManageFIFOs the notifier opens the
// FIFOs at once and again only when a reload changes their settings.
func TestScriptNotifierReopensFIFOs(t *testing.T) {
	conf := func(fifo string) *parser.Config {
		res := parser.LoadBytes("test.conf", []byte(`global_defs {
 vrrp_notify_fifo `+fifo+`
}
vrrp_instance VI_1 {
 interface eth0
 virtual_router_id 51
 virtual_ipaddress {
  10.0.0.1
 }
}
`), parser.Options{Host: testHost{}})
		if res.Config == nil {
			t.Fatal(res.Diagnostics)
		}
		return res.Config
	}
	var opened []string
	sn := NewScriptNotifier(conf("/run/a.fifo"), nil, nil)
	sn.ManageFIFOs(func(c *parser.Config) notify.FIFOs {
		opened = append(opened, c.Global.VRRPNotifyFIFO.Name)
		return nil
	})
	sn.ReloadConfig(conf("/run/a.fifo"))
	sn.ReloadConfig(conf("/run/b.fifo"))
	if !slices.Equal(opened, []string{"/run/a.fifo", "/run/b.fifo"}) {
		t.Errorf("opened %v", opened)
	}
	sn.Notify(t.Context(), Notification{Instance: "VI_1", State: StateMaster, Type: "MASTER", Priority: 100})
	if err := sn.CloseFIFOs(); err != nil {
		t.Error(err)
	}
}
