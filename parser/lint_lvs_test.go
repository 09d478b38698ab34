package parser

import (
	"net/netip"
	"testing"
)

// lintWith runs the VIP check on a parsed configuration with a given VIP
// list, standing in for the vrrp_instances until they are wired in.
func lintWith(t *testing.T, conf string, vips ...string) Diagnostics {
	t.Helper()
	r := parseText(t, conf)
	d := &decoder{src: r.Source, cfg: r.Config, opts: &Options{}}
	var addrs []netip.Addr
	for _, v := range vips {
		addrs = append(addrs, netip.MustParseAddr(v))
	}
	lintVSAddresses(d, addrs)
	return d.diags
}

func TestLintVirtualServerNotAVIP(t *testing.T) {
	// The LVS-DR tutorial slip: VRRP moves 172.20.0.248, the service
	// listens on 172.16.0.248.
	conf := "virtual_server 172.16.0.248 80 {\n protocol TCP\n lb_algo wrr\n lb_kind DR\n real_server 172.20.0.151 80 {\n }\n}\n"
	ds := lintWith(t, conf, "172.20.0.248")
	if len(ds) != 1 || !ds[0].Own || ds[0].Message != "virtual_server address 172.16.0.248 is not a virtual_ipaddress of any vrrp_instance (did you mean 172.20.0.248?)" {
		t.Fatalf("got %+v", ds)
	}
	if ExitCode(ds, false) != ExitOK || ExitCode(ds, true) != ExitErrors {
		t.Errorf("lint must only fail under strict")
	}
	if ds := lintWith(t, conf, "172.16.0.248"); len(ds) != 0 {
		t.Errorf("VIP present: %+v", ds)
	}
	if ds := lintWith(t, conf, "192.168.9.9"); len(ds) != 1 || ds[0].Message != "virtual_server address 172.16.0.248 is not a virtual_ipaddress of any vrrp_instance" {
		t.Errorf("no near VIP: %+v", ds)
	}
	// No VIPs at all: the addresses are someone else's business.
	if ds := lintWith(t, conf); len(ds) != 0 {
		t.Errorf("no VRRP: %+v", ds)
	}
}

func TestLintSkipsFWMarkAndRanges(t *testing.T) {
	conf := `virtual_server_group G {
  10.0.0.1-5 80
  10.0.0.9 80
  fwmark 4 inet
}
virtual_server group G {
  protocol TCP
  lb_algo rr
  lb_kind NAT
  persistence_timeout
  real_server 10.1.0.1 80 {
  }
}
virtual_server fwmark 3 {
  lb_algo rr
  lb_kind DR
  real_server 10.1.0.1 {
  }
}
`
	ds := lintWith(t, conf, "10.0.0.1")
	if len(ds) != 1 || ds[0].Message != "virtual_server_group G address 10.0.0.9 is not a virtual_ipaddress of any vrrp_instance (did you mean 10.0.0.1?)" {
		t.Fatalf("got %+v", ds)
	}
}
