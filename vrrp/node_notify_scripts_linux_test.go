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
