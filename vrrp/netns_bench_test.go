//go:build linux

package vrrp

import (
	"context"
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

// TestBenchAdvertJitter is `make bench-vrrp JITTER=1`: one node runs
// GKV_BENCH_INSTANCES (default 200) address-owner instances at advert_int
// 0.01 (v3); a receiver on the same bridge timestamps every advert for
// 5 s and reports, per implementation, how far the interval between two
// adverts of one VRID strays from 10 ms.
func TestBenchAdvertJitter(t *testing.T) {
	if os.Getenv("GKV_BENCH_JITTER") == "" {
		t.Skip("benchmark: set GKV_BENCH_JITTER=1 (make bench-vrrp JITTER=1)")
	}
	requireNetns(t, "keepalived")
	n := 200
	if v, err := strconv.Atoi(os.Getenv("GKV_BENCH_INSTANCES")); err == nil && v > 0 && v <= 255 {
		n = v
	}
	var conf strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&conf, "vrrp_instance VI_%d {\n state MASTER\n interface eth0\n virtual_router_id %d\n"+
			" priority 255\n advert_int 0.01\n version 3\n virtual_ipaddress {\n  10.99.1.%d\n }\n}\n", i, i, i)
	}
	type result struct {
		adverts           int
		p50, p99, p999, m time.Duration
		mean              time.Duration
	}
	measure := func(t *testing.T, mk daemonMaker) result {
		tp := newTopology(t, "lb1", "spy")
		d := mk(t, tp.ns("lb1"), conf.String())
		th := newNSThread(t, tp.ns("spy"))
		var conn AdvertConn
		var err error
		th.do(func() { conn, err = NewAdvertConn(ConnConfig{Interface: "eth0"}) })
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		d.Start(t)
		defer func() { d.Term(t); d.Wait(t) }()
		time.Sleep(2 * time.Second)
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		last := map[uint8]time.Time{}
		var gaps []time.Duration
		count := 0
		for {
			rx, err := conn.Receive(ctx)
			if err != nil {
				break
			}
			now := time.Now()
			vrid, ok := PeekVRID(rx.Data, false)
			if !ok {
				continue
			}
			count++
			if l, seen := last[vrid]; seen {
				gaps = append(gaps, now.Sub(l))
			}
			last[vrid] = now
		}
		if len(gaps) == 0 {
			t.Fatalf("no adverts received%s", logTail(d.Log(), 20))
		}
		slices.Sort(gaps)
		var sum time.Duration
		for _, g := range gaps {
			sum += g
		}
		q := func(p float64) time.Duration { return gaps[int(p*float64(len(gaps)-1))] }
		return result{adverts: count, p50: q(0.5), p99: q(0.99), p999: q(0.999), m: gaps[len(gaps)-1],
			mean: sum / time.Duration(len(gaps))}
	}
	res := map[string]result{}
	for _, im := range []struct {
		name string
		mk   daemonMaker
	}{{"gokeepalived", makeGoNode}, {"keepalived", makeKeepalived}} {
		t.Run(im.name, func(t *testing.T) { res[im.name] = measure(t, im.mk) })
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nAdvert intervals, %d instances at advert_int 0.01 (v3), 5 s at the receiver (ms)\n\n", n)
	fmt.Fprintf(&b, "| %-26s | %-14s | %-16s |\n", "", "gokeepalived", "keepalived 2.2.7")
	fmt.Fprintf(&b, "|%s|%s|%s|\n", strings.Repeat("-", 28), strings.Repeat("-", 16), strings.Repeat("-", 18))
	ms := func(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) }
	row := func(label string, f func(result) string) {
		fmt.Fprintf(&b, "| %-26s | %-14s | %-16s |\n", label, f(res["gokeepalived"]), f(res["keepalived"]))
	}
	row(fmt.Sprintf("adverts (expected %d)", n*500), func(r result) string { return strconv.Itoa(r.adverts) })
	row("mean interval", func(r result) string { return ms(r.mean) })
	row("median interval", func(r result) string { return ms(r.p50) })
	row("99th percentile", func(r result) string { return ms(r.p99) })
	row("99.9th percentile", func(r result) string { return ms(r.p999) })
	row("longest", func(r result) string { return ms(r.m) })
	fmt.Print(b.String())
	if path := os.Getenv("GKV_BENCH_OUT"); path != "" {
		_ = os.WriteFile(path, []byte(b.String()), 0o644)
	}
}
