package parser

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bigConfig is the benchmark's configuration: 200 vrrp_instance and 200
// virtual_server with 50 real_server each, about 63,000 lines.
func bigConfig() string {
	var b strings.Builder
	b.WriteString("! Configuration File for keepalived\n\nglobal_defs {\n   router_id LVS_BENCH\n}\n\n")
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&b, "vrrp_instance VI_%d {\n    state BACKUP   # standby\n    interface eth0\n    virtual_router_id %d\n"+
			"    priority 100\n    advert_int 1\n    virtual_ipaddress {\n        10.%d.%d.1/24\n    }\n}\n",
			i, i%255+1, i/250, i%250)
	}
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&b, "virtual_server 10.1.%d.%d 80 {\n    delay_loop 6\n    lb_algo rr\n    lb_kind NAT\n    protocol TCP\n",
			i/250, i%250)
		for j := 0; j < 50; j++ {
			fmt.Fprintf(&b, "    real_server 192.168.%d.%d 80 {\n        weight 1\n        TCP_CHECK {\n"+
				"            connect_timeout 3\n        }\n    }\n", i, j+1)
		}
		b.WriteString("}\n")
	}
	return b.String()
}

func BenchmarkRead(b *testing.B) {
	path := filepath.Join(b.TempDir(), "keepalived.conf")
	conf := bigConfig()
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(strings.Count(conf, "\n")), "lines")
	b.SetBytes(int64(len(conf)))
	b.ReportAllocs()
	for b.Loop() {
		src, ds := Read(path, ReadOptions{ConfigID: "bench"})
		if len(ds) != 0 || len(src.Lines) == 0 {
			b.Fatal(ds)
		}
	}
}
