package notify

import (
	"strings"
	"testing"
	"time"
)

func argvs(cs []Command) string {
	var out []string
	for _, c := range cs {
		s := strings.Join(c.Argv, " ")
		if c.Timeout != 0 {
			s += " (" + c.Timeout.String() + ")"
		}
		out = append(out, s)
	}
	return strings.Join(out, "; ")
}

func cmd(argv ...string) *Command { return &Command{Argv: argv, UID: 0, GID: 0} }

func TestInstanceScriptsCommands(t *testing.T) {
	all := InstanceScripts{
		Master: cmd("/m"), Backup: cmd("/b"), Fault: cmd("/f"), Stop: cmd("/s"), Deleted: cmd("/d"),
		Generic: cmd("/g", "x"), MasterRxLowerPri: cmd("/rx"),
	}
	for _, tc := range []struct {
		is   InstanceScripts
		s    State
		want string
	}{
		{all, Master, "/m; /g x INSTANCE VI_1 MASTER 90"},
		{all, Backup, "/b; /g x INSTANCE VI_1 BACKUP 90"},
		{all, Fault, "/f; /g x INSTANCE VI_1 FAULT 90"},
		{all, Stop, "/s (1s); /g x INSTANCE VI_1 STOP 90 (1s)"},
		{all, Deleted, "/d; /g x INSTANCE VI_1 DELETED 90"},
		{all, MasterRxLowerPri, "/rx"},
		{all, MasterPriority, ""},
		{all, BackupPriority, ""},
		{InstanceScripts{Generic: cmd("/g")}, Master, "/g INSTANCE VI_1 MASTER 90"},
		{InstanceScripts{Master: cmd("/m")}, Backup, ""},
		{InstanceScripts{Generic: cmd("/g")}, MasterRxLowerPri, ""},
	} {
		if got := argvs(tc.is.Commands("VI_1", tc.s, 90)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.s, got, tc.want)
		}
	}
}

func TestGroupScriptsCommands(t *testing.T) {
	all := GroupScripts{Master: cmd("/m"), Backup: cmd("/b"), Fault: cmd("/f"), Stop: cmd("/s"), Generic: cmd("/g")}
	for _, tc := range []struct {
		s    State
		want string
	}{
		{Master, "/m; /g GROUP VG MASTER 0"},
		{Backup, "/b; /g GROUP VG BACKUP 0"},
		{Fault, "/f; /g GROUP VG FAULT 0"},
		{Stop, "/s; /g GROUP VG STOP 0 (" + time.Second.String() + ")"},
		{Deleted, ""},
	} {
		if got := argvs(all.Commands("VG", tc.s)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.s, got, tc.want)
		}
	}
}
