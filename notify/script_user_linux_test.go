package notify_test

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gokeepalived/gokeepalived/notify"
	"github.com/gokeepalived/gokeepalived/parser"
)

// TestScriptUserEndToEnd goes from keepalived.conf to a running script:
// a user created for the test is the script_user, enable_script_security
// is on, and the parser's verdicts on real files (mode, owner) decide what
// runs; notify then runs the accepted scripts as that user's uid and gid.
func TestScriptUserEndToEnd(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to create a user and chown files")
	}
	if _, err := exec.LookPath("useradd"); err != nil {
		t.Skip("useradd not installed")
	}
	name := fmt.Sprintf("gkne%d", os.Getpid()%100000)
	if out, err := exec.Command("useradd", "--system", "--no-create-home", "--user-group", "--shell", "/usr/sbin/nologin", name).CombinedOutput(); err != nil {
		t.Skipf("useradd: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("userdel", name).Run() })
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)

	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		os.Chmod(d, 0o755) // root-owned, not writable by others: a safe path
	}
	out := filepath.Join(dir, "out")
	os.Mkdir(out, 0o777)
	os.Chmod(out, 0o777)
	mk := func(name string, mode os.FileMode, owner int) string {
		p := filepath.Join(dir, name)
		body := "#!/bin/sh\necho \"$(id -u) $(id -g) $(id -G) $*\" >" + out + "/" + name + "\n"
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, mode)
		os.Chown(p, owner, 0)
		return p
	}
	safe := mk("safe.sh", 0o755, 0)              // runs as the script_user
	rootOnly := mk("root-only.sh", 0o700, 0)     // not executable for the script_user
	userOwned := mk("user-owned.sh", 0o755, uid) // run as root but owned by a user: unsafe

	conf := `global_defs {
    script_user ` + name + `
    enable_script_security
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 100
    virtual_ipaddress {
        10.0.0.100/24
    }
    notify_master "` + safe + ` m"
    notify_backup ` + rootOnly + `
    notify_fault ` + userOwned + ` root
    notify ` + safe + `
}
`
	res := parser.LoadBytes("keepalived.conf", []byte(conf), parser.Options{Host: host{}})
	if res.Config == nil {
		t.Fatalf("parse: %v", res.Diagnostics)
	}
	var msgs []string
	for _, d := range res.Diagnostics {
		msgs = append(msgs, d.Message)
	}
	vi := res.Config.Instances[0]
	for _, tc := range []struct {
		s        *parser.Script
		disabled bool
		msg      string
	}{
		{vi.NotifyMaster, false, ""},
		{vi.Notify, false, ""},
		{vi.NotifyBackup, true, "is not executable for uid:gid " + u.Uid + ":" + u.Gid},
		{vi.NotifyFault, true, "Unsafe permissions found for script '" + userOwned + "' - disabling."},
	} {
		if tc.s == nil {
			t.Fatalf("script dropped by the parser: %q", msgs)
		}
		if tc.s.Disabled != tc.disabled {
			t.Errorf("%s: disabled %v, want %v (%q)", tc.s.Argv[0], tc.s.Disabled, tc.disabled, msgs)
		}
		if tc.msg != "" && !strings.Contains(strings.Join(msgs, "\n"), tc.msg) {
			t.Errorf("no %q in %q", tc.msg, msgs)
		}
	}

	is := notify.InstanceScripts{}
	for _, p := range []struct {
		dst **notify.Command
		s   *parser.Script
	}{{&is.Master, vi.NotifyMaster}, {&is.Backup, vi.NotifyBackup}, {&is.Fault, vi.NotifyFault}, {&is.Generic, vi.Notify}} {
		if c, ok := commandOf(p.s, p.s.Keyword); ok {
			*p.dst = &c
		}
	}
	log, _ := quietLog()
	r := &notify.ExecRunner{Logger: log}
	for _, s := range []notify.State{notify.Master, notify.Backup, notify.Fault} {
		for _, c := range is.Commands("VI_1", s, 100) {
			if res := r.Run(t.Context(), c); !res.OK() {
				t.Errorf("%v: %v", c.Argv, res)
			}
		}
	}
	read := func(n string) string { b, _ := os.ReadFile(filepath.Join(out, n)); return strings.TrimSpace(string(b)) }
	// The generic notify ran last (FAULT): both safe.sh runs wrote the same file.
	if got, want := read("safe.sh"), fmt.Sprintf("%d %d %d INSTANCE VI_1 FAULT 100", uid, gid, gid); got != want {
		t.Errorf("safe.sh ran as %q, want %q", got, want)
	}
	for _, n := range []string{"root-only.sh", "user-owned.sh"} {
		if got := read(n); got != "" {
			t.Errorf("%s was disabled but ran: %q", n, got)
		}
	}
}
