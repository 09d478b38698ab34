//go:build linux

package vrrp

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestBenchFailover is `make bench-vrrp`: the failover scenario (v2 PASS,
// advert_int 1, priorities 100/80) run GKV_BENCH_RUNS times (default 5)
// for a gokeepalived pair and a keepalived pair in the same topology,
// printed side by side as min / median / max. Skipped unless GKV_BENCH is
// set.
func TestBenchFailover(t *testing.T) {
	if os.Getenv("GKV_BENCH") == "" {
		t.Skip("benchmark: set GKV_BENCH=1 (make bench-vrrp)")
	}
	requireNetns(t, "keepalived")
	runs := 5
	if n, err := strconv.Atoi(os.Getenv("GKV_BENCH_RUNS")); err == nil && n > 0 {
		runs = n
	}
	c := interopCase{name: "v2-pass-ipv4", version: 2, advert: "1", auth: true}
	if os.Getenv("GKV_BENCH_V3") != "" {
		c = interopCase{name: "v3-ipv4", version: 3, advert: "0.1"}
	}
	impls := []struct {
		name string
		mk   daemonMaker
	}{{"gokeepalived", makeGoNode}, {"keepalived", makeKeepalived}}
	results := map[string][]failoverTimes{}
	for i := 0; i < runs; i++ {
		for _, im := range impls {
			t.Run(fmt.Sprintf("%s-%d", im.name, i+1), func(t *testing.T) {
				results[im.name] = append(results[im.name], runFailover(t, c, im.mk, im.mk))
			})
		}
	}
	stat := func(name string, get func(failoverTimes) time.Duration) string {
		var ds []time.Duration
		for _, r := range results[name] {
			ds = append(ds, get(r))
		}
		if len(ds) == 0 {
			return "-"
		}
		slices.Sort(ds)
		ms := func(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }
		return ms(ds[0]) + " / " + ms(ds[len(ds)/2]) + " / " + ms(ds[len(ds)-1])
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nFailover, %s, advert_int %s s, master 100 / backup 80, %d runs each (ms, min / median / max)\n\n", c.name, c.advert, runs)
	fmt.Fprintf(&b, "| %-34s | %-22s | %-22s |\n", "master stopped by → event", "gokeepalived", "keepalived 2.2.7")
	fmt.Fprintf(&b, "|%s|%s|%s|\n", strings.Repeat("-", 36), strings.Repeat("-", 24), strings.Repeat("-", 24))
	rows := []struct {
		label string
		get   func(failoverTimes) time.Duration
	}{
		{"SIGTERM → VIP on backup", func(f failoverTimes) time.Duration { return f.termVIP }},
		{"SIGTERM → client served by backup", func(f failoverTimes) time.Duration { return f.termServed }},
		{"crash → VIP on backup", func(f failoverTimes) time.Duration { return f.crashVIP }},
		{"crash → client served by backup", func(f failoverTimes) time.Duration { return f.crashServed }},
	}
	for _, r := range rows {
		fmt.Fprintf(&b, "| %-34s | %-22s | %-22s |\n", r.label, stat("gokeepalived", r.get), stat("keepalived", r.get))
	}
	fmt.Print(b.String())
	if path := os.Getenv("GKV_BENCH_OUT"); path != "" {
		_ = os.WriteFile(path, []byte(b.String()), 0o644)
	}
}
