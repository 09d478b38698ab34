package vrrp

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// A runner's loop in virtual time: start, let the down timer run out,
// execute what the machine asks.
func ExampleMachine() {
	res := parser.LoadBytes("keepalived.conf", []byte(`
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress {
    192.0.2.100/24
  }
}
`), parser.Options{Host: fsmHost{}})
	m, err := NewMachine(res.Config, Facts{
		SourceAddr: func(string) netip.Addr { return netip.MustParseAddr("192.0.2.1") },
	})
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	start := now
	run := func(acts []Action) {
		for _, a := range acts {
			if a.Kind == ActLog && !a.Detail || a.Kind == ActSendAdvert {
				fmt.Printf("%9v %v\n", now.Sub(start), a)
			}
		}
	}
	run(m.Handle(now, Start{}))
	for i := 0; i < 2; i++ {
		next, _ := m.NextDeadline()
		now = next
		run(m.Handle(now, Timer{}))
	}
	// Output:
	//        0s log "(VI_1) Entering BACKUP STATE (init)"
	// 3.609375s VI_1 SendAdvert prio 100
	// 3.609375s log "(VI_1) Entering MASTER STATE"
	// 4.609375s VI_1 SendAdvert prio 100
}
