package check

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/parser"
)

type fakeHost struct{}

func (fakeHost) InterfaceExists(string) bool { return true }
func (fakeHost) Hostname() string            { return "lb1" }

func load(t *testing.T, text string) *parser.Config {
	t.Helper()
	res := parser.LoadBytes("test.conf", []byte(text), parser.Options{Host: fakeHost{}})
	if res.Config == nil {
		t.Fatalf("no config: %v", res.Diagnostics)
	}
	return res.Config
}

// health is a Health for tests: every real server is alive at its
// configured weight unless listed in dead or given a weight; quorum is up
// unless the virtual server is listed in noQuorum (by its identity).
type health struct {
	dead     map[string]bool
	weight   map[string]int
	noQuorum map[string]bool
}

func (h health) RealServer(vs *parser.VirtualServer, rs *parser.RealServer) RSHealth {
	k := netip.AddrPortFrom(rs.Addr, rs.Port).String()
	w := int(rs.Weight)
	if v, ok := h.weight[k]; ok {
		w = v
	}
	return RSHealth{Alive: !h.dead[k], Weight: w}
}

func (h health) QuorumUp(vs *parser.VirtualServer) bool { return !h.noQuorum[vs.String()] }

var allAlive = health{}

// render writes a table one line per service and destination, with every
// field that the kernel receives.
func render(t *ipvs.Table) string {
	var b strings.Builder
	for _, s := range t.Services {
		fmt.Fprintf(&b, "%s %s", s.ServiceKey, s.Scheduler)
		if s.Flags != 0 {
			fmt.Fprintf(&b, " flags=%#x", s.Flags)
		}
		if s.Timeout != 0 {
			fmt.Fprintf(&b, " timeout=%d", s.Timeout)
		}
		if s.Netmask != ipvs.DefaultNetmask(s.Family) {
			fmt.Fprintf(&b, " netmask=%#x", s.Netmask)
		}
		if s.PEName != "" {
			fmt.Fprintf(&b, " pe=%s", s.PEName)
		}
		b.WriteString("\n")
		for _, d := range s.Dests {
			fmt.Fprintf(&b, "  -> %s %s %d", d.Key(), d.Forward, d.Weight)
			if d.UpperThreshold != 0 || d.LowerThreshold != 0 {
				fmt.Fprintf(&b, " u=%d l=%d", d.UpperThreshold, d.LowerThreshold)
			}
			if d.Forward == ipvs.Tunnel {
				fmt.Fprintf(&b, " %s", d.TunnelType)
				if d.TunnelPort != 0 {
					fmt.Fprintf(&b, " port=%d", d.TunnelPort)
				}
				if d.TunnelFlags != 0 {
					fmt.Fprintf(&b, " csum=%d", d.TunnelFlags)
				}
			}
			b.WriteString("\n")
		}
	}
	for _, d := range t.Daemons {
		fmt.Fprintf(&b, "daemon %s\n", d)
	}
	return b.String()
}

func checkTable(t *testing.T, conf string, h Health, want string) *ipvs.Config {
	t.Helper()
	got := Desired(load(t, conf), h)
	if g := render(&got.Table); g != strings.TrimLeft(want, "\n") {
		t.Errorf("table:\n%s\nwant:\n%s", g, strings.TrimLeft(want, "\n"))
	}
	return got
}

// The classic LVS-DR example of lvs.md §11.
const lvsDR = `
virtual_server 172.16.0.248 80 {
    delay_loop 6
    lb_algo wrr
    lb_kind DR
    #persistence_timeout 50
    protocol TCP
    real_server 172.20.0.151 80 { weight 1
        HTTP_GET { url { path /index.html } connect_timeout 3 retry 3 delay_before_retry 3 } }
    real_server 172.20.0.152 80 { weight 1
        HTTP_GET { url { path /index.html } connect_timeout 3 retry 3 delay_before_retry 3 } }
}
`

func TestDesiredLVSDR(t *testing.T) {
	c := checkTable(t, lvsDR, allAlive, `
TCP 172.16.0.248:80 wrr
  -> 172.20.0.151:80 Route 1
  -> 172.20.0.152:80 Route 1
`)
	s := c.Table.Services[0]
	if s.Netmask != 0xffffffff || s.Timeout != 0 || s.Flags != 0 || s.Label != "[172.16.0.248]:tcp:80" {
		t.Errorf("service %+v", *s)
	}
	if c.FlushAtStart || c.Stop != ipvs.StopRemoveEach || c.Timeouts != (ipvs.Timeouts{}) || len(c.Table.Daemons) != 0 {
		t.Errorf("globals %+v", c)
	}
	// One check failing takes the server out.
	checkTable(t, lvsDR, health{dead: map[string]bool{"172.20.0.151:80": true}}, `
TCP 172.16.0.248:80 wrr
  -> 172.20.0.152:80 Route 1
`)
}

func TestDesiredDefaultsAndPorts(t *testing.T) {
	// No protocol: UDP; no lb_algo: wlc; no lb_kind: NAT; a NAT real
	// server without a port takes the service's, one with a port keeps it;
	// VS weight is the default weight.
	checkTable(t, `
virtual_server 10.0.0.1 53 {
    weight 3
    real_server 10.0.1.1 { }
    real_server 10.0.1.2 5353 { weight 2 }
}`, allAlive, `
UDP 10.0.0.1:53 wlc
  -> 10.0.1.1:53 Masq 3
  -> 10.0.1.2:5353 Masq 2
`)
	// DR and TUN: the real server's port is forced to the service's.
	checkTable(t, `
virtual_server 10.0.0.1 80 {
    protocol TCP
    lb_kind DR
    real_server 10.0.1.1 8080 { }
    real_server 10.0.1.2 { lvs_method TUN }
    real_server 10.0.1.3 8080 { lvs_method NAT }
}`, allAlive, `
TCP 10.0.0.1:80 wlc
  -> 10.0.1.1:80 Route 1
  -> 10.0.1.2:80 Tunnel 1 ipip
  -> 10.0.1.3:8080 Masq 1
`)
	// fwmark: DR ports cleared, NAT ports kept, protocol ignored.
	checkTable(t, `
virtual_server fwmark 7 {
    protocol TCP
    lb_algo rr
    lb_kind DR
    real_server 10.0.1.1 80 { }
    real_server 10.0.1.2 8080 { lvs_method NAT }
}`, allAlive, `
FWM 7 rr
  -> 10.0.1.1:0 Route 1
  -> 10.0.1.2:8080 Masq 1
`)
}

func TestDesiredPersistence(t *testing.T) {
	checkTable(t, `
virtual_server 10.0.0.1 80 {
    protocol TCP
    persistence_timeout
    real_server 10.0.1.1 80 { }
}
virtual_server 10.0.0.2 80 {
    protocol TCP
    persistence_timeout 50
    persistence_granularity 255.255.255.0
    persistence_engine sip
    real_server 10.0.1.1 80 { }
}
virtual_server 10.0.0.3 80 {
    protocol TCP
    persistence_granularity 255.255.0.0
    real_server 10.0.1.1 80 { }
}
virtual_server 10.0.0.4 {
    protocol TCP
    lb_kind DR
    real_server 10.0.1.1 { }
}
virtual_server 2001:db8::1 80 {
    protocol TCP
    persistence_timeout 600
    persistence_granularity 64
    real_server 2001:db8:1::1 80 { }
}
virtual_server 2001:db8::2 80 {
    protocol TCP
    real_server 2001:db8:1::1 80 { }
}`, allAlive, `
TCP 10.0.0.1:80 wlc flags=0x1 timeout=360
  -> 10.0.1.1:80 Masq 1
TCP 10.0.0.2:80 wlc flags=0x1 timeout=50 netmask=0xffffff00 pe=sip
  -> 10.0.1.1:80 Masq 1
TCP 10.0.0.3:80 wlc flags=0x1 timeout=360 netmask=0xffff0000
  -> 10.0.1.1:80 Masq 1
TCP 10.0.0.4:0 wlc flags=0x1 timeout=360
  -> 10.0.1.1:0 Route 1
TCP [2001:db8::1]:80 wlc flags=0x1 timeout=600 netmask=0x40
  -> [2001:db8:1::1]:80 Masq 1
TCP [2001:db8::2]:80 wlc
  -> [2001:db8:1::1]:80 Masq 1
`)
	c := Desired(load(t, `virtual_server 2001:db8::2 80 { protocol TCP
    real_server 2001:db8:1::1 80 { } }`), allAlive)
	if n := c.Table.Services[0].Netmask; n != 128 {
		t.Errorf("IPv6 netmask %d, want 128", n)
	}
}

func TestDesiredSchedulersAndFlags(t *testing.T) {
	var conf, want strings.Builder
	for i, s := range []string{"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos"} {
		fmt.Fprintf(&conf, "virtual_server 10.0.0.1 %d { protocol TCP\n lb_algo %s\n real_server 10.0.1.1 %d { } }\n", 100+i, s, 100+i)
		fmt.Fprintf(&want, "TCP 10.0.0.1:%d %s\n  -> 10.0.1.1:%d Masq 1\n", 100+i, s, 100+i)
	}
	checkTable(t, conf.String(), allAlive, want.String())

	checkTable(t, `
virtual_server 10.0.0.1 80 { protocol TCP
    lb_algo sh
    sh-port
    sh-fallback
    real_server 10.0.1.1 80 { } }
virtual_server 10.0.0.1 81 { protocol TCP
    lb_algo mh
    mh-port
    real_server 10.0.1.1 81 { } }
virtual_server 10.0.0.1 82 { protocol TCP
    lb_algo mh
    mh-fallback
    real_server 10.0.1.1 82 { } }
virtual_server 10.0.0.1 83 { protocol TCP
    lb_algo rr
    sh-port
    flag-3
    real_server 10.0.1.1 83 { } }
virtual_server 10.0.0.1 53 { protocol UDP
    ops
    real_server 10.0.1.1 53 { } }
virtual_server 10.0.0.1 84 { protocol TCP
    ops
    flag-1
    flag-2
    real_server 10.0.1.1 84 { } }
virtual_server fwmark 9 {
    ops
    real_server 10.0.1.1 84 { } }
`, allAlive, `
TCP 10.0.0.1:80 sh flags=0x18
  -> 10.0.1.1:80 Masq 1
TCP 10.0.0.1:81 mh flags=0x10
  -> 10.0.1.1:81 Masq 1
TCP 10.0.0.1:82 mh flags=0x8
  -> 10.0.1.1:82 Masq 1
TCP 10.0.0.1:83 rr flags=0x20
  -> 10.0.1.1:83 Masq 1
TCP 10.0.0.1:84 wlc flags=0x18
  -> 10.0.1.1:84 Masq 1
UDP 10.0.0.1:53 wlc flags=0x4
  -> 10.0.1.1:53 Masq 1
FWM 9 wlc flags=0x4
  -> 10.0.1.1:84 Masq 1
`)
}

func TestDesiredForwardingAndThresholds(t *testing.T) {
	checkTable(t, `
virtual_server 10.0.0.1 80 {
    protocol TCP
    lb_kind TUN type gue port 6080 csum
    real_server 10.0.1.1 80 {
        uthreshold 100
        lthreshold 10
    }
    real_server 10.0.1.2 80 { lvs_method TUN type gre csum }
    real_server 10.0.1.3 80 { lvs_method TUN }
    real_server 2001:db8::9 80 { lvs_method TUN type gue port 7000 remcsum }
    real_server 10.0.1.4 80 {
        lvs_method DR
        weight 0
    }
}
virtual_server 2001:db8::1 443 {
    protocol SCTP
    real_server 10.0.1.5 443 { lvs_method TUN type ipip }
    real_server 2001:db8::5 443 { lvs_method DR }
}`, allAlive, `
TCP 10.0.0.1:80 wlc
  -> 10.0.1.1:80 Tunnel 1 u=100 l=10 gue port=6080 csum=1
  -> 10.0.1.2:80 Tunnel 1 gre csum=1
  -> 10.0.1.3:80 Tunnel 1 ipip
  -> 10.0.1.4:80 Route 0
  -> [2001:db8::9]:80 Tunnel 1 gue port=7000 csum=2
SCTP [2001:db8::1]:443 wlc
  -> 10.0.1.5:443 Tunnel 1 ipip
  -> [2001:db8::5]:443 Route 1
`)
}

const inhibitConf = `
virtual_server 10.0.0.1 80 {
    protocol TCP
    real_server 10.0.1.1 80 { inhibit_on_failure }
    real_server 10.0.1.2 80 { }
    real_server 10.0.1.3 80 { weight 5 }
}
virtual_server 10.0.0.2 80 {
    protocol TCP
    inhibit_on_failure
    real_server 10.0.1.1 80 { }
    real_server 10.0.1.2 80 { inhibit_on_failure off }
}`

func TestDesiredInhibitAndWeights(t *testing.T) {
	h := health{dead: map[string]bool{"10.0.1.1:80": true, "10.0.1.2:80": true}}
	checkTable(t, inhibitConf, h, `
TCP 10.0.0.1:80 wlc
  -> 10.0.1.1:80 Masq 0
  -> 10.0.1.3:80 Masq 5
TCP 10.0.0.2:80 wlc
  -> 10.0.1.1:80 Masq 0
`)
	// Dynamic weights are clamped to what IPVS takes.
	h = health{weight: map[string]int{"10.0.1.1:80": -4, "10.0.1.3:80": 1 << 40}}
	if int64(int(1<<40)) != 1<<40 {
		t.Skip("int is 32 bits")
	}
	checkTable(t, inhibitConf, h, `
TCP 10.0.0.1:80 wlc
  -> 10.0.1.1:80 Masq 0
  -> 10.0.1.2:80 Masq 1
  -> 10.0.1.3:80 Masq 2147483647
TCP 10.0.0.2:80 wlc
  -> 10.0.1.1:80 Masq 0
  -> 10.0.1.2:80 Masq 1
`)
}

const sorryConf = `
virtual_server 10.0.0.1 80 {
    protocol TCP
    lb_kind DR
    quorum 2
    sorry_server 10.0.9.9 8080
    real_server 10.0.1.1 80 { weight 2 }
    real_server 10.0.1.2 80 { inhibit_on_failure }
    real_server 10.0.1.3 80 { inhibit_on_failure }
}
virtual_server 10.0.0.2 80 {
    protocol TCP
    sorry_server 10.0.9.9 80
    sorry_server_inhibit
    sorry_server_lvs_method DR
    real_server 10.0.1.1 80 { }
}
virtual_server 10.0.0.3 80 {
    protocol TCP
    sorry_server 10.0.1.1 80
    sorry_server_inhibit
    real_server 10.0.1.1 80 {
        inhibit_on_failure
        weight 3
    }
}
virtual_server 10.0.0.4 80 {
    protocol TCP
    real_server 10.0.1.1 80 { }
}`

func TestDesiredSorryServer(t *testing.T) {
	// Quorum up: the sorry server is out, or in at weight 0 with
	// sorry_server_inhibit (unless it shares the real server's entry).
	checkTable(t, sorryConf, health{dead: map[string]bool{"10.0.1.3:80": true}}, `
TCP 10.0.0.1:80 wlc
  -> 10.0.1.1:80 Route 2
  -> 10.0.1.2:80 Route 1
  -> 10.0.1.3:80 Route 0
TCP 10.0.0.2:80 wlc
  -> 10.0.1.1:80 Masq 1
  -> 10.0.9.9:80 Route 0
TCP 10.0.0.3:80 wlc
  -> 10.0.1.1:80 Masq 3
TCP 10.0.0.4:80 wlc
  -> 10.0.1.1:80 Masq 1
`)
	// Quorum lost: the sorry server is in at weight 1 (DR: on the
	// service's port), alive servers are out, inhibited ones at 0; the
	// shared entry becomes the sorry server; a VS without a sorry server is
	// unchanged.
	h := health{
		dead: map[string]bool{"10.0.1.3:80": true},
		noQuorum: map[string]bool{"[10.0.0.1]:tcp:80": true, "[10.0.0.2]:tcp:80": true,
			"[10.0.0.3]:tcp:80": true, "[10.0.0.4]:tcp:80": true},
	}
	checkTable(t, sorryConf, h, `
TCP 10.0.0.1:80 wlc
  -> 10.0.1.2:80 Route 0
  -> 10.0.1.3:80 Route 0
  -> 10.0.9.9:80 Route 1
TCP 10.0.0.2:80 wlc
  -> 10.0.9.9:80 Route 1
TCP 10.0.0.3:80 wlc
  -> 10.0.1.1:80 Masq 1
TCP 10.0.0.4:80 wlc
  -> 10.0.1.1:80 Masq 1
`)
}

func TestDesiredGroups(t *testing.T) {
	// Ranges (last octet, two addresses across octets), a network with its
	// network and broadcast addresses, a fwmark entry; NAT servers keep
	// their port, DR servers take the entry's (0 for fwmark entries);
	// persistence_granularity does not apply to group services.
	checkTable(t, `
virtual_server_group web {
    10.0.0.1-3 80
    10.0.0.255-10.0.1.1 80
    192.168.202.8/30 443
    fwmark 5
}
virtual_server group web {
    protocol TCP
    lb_kind DR
    persistence_timeout 30
    persistence_granularity 255.255.255.0
    real_server 10.0.1.1 8080 { }
    real_server 10.0.1.2 8080 { lvs_method NAT }
}
virtual_server_group v6 {
    2001:db8::a-c 53
}
virtual_server group v6 {
    protocol UDP
    real_server 2001:db8:1::1 53 { }
}`, allAlive, `
TCP 10.0.0.1:80 wlc flags=0x1 timeout=30
  -> 10.0.1.1:80 Route 1
  -> 10.0.1.2:8080 Masq 1
TCP 10.0.0.2:80 wlc flags=0x1 timeout=30
  -> 10.0.1.1:80 Route 1
  -> 10.0.1.2:8080 Masq 1
TCP 10.0.0.3:80 wlc flags=0x1 timeout=30
  -> 10.0.1.1:80 Route 1
  -> 10.0.1.2:8080 Masq 1
TCP 10.0.0.255:80 wlc flags=0x1 timeout=30
  -> 10.0.1.1:80 Route 1
  -> 10.0.1.2:8080 Masq 1
TCP 10.0.1.0:80 wlc flags=0x1 timeout=30
  -> 10.0.1.1:80 Route 1
  -> 10.0.1.2:8080 Masq 1
TCP 10.0.1.1:80 wlc flags=0x1 timeout=30
  -> 10.0.1.1:80 Route 1
  -> 10.0.1.2:8080 Masq 1
TCP 192.168.202.8:443 wlc flags=0x1 timeout=30
  -> 10.0.1.1:443 Route 1
  -> 10.0.1.2:8080 Masq 1
TCP 192.168.202.9:443 wlc flags=0x1 timeout=30
  -> 10.0.1.1:443 Route 1
  -> 10.0.1.2:8080 Masq 1
TCP 192.168.202.10:443 wlc flags=0x1 timeout=30
  -> 10.0.1.1:443 Route 1
  -> 10.0.1.2:8080 Masq 1
TCP 192.168.202.11:443 wlc flags=0x1 timeout=30
  -> 10.0.1.1:443 Route 1
  -> 10.0.1.2:8080 Masq 1
UDP [2001:db8::a]:53 wlc
  -> [2001:db8:1::1]:53 Masq 1
UDP [2001:db8::b]:53 wlc
  -> [2001:db8:1::1]:53 Masq 1
UDP [2001:db8::c]:53 wlc
  -> [2001:db8:1::1]:53 Masq 1
FWM 5 wlc flags=0x1 timeout=30
  -> 10.0.1.1:0 Route 1
  -> 10.0.1.2:8080 Masq 1
`)
	// A group mixing families: fwmark entries with their family and only
	// tunnelled servers, which may be of either family.
	checkTable(t, `
virtual_server_group mixed {
    10.0.0.1 80
    2001:db8::1 80
    fwmark 6 inet6
    fwmark 7 inet
}
virtual_server group mixed {
    protocol TCP
    lb_kind TUN
    real_server 10.0.1.1 80 { }
    real_server 2001:db8:1::1 80 { }
}`, allAlive, `
TCP 10.0.0.1:80 wlc
  -> 10.0.1.1:80 Tunnel 1 ipip
  -> [2001:db8:1::1]:80 Tunnel 1 ipip
TCP [2001:db8::1]:80 wlc
  -> 10.0.1.1:80 Tunnel 1 ipip
  -> [2001:db8:1::1]:80 Tunnel 1 ipip
FWM 6 IPv6 wlc
  -> 10.0.1.1:0 Tunnel 1 ipip
  -> [2001:db8:1::1]:0 Tunnel 1 ipip
FWM 7 wlc
  -> 10.0.1.1:0 Tunnel 1 ipip
  -> [2001:db8:1::1]:0 Tunnel 1 ipip
`)
}

func TestDesiredGlobals(t *testing.T) {
	c := checkTable(t, `
global_defs {
    lvs_flush
    lvs_flush_onstop
    lvs_timeouts tcp 900 tcpfin 30 udp 60
    lvs_sync_daemon eth1 id 5 maxlen 1400 port 9000 ttl 2 group 239.1.1.1
}
virtual_server 10.0.0.1 80 { protocol TCP
    real_server 10.0.1.1 80 { } }`, allAlive, `
TCP 10.0.0.1:80 wlc
  -> 10.0.1.1:80 Masq 1
daemon master daemon on eth1 syncid 5 maxlen 1400 port 9000 ttl 2 group 239.1.1.1
daemon backup daemon on eth1 syncid 5 maxlen 1400 port 9000 ttl 2 group 239.1.1.1
`)
	if !c.FlushAtStart || c.Stop != ipvs.StopFlush || c.Timeouts != (ipvs.Timeouts{TCP: 900, TCPFin: 30, UDP: 60}) {
		t.Errorf("globals %+v", c)
	}

	c = checkTable(t, `
global_defs {
    lvs_flush_on_stop VS
    lvs_sync_daemon eth1
}
virtual_server 10.0.0.1 80 { protocol TCP
    real_server 10.0.1.1 80 { } }`, allAlive, `
TCP 10.0.0.1:80 wlc
  -> 10.0.1.1:80 Masq 1
daemon master daemon on eth1 syncid 0 port 8848 group 224.0.0.81
daemon backup daemon on eth1 syncid 0 port 8848 group 224.0.0.81
`)
	if c.FlushAtStart || c.Stop != ipvs.StopRemoveServices {
		t.Errorf("globals %+v", c)
	}

	// A sync daemon tied to a VRRP instance belongs to the VRRP side.
	checkTable(t, `
global_defs { lvs_sync_daemon eth1 VI_1 }
vrrp_instance VI_1 { interface eth1
    virtual_router_id 51
    priority 100
    virtual_ipaddress { 10.0.0.1 } }
virtual_server 10.0.0.1 80 { protocol TCP
    real_server 10.0.1.1 80 { } }`, allAlive, `
TCP 10.0.0.1:80 wlc
  -> 10.0.1.1:80 Masq 1
`)
}

// alpha: at start-up an alpha real server with checkers is out until its
// checks pass, one without checkers is in; inhibited alpha servers are in
// at weight 0. Quorum is the initial pass. omega and ha_suspend change
// nothing in IPVS.
func TestDesiredInitialHealth(t *testing.T) {
	conf := `
virtual_server 10.0.0.1 80 {
    protocol TCP
    alpha
    omega
    ha_suspend
    quorum 2
    sorry_server 10.0.9.9 80
    real_server 10.0.1.1 80 { TCP_CHECK { } }
    real_server 10.0.1.2 80 { }
    real_server 10.0.1.3 80 {
        inhibit_on_failure
        TCP_CHECK { }
    }
    real_server 10.0.1.4 80 {
        alpha off
        TCP_CHECK { }
    }
}`
	checkTable(t, conf, InitialHealth{}, `
TCP 10.0.0.1:80 wlc
  -> 10.0.1.2:80 Masq 1
  -> 10.0.1.3:80 Masq 0
  -> 10.0.1.4:80 Masq 1
`)
	// With quorum 3 the initial pass finds 2 < 3: the sorry server goes in.
	checkTable(t, strings.Replace(conf, "quorum 2", "quorum 3", 1), InitialHealth{}, `
TCP 10.0.0.1:80 wlc
  -> 10.0.1.3:80 Masq 0
  -> 10.0.9.9:80 Masq 1
`)
	// omega and ha_suspend do not change the table.
	plain := strings.NewReplacer("    omega\n", "", "    ha_suspend\n", "").Replace(conf)
	if a, b := render(&Desired(load(t, conf), InitialHealth{}).Table), render(&Desired(load(t, plain), InitialHealth{}).Table); a != b {
		t.Errorf("omega/ha_suspend changed the table:\n%s\nvs\n%s", a, b)
	}
}

func TestDesiredNoRealServers(t *testing.T) {
	checkTable(t, `
virtual_server 10.0.0.1 80 { protocol TCP
    sorry_server 10.0.9.9 80 }
virtual_server group missing { protocol TCP
    real_server 10.0.1.1 80 { } }`, allAlive, ``)
}

// Aliases give the same table: lvs_sched = lb_algo, lvs_method = lb_kind;
// hashed does nothing.
func TestDesiredAliases(t *testing.T) {
	a := `virtual_server 10.0.0.1 80 { protocol TCP
    lb_algo sh
    hashed
    lb_kind DR
    real_server 10.0.1.1 80 { } }`
	b := `virtual_server 10.0.0.1 80 { protocol TCP
    lvs_sched sh
    lvs_method DR
    real_server 10.0.1.1 80 { } }`
	want := "TCP 10.0.0.1:80 sh\n  -> 10.0.1.1:80 Route 1\n"
	checkTable(t, a, allAlive, want)
	checkTable(t, b, allAlive, want)
}

// ip_family decides the family of a fwmark service whose servers are all
// tunnelled; without it their common family does, else IPv4.
func TestDesiredIPFamily(t *testing.T) {
	checkTable(t, `
virtual_server fwmark 1 {
    ip_family inet6
    lb_kind TUN
    real_server 10.0.1.1 80 { }
}
virtual_server fwmark 2 {
    lb_kind TUN
    real_server 2001:db8::1 80 { }
}
virtual_server fwmark 3 {
    lb_kind TUN
    real_server 10.0.1.1 80 { }
    real_server 2001:db8::1 80 { }
}`, allAlive, `
FWM 1 IPv6 wlc
  -> 10.0.1.1:0 Tunnel 1 ipip
FWM 2 IPv6 wlc
  -> [2001:db8::1]:0 Tunnel 1 ipip
FWM 3 wlc
  -> 10.0.1.1:0 Tunnel 1 ipip
  -> [2001:db8::1]:0 Tunnel 1 ipip
`)
}

// Keywords that configure checkers, notifications, mail or SNMP change
// nothing in the IPVS table.
func TestDesiredKeywordsWithoutIPVSEffect(t *testing.T) {
	plain := `virtual_server 10.0.0.1 80 {
    protocol TCP
    real_server 10.0.1.1 80 {
        TCP_CHECK { }
    }
}`
	full := `virtual_server 10.0.0.1 80 {
    protocol TCP
    delay_loop 3
    connect_timeout 2
    retry 2
    delay_before_retry 1
    warmup 1
    virtualhost www.example.com
    quorum_up /bin/true
    quorum_down /bin/false
    smtp_alert
    snmp_name web
    omega
    ha_suspend
    real_server 10.0.1.1 80 {
        notify_up /bin/true
        notify_down /bin/false
        smtp_alert off
        virtualhost other.example.com
        delay_loop 2
        TCP_CHECK { }
    }
}`
	a := render(&Desired(load(t, plain), InitialHealth{}).Table)
	b := render(&Desired(load(t, full), InitialHealth{}).Table)
	if a != b || a == "" {
		t.Errorf("tables differ:\n%s\nvs\n%s", a, b)
	}
}

// The initial quorum pass with hysteresis: up needs quorum+hysteresis of
// live weight.
func TestInitialHealthHysteresis(t *testing.T) {
	conf := `virtual_server 10.0.0.1 80 {
    protocol TCP
    quorum 2
    hysteresis 1
    sorry_server 10.0.9.9 80
    real_server 10.0.1.1 80 { }
    real_server 10.0.1.2 80 { }
    real_server 10.0.1.3 80 { }
}`
	cfg := load(t, conf)
	if !(InitialHealth{}).QuorumUp(cfg.VirtualServers[0]) {
		t.Errorf("3 >= 2+1 should be up")
	}
	cfg = load(t, strings.Replace(conf, "    real_server 10.0.1.3 80 { }\n", "", 1))
	if (InitialHealth{}).QuorumUp(cfg.VirtualServers[0]) {
		t.Errorf("2 < 2+1 should be down")
	}
	checkTable(t, strings.Replace(conf, "    real_server 10.0.1.3 80 { }\n", "", 1), InitialHealth{}, `
TCP 10.0.0.1:80 wlc
  -> 10.0.9.9:80 Masq 1
`)
}
