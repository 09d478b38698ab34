package vrrp

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// A configuration that exercises most paths: a sync group, an owner, a v3
// instance, weighted and weight-0 trackers of every kind.
const fsmFuzzConf = `bfd_instance bf {
  neighbor_ip 10.3.0.2
}
vrrp_script chk0 {
  script "/bin/true"
  fall 2
  rise 2
}
vrrp_script chkw {
  script "/bin/true"
  weight -30
}
track_file tf {
  file /tmp/fsm-fuzz
  weight 3
}
vrrp_track_process proc {
  process nginx
  quorum 1
  quorum_max 2
}
vrrp_sync_group VG_1 {
  group {
    VI_1
    VI_2
  }
  track_script {
    chk0
  }
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {
    10.0.0.100/24
  }
}
vrrp_instance VI_2 {
  interface eth1
  virtual_router_id 52
  priority 150
  advert_int 1
  virtual_ipaddress {
    10.1.0.100/24
  }
  virtual_ipaddress_excluded {
    10.2.0.100/24
  }
}
vrrp_instance VI_3 {
  interface eth2
  virtual_router_id 53
  priority 120
  version 3
  advert_int 0.5
  preempt_delay 2
  lower_prio_no_advert
  virtual_ipaddress {
    10.3.0.100/24
  }
  track_script {
    chkw
  }
  track_file {
    tf
  }
  track_process {
    proc weight 10
  }
  track_interface {
    eth3 weight -20
  }
  track_bfd {
    bf weight 15
  }
}
vrrp_instance VI_4 {
  interface eth2
  virtual_router_id 54
  priority 255
  higher_prio_send_advert
  virtual_ipaddress {
    10.4.0.100/24
  }
}
`

// fsmEventFrom decodes three bytes into an event and a wait before it.
func fsmEventFrom(names []string, op, a, b byte) (time.Duration, Event) {
	wait := time.Duration(b) * 20 * time.Millisecond
	inst := ""
	if len(names) > 0 {
		inst = names[int(a)%len(names)]
	}
	switch op % 12 {
	case 0, 1:
		return wait, Timer{}
	case 2, 3:
		src := netip.AddrFrom4([4]byte{10, 0, 0, a % 4})
		prio := []int{0, 1, 100, 120, 150, 200, 255, int(b)}[int(b)%8]
		ival := []time.Duration{0, 10 * time.Millisecond, 500 * time.Millisecond, time.Second, 3 * time.Second}[int(a)%5]
		return wait / 4, AdvertReceived{Instance: inst, Src: src, Priority: prio, Interval: ival, Rejected: a%7 == 0}
	case 4:
		return wait, ScriptResult{Script: []string{"chk0", "chkw"}[a%2], ExitStatus: int(b % 3), TimedOut: b%11 == 0}
	case 5:
		return wait, InterfaceChanged{Name: fmt.Sprintf("eth%d", a%4), Up: b%2 == 0}
	case 6:
		return wait, TrackFileChanged{Name: "tf", Value: int64(int8(b))}
	case 7:
		return wait, ProcessCountChanged{Name: "proc", Count: int(b % 4)}
	case 8:
		return wait, FaultChanged{Instance: inst, Cause: []string{"a", "b"}[b%2], On: a%2 == 0}
	case 9:
		if b%16 == 0 {
			return wait, Shutdown{}
		}
		if b%2 == 1 {
			return wait, BFDChanged{Name: "bf", Up: b%4 == 1}
		}
		return wait, Timer{}
	case 10:
		return wait, Start{}
	case 11:
		switch b % 4 {
		case 0:
			return wait, AddressLost{Instance: inst}
		case 1:
			var addr netip.Addr
			if a%2 == 0 {
				addr = netip.AddrFrom4([4]byte{10, 0, 0, 1 + a%3})
			}
			return wait, SourceAddrChanged{Instance: inst, Addr: addr}
		}
	}
	return time.Duration(b) * 100 * time.Millisecond, Timer{}
}

// fsmCheck runs a sequence of events and checks the invariants after each.
func fsmCheck(t *testing.T, cfg *parser.Config, data []byte) {
	m, err := NewMachine(cfg, Facts{
		SourceAddr:     func(string) netip.Addr { return netip.MustParseAddr("10.0.0.1") },
		InterfaceUp:    func(n string) bool { return len(data) == 0 || n != "eth3" || data[0]%2 == 0 },
		ProcessCount:   func(string) int { return 1 },
		TrackFileValue: func(string) int64 { return 0 },
	})
	if err != nil {
		t.Fatal(err)
	}
	names := m.Instances()
	now := fsmT0
	installed := map[string]bool{}
	stopped := false
	step := func(ev Event) {
		acts := m.Handle(now, ev)
		for _, a := range acts {
			if a.Force {
				continue
			}
			switch a.Kind {
			case ActAddVIPs:
				if installed[a.Instance] {
					t.Fatalf("%v: VIPs added twice", a)
				}
				installed[a.Instance] = true
			case ActDelVIPs:
				if !installed[a.Instance] {
					t.Fatalf("%v: VIPs removed while absent", a)
				}
				installed[a.Instance] = false
			case ActSendAdvert:
				if a.Priority < 0 || a.Priority > 255 {
					t.Fatalf("advert priority %d", a.Priority)
				}
			}
		}
		if _, ok := ev.(Shutdown); ok && m.started {
			stopped = true
		}
		if d, ok := m.NextDeadline(); ok && d.Before(now) {
			t.Fatalf("after %#v: deadline %v before now %v", ev, d.Sub(fsmT0), now.Sub(fsmT0))
		}
		if !m.started {
			return
		}
		for _, name := range names {
			st, _ := m.Status(name)
			switch {
			case stopped:
				if st.State != StateStop || !st.Deadline.IsZero() || st.VIPsSet {
					t.Fatalf("%s after shutdown: %+v", name, st)
				}
			case st.State != StateBackup && st.State != StateMaster && st.State != StateFault:
				t.Fatalf("after %#v: %s in %v", ev, name, st.State)
			}
			if st.VIPsSet != (st.State == StateMaster) || (m.byName[name].hasVIPs && installed[name] != st.VIPsSet) {
				t.Fatalf("after %#v: %s in %v with VIPs set %v, installed %v", ev, name, st.State, st.VIPsSet, installed[name])
			}
			if !stopped && st.Deadline.IsZero() != (st.State == StateFault) {
				t.Fatalf("after %#v: %s in %v with deadline %v", ev, name, st.State, st.Deadline)
			}
			if st.EffectivePriority < 1 || st.EffectivePriority > 255 ||
				(st.BasePriority != 255 && st.EffectivePriority == 255) {
				t.Fatalf("%s priority %d (base %d)", name, st.EffectivePriority, st.BasePriority)
			}
		}
		for _, g := range m.groups {
			if stopped || (g.state != StateMaster && g.state != StateFault) {
				continue
			}
			for _, v := range g.members {
				if v.state != g.state {
					t.Fatalf("after %#v: group %s %v but %s %v", ev, g.name, g.state, v.name, v.state)
				}
			}
		}
	}
	step(Start{})
	for i := 0; i+2 < len(data); i += 3 {
		wait, ev := fsmEventFrom(names, data[i], data[i+1], data[i+2])
		// the runner fires every deadline that passes before the event
		end := now.Add(wait)
		for n := 0; !stopped; n++ {
			if n > 10000 {
				t.Fatalf("timers do not progress at %v", now.Sub(fsmT0))
			}
			d, ok := m.NextDeadline()
			if !ok || d.After(end) {
				break
			}
			now = d
			step(Timer{})
		}
		now = end
		step(ev)
	}
}

func FuzzMachine(f *testing.F) {
	cfg := fsmConfig(f, fsmFuzzConf)
	f.Add([]byte{})
	f.Add([]byte{0, 0, 255, 0, 0, 255, 2, 1, 5, 4, 0, 1, 5, 1, 1, 9, 0, 16})
	f.Add([]byte{4, 0, 1, 4, 0, 1, 4, 0, 0, 4, 0, 0, 0, 0, 200, 5, 3, 1, 7, 0, 0, 6, 0, 200})
	f.Fuzz(func(t *testing.T, data []byte) {
		fsmCheck(t, cfg, data)
	})
}

// The same invariants over many random sequences, so that `go test` (not
// only `make fuzz`) covers them.
func TestMachineProperties(t *testing.T) {
	cfg := fsmConfig(t, fsmFuzzConf)
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 400; i++ {
		data := make([]byte, 3*(20+r.IntN(200)))
		for j := range data {
			data[j] = byte(r.Uint32())
		}
		t.Run(fmt.Sprint(i), func(t *testing.T) { fsmCheck(t, cfg, data) })
		if t.Failed() {
			t.Logf("data: %v", data)
			return
		}
	}
}
