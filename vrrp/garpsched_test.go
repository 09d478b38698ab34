package vrrp

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// When the machine asks for GARP bursts (spec §4.6, §6.3): garp_master_repeat
// rounds on becoming MASTER, the same after garp_master_delay, refresh
// bursts with the adverts once garp_master_refresh has passed, and the
// lower-priority bursts.
func TestGARPSchedule(t *testing.T) {
	type burst struct {
		at     time.Duration // from becoming MASTER
		repeat int
	}
	for _, tc := range []struct {
		name   string
		global string
		extra  []string
		lower  bool // a lower-priority advert arrives 2.5 s after MASTER
		until  time.Duration
		want   []burst
	}{
		{"defaults: 5 now, 5 after 5 s", "", nil, false, 30 * time.Second,
			[]burst{{0, 5}, {5 * time.Second, 5}}},
		{"garp_master_delay 0: one burst", "", []string{"garp_master_delay 0"}, false, 30 * time.Second,
			[]burst{{0, 5}}},
		{"repeat 2, delay 3", "", []string{"garp_master_repeat 2", "garp_master_delay 3"}, false, 30 * time.Second,
			[]burst{{0, 2}, {3 * time.Second, 2}}},
		{"refresh 10 repeat 2", "", []string{"garp_master_refresh 10", "garp_master_refresh_repeat 2"}, false, 25 * time.Second,
			[]burst{{0, 5}, {5 * time.Second, 5}, {10 * time.Second, 2}, {20 * time.Second, 2}}},
		{"global vrrp_garp_master_repeat 3", "global_defs {\n vrrp_garp_master_repeat 3\n}\n", nil, false, 30 * time.Second,
			[]burst{{0, 3}, {5 * time.Second, 3}}},
		{"vrrp_min_garp", "global_defs {\n vrrp_min_garp\n}\n", nil, false, 30 * time.Second,
			[]burst{{0, 1}}},
		{"lower priority advert: 5 now and 5 after 5 s", "", []string{"garp_master_delay 0"}, true, 30 * time.Second,
			[]burst{{0, 5}, {ms(2500), 5}, {ms(7500), 5}}},
		{"garp_lower_prio_repeat 1, delay 2", "", []string{"garp_master_delay 0", "garp_lower_prio_repeat 1", "garp_lower_prio_delay 2"}, true, 30 * time.Second,
			[]burst{{0, 5}, {ms(2500), 1}, {ms(4500), 1}}},
		{"strict: no lower-priority bursts", "global_defs {\n vrrp_strict\n}\n", []string{"garp_master_delay 0"}, true, 30 * time.Second,
			[]burst{{0, 5}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newFSMNode(t, tc.global+fsmInst("VI_1", 255, tc.extra...), "10.0.0.1", Facts{})
			n.handle(Start{})
			n.advance(time.Microsecond)
			if n.state("VI_1") != StateMaster {
				t.Fatal("not MASTER")
			}
			t0 := n.now
			if tc.lower {
				n.advance(ms(2500))
				n.handle(AdvertReceived{Instance: "VI_1", Src: netip.MustParseAddr("10.0.0.2"), Priority: 100})
			}
			n.advance(tc.until - n.now.Sub(t0))
			var got []burst
			for _, a := range n.acts {
				if a.Kind == ActGARP {
					got = append(got, burst{a.at.Sub(t0), a.Repeat})
				}
			}
			if d := cmp.Diff(tc.want, got, cmp.AllowUnexported(burst{})); d != "" {
				t.Errorf("bursts (-want +got):\n%s", d)
			}
		})
	}
}

// A delayed burst does nothing once the instance left MASTER.
func TestGARPDelayedBurstDroppedAfterLeavingMaster(t *testing.T) {
	n := newFSMNode(t, fsmInst("VI_1", 100, "state MASTER"), "10.0.0.1", Facts{})
	n.handle(Start{})
	n.advance(4 * time.Second)
	if n.state("VI_1") != StateMaster {
		t.Fatal("not MASTER")
	}
	from := n.now
	for i := 0; i < 10; i++ {
		n.handle(AdvertReceived{Instance: "VI_1", Src: netip.MustParseAddr("10.0.0.2"), Priority: 200})
		n.advance(time.Second)
	}
	if n.state("VI_1") != StateBackup {
		t.Fatal("not BACKUP")
	}
	if a, ok := n.first(from, isKind(ActGARP)); ok {
		t.Errorf("GARP after leaving MASTER at %v", a.at.Sub(from))
	}
}

// The pacer: spacing per interface, shared by an aggregated garp_group,
// collapsed repeats (one queued frame per address), NA spacing apart.
func TestGARPPacer(t *testing.T) {
	a1 := GARPTarget{"VI_1", netip.MustParseAddr("10.0.0.100"), "eth0"}
	a2 := GARPTarget{"VI_1", netip.MustParseAddr("10.0.0.101"), "eth0"}
	b1 := GARPTarget{"VI_2", netip.MustParseAddr("10.1.0.100"), "eth1"}
	n1 := GARPTarget{"VI_3", netip.MustParseAddr("fd00::100"), "eth0"}
	type sent struct {
		at time.Duration
		t  GARPTarget
	}
	for _, tc := range []struct {
		name    string
		conf    string
		targets []GARPTarget
		rounds  int
		want    []sent
	}{
		{"no spacing: all rounds at once", "", []GARPTarget{a1, a2}, 2,
			[]sent{{0, a1}, {0, a2}, {0, a1}, {0, a2}}},
		{"vrrp_garp_interval 0.1: repeats collapse", "global_defs {\n vrrp_garp_interval 0.1\n}\n", []GARPTarget{a1, a2}, 5,
			[]sent{{0, a1}, {ms(100), a1}, {ms(200), a2}}},
		{"per interface budgets", "global_defs {\n vrrp_garp_interval 0.1\n}\n", []GARPTarget{a1, a2, b1}, 1,
			[]sent{{0, a1}, {0, b1}, {ms(100), a2}}},
		{"NA has its own spacing", "global_defs {\n vrrp_garp_interval 0.1\n vrrp_gna_interval 0.2\n}\n", []GARPTarget{a1, n1, a2}, 1,
			[]sent{{0, a1}, {0, n1}, {ms(100), a2}}},
		{"aggregated garp_group shares one budget", "garp_group {\n garp_interval 0.05\n interfaces {\n eth0\n eth1\n }\n}\n", []GARPTarget{a1, b1, a2}, 1,
			[]sent{{0, a1}, {ms(50), b1}, {ms(100), a2}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := NewGARPPacer(fsmConfig(t, tc.conf))
			now := fsmT0
			var got []sent
			for _, x := range p.Burst(now, tc.targets, tc.rounds) {
				got = append(got, sent{0, x})
			}
			for i := 0; i < 100; i++ {
				d, ok := p.NextDeadline()
				if !ok {
					break
				}
				if d.Before(now) {
					t.Fatalf("deadline in the past")
				}
				now = d
				for _, x := range p.Due(now) {
					got = append(got, sent{now.Sub(fsmT0), x})
				}
			}
			if d := cmp.Diff(tc.want, got, cmp.AllowUnexported(sent{}), cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); d != "" {
				t.Errorf("frames (-want +got):\n%s", d)
			}
		})
	}
}

func TestGARPPacerCancel(t *testing.T) {
	p := NewGARPPacer(fsmConfig(t, ""))
	p.SetSpacing("eth0", GARPSpacing{GARP: new(time.Duration(time.Second))})
	a1 := GARPTarget{"VI_1", netip.MustParseAddr("10.0.0.100"), "eth0"}
	a2 := GARPTarget{"VI_1", netip.MustParseAddr("10.0.0.101"), "eth0"}
	b1 := GARPTarget{"VI_2", netip.MustParseAddr("10.0.0.102"), "eth0"}
	if got := p.Burst(fsmT0, []GARPTarget{a1, a2, b1}, 3); len(got) != 1 || p.Pending() != 3 {
		t.Fatalf("sent %v, %d pending", got, p.Pending())
	}
	p.Cancel("VI_1")
	d, _ := p.NextDeadline()
	if got := p.Due(d); len(got) != 1 || got[0] != b1 {
		t.Errorf("after cancel: %v", got)
	}
	if _, ok := p.NextDeadline(); ok {
		t.Error("still pending")
	}
}

// garp_extra_if: a GARP on the other interfaces with the adverts, every
// SECS, only when there are such interfaces (spec §6.3).
func TestGARPExtraIf(t *testing.T) {
	for _, tc := range []struct {
		name string
		vips string
		opt  string
		want []time.Duration
	}{
		{"use_vmac VIP on eth1", "10.1.0.100/24 dev eth1 use_vmac", "garp_extra_if 3", []time.Duration{3 * time.Second, 6 * time.Second, 9 * time.Second}},
		{"all, VIP on eth1", "10.1.0.100/24 dev eth1", "garp_extra_if all 4", []time.Duration{4 * time.Second, 8 * time.Second}},
		{"no all, plain VIP on eth1", "10.1.0.100/24 dev eth1", "garp_extra_if 3", nil},
		{"no extra interface", "10.0.0.101/24", "garp_extra_if all 3", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conf := fsmInst("VI_1", 255, tc.opt)
			conf = strings.Replace(conf, "10.0.0.100/24", "10.0.0.100/24\n    "+tc.vips, 1)
			n := newFSMNode(t, conf, "10.0.0.1", Facts{})
			n.handle(Start{})
			n.advance(time.Microsecond)
			t0 := n.now
			n.advance(ms(9500))
			var got []time.Duration
			for _, a := range n.acts {
				if a.Kind == ActExtraIfGARP {
					got = append(got, a.at.Sub(t0))
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("extra-interface GARPs at %v, want %v", got, tc.want)
			}
		})
	}
}

// The delayed burst leaves just before the advert due at the same time
// (spec §9.1: "second burst of 10 GARPs, immediately followed by the next
// advert").
func TestGARPDelayedBurstBeforeAdvert(t *testing.T) {
	n := newFSMNode(t, fsmInst("VI_1", 255), "10.0.0.1", Facts{})
	n.handle(Start{})
	n.advance(time.Microsecond)
	t0 := n.now
	n.advance(5 * time.Second)
	var kinds []ActionKind
	for _, a := range n.acts {
		if a.at.Equal(t0.Add(5*time.Second)) && (a.Kind == ActGARP || a.Kind == ActSendAdvert) {
			kinds = append(kinds, a.Kind)
		}
	}
	if !slices.Equal(kinds, []ActionKind{ActGARP, ActSendAdvert}) {
		t.Errorf("at +5s: %v", kinds)
	}
}
