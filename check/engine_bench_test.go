package check

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// BenchmarkEngineFlap10k is what one real server going down or up costs
// the engine at 100 virtual servers of 100 real servers: the desired table
// computed from the configuration and the checkers' view, diffed against
// the last one and the one command applied (in-memory kernel).
func BenchmarkEngineFlap10k(b *testing.B) {
	var conf strings.Builder
	for v := range 100 {
		fmt.Fprintf(&conf, "virtual_server 10.1.%d.1 80 {\nprotocol TCP\nlb_kind NAT\n", v)
		for r := range 100 {
			fmt.Fprintf(&conf, "real_server 10.2.%d.%d 80 {\nTCP_CHECK {\n}\n}\n", v, r+1)
		}
		conf.WriteString("}\n")
	}
	cfg := loadConfig(b, conf.String())
	k := &engKernel{}
	e, err := NewEngine(cfg, EngineOptions{Log: quietLog(), Kernel: k, NewProbe: (&engProbes{}).factory})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	e.apply(ctx, Desired(cfg, allAlive))
	down := health{dead: map[string]bool{"10.2.50.50:80": true}}
	b.ResetTimer()
	for i := range b.N {
		h := allAlive
		if i%2 == 0 {
			h = down
		}
		e.apply(ctx, Desired(cfg, h))
	}
	b.StopTimer()
	if s := e.Snapshot().IPVS; s.Failed != 0 || s.Ops != uint64(10100+b.N) {
		b.Fatalf("stats %+v, want one command per flap", s)
	}
}
