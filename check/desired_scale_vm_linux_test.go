package check

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/parser"
)

// scaleConfig is a configuration of the size of keepalived issue 2318:
// 2,300 virtual servers and 37,000 real servers with a TCP_CHECK each.
// weight411 is the weight of one real server, so a reload can change it.
func scaleConfig(weight411 int) string {
	var b strings.Builder
	n := 0
	for i := range 2300 {
		fmt.Fprintf(&b, "virtual_server 10.%d.%d.%d 80 {\n    delay_loop 6\n    lb_algo wrr\n    lb_kind DR\n    protocol TCP\n", 100+i/62500, i/250%250, i%250+1)
		rs := 16
		if i < 200 {
			rs = 17
		}
		for j := range rs {
			w := 1
			if n == 411 {
				w = weight411
			}
			n++
			fmt.Fprintf(&b, "    real_server 172.%d.%d.%d 80 {\n        weight %d\n        TCP_CHECK {\n            connect_timeout 3\n        }\n    }\n", 16+j, i/250, i%250+1, w)
		}
		b.WriteString("}\n")
	}
	return b.String()
}

// TestVMScale is the benchmark of `make bench-ipvs`: it applies the
// 2,300-service, 37,000-destination table to an empty kernel table, then
// reloads a configuration that changes one weight, and prints the time and
// the netlink requests of each step. It only runs when asked for by name
// (-run TestVMScale) in the VM.
func TestVMScale(t *testing.T) {
	if f := flag.Lookup("test.run"); f == nil || !strings.Contains(f.Value.String(), "TestVMScale") {
		t.Skip("a benchmark: runs only when selected with -run TestVMScale (make bench-ipvs)")
	}
	ns := vmNamespace(t, "gkscale")
	k, err := ipvs.Open("/run/netns/" + ns)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	report := func(format string, args ...any) {
		line := "BENCH " + fmt.Sprintf(format, args...)
		fmt.Fprintln(os.Stdout, line)
		t.Log(line)
	}

	desired := func(text string) (*ipvs.Config, time.Duration, time.Duration) {
		start := time.Now()
		res := parser.LoadBytes("scale.conf", []byte(text), parser.Options{Host: fakeHost{}})
		parsed := time.Since(start)
		start = time.Now()
		c := Desired(res.Config, InitialHealth{})
		return c, parsed, time.Since(start)
	}

	conf := scaleConfig(1)
	c, parse, translate := desired(conf)
	report("config: %d lines, %d services, %d destinations; parse %.3f s, translate %.3f s",
		strings.Count(conf, "\n"), len(c.Table.Services), c.Table.NumDests(), parse.Seconds(), translate.Seconds())
	if len(c.Table.Services) != 2300 || c.Table.NumDests() != 37000 {
		t.Fatalf("the table has %d services and %d destinations", len(c.Table.Services), c.Table.NumDests())
	}

	r := ipvs.NewReconciler(k, nil)
	before := k.Counts()
	rep, err := r.Sync(context.Background(), &c.Table)
	if err != nil {
		t.Fatal(err)
	}
	n := k.Counts().Sub(before)
	report("full apply: %.3f s, %d netlink requests (%d writes, %d reads)", rep.Elapsed.Seconds(), n.Total(), n.Writes, n.Reads)
	if n.Writes != 2300+37000 {
		t.Errorf("full apply made %d writes, want 39300", n.Writes)
	}

	// Reload: one real server's weight changes.
	c2, parse, translate := desired(scaleConfig(5))
	before = k.Counts()
	rep, err = r.Update(context.Background(), &c2.Table)
	if err != nil {
		t.Fatal(err)
	}
	n = k.Counts().Sub(before)
	report("reload changing one destination (from the reconciler's state): %.1f ms, %d netlink requests (%d writes, %d reads): %v; parse %.3f s, translate %.3f s",
		float64(rep.Elapsed.Microseconds())/1000, n.Total(), n.Writes, n.Reads, rep.Ops, parse.Seconds(), translate.Seconds())
	if n.Writes != 1 || n.Reads != 0 || len(rep.Ops) != 1 || rep.Ops[0].Kind != ipvs.OpEditDest {
		t.Errorf("one changed weight took %d writes, %d reads: %v", n.Writes, n.Reads, rep.Ops)
	}

	// The same change back, re-reading the kernel's table first.
	before = k.Counts()
	rep, err = r.Sync(context.Background(), &c.Table)
	if err != nil {
		t.Fatal(err)
	}
	n = k.Counts().Sub(before)
	report("reload changing one destination (reading the kernel table first): %.1f ms, %d netlink requests (%d writes, %d reads)",
		float64(rep.Elapsed.Microseconds())/1000, n.Total(), n.Writes, n.Reads)
	if n.Writes != 1 {
		t.Errorf("one changed weight took %d writes after a read: %v", n.Writes, rep.Ops)
	}

	before = k.Counts()
	rep, err = r.Teardown(context.Background(), ipvs.StopRemoveServices)
	if err != nil {
		t.Fatal(err)
	}
	n = k.Counts().Sub(before)
	report("teardown (lvs_flush_on_stop VS): %.3f s, %d netlink requests", rep.Elapsed.Seconds(), n.Total())
}
