package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

const checkGoldenConf = `
global_defs {
  router_id lvs1
  lvs_flush
}
virtual_server 192.0.2.10 80 {
  delay_loop 6
  lb_algo wrr
  lb_kind NAT
  persistence_timeout 50
  protocol TCP
  quorum 2
  hysteresis 1
  sorry_server 192.0.2.99 8080
  real_server 10.0.0.1 8080 {
    weight 3
    inhibit_on_failure
    TCP_CHECK {
      connect_timeout 3
      retry 2
      delay_before_retry 1
    }
  }
  real_server 10.0.0.2 8080 {
    weight 1
    HTTP_GET {
      url {
        path /health
        status_code 200
      }
    }
  }
}
virtual_server fwmark 7 {
  lb_algo sh
  lb_kind DR
  sh-port
  real_server 10.0.0.3 0 {
    MISC_CHECK {
      misc_path "/usr/bin/true"
    }
  }
}
`

func checkGoldenSnapshot(t *testing.T) checkSnapshot {
	cfg := loadDumpConfigText(t, checkGoldenConf, "lvs-host")
	snap := checkSnapshotFromConfig(cfg)
	vs := &snap.VirtualServers[0]
	vs.Alive, vs.QuorumStateUp = true, true
	rs := &vs.RealServers[0]
	rs.Alive, rs.Set = true, true
	rs.Checkers[0].Up, rs.Checkers[0].HasRun = true, true
	rs.Checkers[0].Checks, rs.Checkers[0].LastDuration = 12, 1500*time.Microsecond
	rs2 := &vs.RealServers[1]
	rs2.EffectiveWeight, rs2.FailedCheckers = 0, 1
	rs2.Checkers[0].HasRun, rs2.Checkers[0].Checks, rs2.Checkers[0].Failures = true, 12, 3
	return snap
}

func TestCheckDataGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := writeCheckData(&buf, checkGoldenSnapshot(t)); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "keepalived_check.data", buf.Bytes())
}

func TestCheckDataLines(t *testing.T) {
	var buf bytes.Buffer
	if err := writeCheckData(&buf, checkGoldenSnapshot(t)); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"\n LVS flush = true\n",
		"\n VS VIP = 192.0.2.10, VPORT = 80\n",
		"\n   delay_loop = 6.000000\n",
		"\n   lvs_sched = wrr\n",
		"\n   persistence timeout = 50\n",
		"\n   protocol = TCP\n",
		"\n   quorum = 2, hysteresis = 1\n",
		"\n   default forwarding method = NAT\n",
		"\n   sorry server = [192.0.2.99]:tcp:8080\n",
		"\n   RIP = 10.0.0.1, RPORT = 8080, WEIGHT = 3 EFF WEIGHT = 3\n",
		"\n   Inhibit on failure is ON\n",
		"\n   RIP = 10.0.0.2, RPORT = 8080, WEIGHT = 0 EFF WEIGHT = 0\n",
		"\n VS FWMARK = 7\n",
		"\n   sh-port = enabled\n",
		"\n [192.0.2.10]:tcp:80 -> [10.0.0.1]:tcp:8080\n",
		"\n   Keepalive method = TCP_CHECK\n",
		"\n   Keepalive method = MISC_CHECK\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q", want)
		}
	}
	if strings.Contains(out, " Default interface = ") {
		t.Error("the checker process prints no default interface")
	}
}
