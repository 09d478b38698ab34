//go:build linux

package main

// The acceptance test: the classic two-director LVS-DR cluster end to end,
// in the test VM (scripts/vm), whose kernel has IPVS. Network namespaces on
// one bridge: client, lb1, lb2, rs1, rs2. The real servers are set up with
// `gokeepalived dr-realserver start`, serve /index.html with their name, and
// the directors run the classic configuration (testdata/e2e), each either
// keepalived 2.2.7 or gokeepalived. The scenario:
//
//  1. the VIP is on lb1 and its IPVS table has both real servers;
//  2. the client's answers alternate between rs1 and rs2;
//  3. lb1's director is stopped: the VIP moves to lb2 and the client keeps
//     being served (failed requests and the longest gap are measured);
//  4. lb1's director comes back and takes the VIP back (higher priority);
//  5. rs1's HTTP server stops: rs1 leaves IPVS after the checker's retries,
//     the client only sees rs2; rs1 comes back and rejoins only after a
//     passing check.
//
// Run it with: make vm-test VM_PKGS=./cmd/gokeepalived VM_RUN=TestE2E
// `make demo` runs TestE2EDemo, the same scenario narrated.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"text/template"
	"time"
)

const (
	e2eVIP      = "10.80.0.80"
	e2eLB1      = "10.80.0.11"
	e2eLB2      = "10.80.0.12"
	e2eRS1      = "10.80.0.21"
	e2eRS2      = "10.80.0.22"
	e2eClientIP = "10.80.0.100"
	e2eMask     = "/24"
)

// e2eVariant says which implementation runs each director.
type e2eVariant struct {
	name     string
	lb1, lb2 string // "keepalived" or "gokeepalived"
}

var (
	e2eAllKeepalived   = e2eVariant{"keepalived", "keepalived", "keepalived"}
	e2eAllGokeepalived = e2eVariant{"gokeepalived", "gokeepalived", "gokeepalived"}
	// A cluster in the middle of a migration: gokeepalived on the master,
	// keepalived still on the backup.
	e2eMixed = e2eVariant{"mixed", "gokeepalived", "keepalived"}
)

func (v e2eVariant) uses(impl string) bool { return v.lb1 == impl || v.lb2 == impl }

// e2eFigures are the measured results of one run.
type e2eFigures struct {
	variant                   e2eVariant
	vipMoved                  time.Duration // SIGTERM of lb1's director to the VIP on lb2
	failover                  e2eOutage     // the client from SIGTERM to 5 answers after the move
	vipBack                   time.Duration // lb1's director restarted to the VIP back on lb1
	takeback                  e2eOutage
	rsRemoved                 time.Duration // rs1's server stopped to rs1 gone from lb1's IPVS
	rsOutage                  e2eOutage     // the client while rs1 was down
	rsRejoined                time.Duration // rs1's server back to rs1 in lb1's IPVS
	rsCheckedBeforeRejoin     time.Duration // first check of rs1 by lb1 after the restart, from the restart
	answersAlternate, onlyRS2 string
}

func e2eVMOnly(t *testing.T) {
	t.Helper()
	if os.Getenv("GOKEEPALIVED_VM") != "1" {
		t.Skip("runs only in the test VM, which has IPVS (make vm-test VM_PKGS=./cmd/gokeepalived sets GOKEEPALIVED_VM=1)")
	}
	if os.Geteuid() != 0 {
		t.Fatal("the test VM runs tests as root; euid is not 0")
	}
	for _, tool := range []string{"ip", "ipvsadm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the test VM has no %s: %v", tool, err)
		}
	}
}

// e2eNeed skips unless the implementations the variant uses can run here.
func e2eNeed(t *testing.T, v e2eVariant) {
	t.Helper()
	if v.uses("keepalived") {
		if _, err := exec.LookPath("keepalived"); err != nil {
			t.Skip("keepalived is not installed in the VM image (the host had none when the image was built)")
		}
	}
	if v.uses("gokeepalived") {
		if ok, why := e2eDaemonAvailable(t); !ok {
			t.Skip("gokeepalived daemon not available in this build: " + why)
		}
	}
}

var e2eSeq int

// e2ePrefix is a namespace name prefix unique to this run.
func e2ePrefix(tag string) string {
	e2eSeq++
	return fmt.Sprintf("e2e%d%s%d", os.Getpid()%100000, tag, e2eSeq)
}

type e2eConfData struct {
	Name, RouterID, State string
	Priority              int
	VIP                   string
	RealServers           []string
}

func e2eWriteConf(t *testing.T, dir string, d e2eConfData) string {
	t.Helper()
	tmpl, err := template.ParseFiles("testdata/e2e/keepalived.conf.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, d.Name+".conf")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := tmpl.Execute(f, d); err != nil {
		t.Fatal(err)
	}
	return path
}

// e2eDaemonAvailable starts `gokeepalived -n` on a VRRP and virtual_server
// configuration in a scratch namespace and says whether, after 2 s, it is
// still running with a live VRRP child, as keepalived would be.
func e2eDaemonAvailable(t *testing.T) (bool, string) {
	t.Helper()
	if _, err := os.Stat("/usr/local/sbin/gokeepalived"); err != nil {
		return false, "no /usr/local/sbin/gokeepalived in the VM (its build failed?)"
	}
	n := newE2ENet(t, e2ePrefix("p"), map[string]string{"probe": "10.99.0.11" + e2eMask})
	dir := t.TempDir()
	conf := e2eWriteConf(t, dir, e2eConfData{Name: "probe", RouterID: "probe", State: "MASTER", Priority: 100,
		VIP: "10.99.0.80", RealServers: []string{"10.99.0.21"}})
	d := &e2eDirector{name: "probe", impl: "gokeepalived", ns: n.ns("probe"), dir: dir, conf: conf}
	if err := d.start(); err != nil {
		return false, err.Error()
	}
	defer d.stop(5 * time.Second)
	select {
	case <-d.exited:
		return false, fmt.Sprintf("`gokeepalived -n -f CONF` exited at once (%s): %s", d.cmd.ProcessState, e2eTellingLine(d.tail(20)))
	case <-time.After(2 * time.Second):
	}
	if _, ok := e2ePidAlive(d.pidFile("vrrp")); !ok {
		return false, "`gokeepalived -n -f CONF` runs but has no live VRRP child after 2 s (-r pid file): " + e2eTellingLine(d.tail(20))
	}
	return true, ""
}

// e2eTellingLine picks from a log the line that best says why a daemon
// did not run: the first error, else the last line.
func e2eTellingLine(log string) string {
	lines := strings.Split(strings.TrimSpace(log), "\n")
	for _, l := range lines {
		if strings.Contains(strings.ToLower(l), "error") || strings.Contains(l, "not built") {
			return e2eLogDate.ReplaceAllString(l, "")
		}
	}
	return e2eLogDate.ReplaceAllString(lines[len(lines)-1], "")
}

func TestE2ECluster(t *testing.T) {
	e2eVMOnly(t)
	for _, v := range []e2eVariant{e2eAllKeepalived, e2eAllGokeepalived, e2eMixed} {
		t.Run(v.name, func(t *testing.T) {
			e2eNeed(t, v)
			f := runE2EScenario(t, v, false)
			t.Log(f.summary())
		})
	}
}

// TestE2EDemo is `make demo`: the scenario narrated, with gokeepalived
// directors when the daemon is in this build (then also the mixed cluster),
// else with keepalived, saying so. It runs only when the VM was booted with
// gokeepalived.demo=1 on the kernel command line (scripts/demo.sh does
// that), so make test does not run the scenario twice.
func TestE2EDemo(t *testing.T) {
	e2eVMOnly(t)
	cmdline, _ := os.ReadFile("/proc/cmdline")
	if !slices.Contains(strings.Fields(string(cmdline)), "gokeepalived.demo=1") {
		t.Skip("the narrated demo runs only from make demo (kernel command line gokeepalived.demo=1)")
	}
	variants := []e2eVariant{e2eAllGokeepalived, e2eMixed}
	if ok, why := e2eDaemonAvailable(t); !ok {
		t.Logf("DEMO: gokeepalived daemon not available in this build (%s); the directors are keepalived 2.2.7", why)
		variants = []e2eVariant{e2eAllKeepalived}
	}
	var sums []string
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			f := runE2EScenario(t, v, true)
			sums = append(sums, f.summary())
		})
	}
	for _, s := range sums {
		t.Log("DEMO: " + s)
	}
	if len(variants) == 1 {
		t.Log("DEMO: the gokeepalived and mixed clusters run once the daemon is in this build")
	}
}

func (f e2eFigures) summary() string {
	short := func(o e2eOutage) string {
		return fmt.Sprintf("client: %d requests, %d failed, longest gap between answers %.3f s", o.requests, o.failed, o.longestGap.Seconds())
	}
	return fmt.Sprintf(`RESULT %s (lb1 %s, lb2 %s)
  failover, lb1 stopped:  VIP on lb2 %.3f s after SIGTERM; %s
  takeback, lb1 back:     VIP on lb1 %.3f s after the restart; %s
  rs1's server stopped:   out of IPVS after %.3f s; %s
  rs1's server back:      in IPVS after %.3f s (first check after %.3f s)`,
		f.variant.name, f.variant.lb1, f.variant.lb2,
		f.vipMoved.Seconds(), short(f.failover), f.vipBack.Seconds(), short(f.takeback),
		f.rsRemoved.Seconds(), short(f.rsOutage), f.rsRejoined.Seconds(), f.rsCheckedBeforeRejoin.Seconds())
}

// runE2EScenario builds the cluster with the variant's directors and runs
// the five steps. narrate adds the explanations make demo prints.
func runE2EScenario(t *testing.T, v e2eVariant, narrate bool) e2eFigures {
	tl := newE2ETimeline(t)
	say := func(format string, args ...any) {
		if narrate {
			tl.log("-- "+format, args...)
		}
	}
	fig := e2eFigures{variant: v}
	tl.log("cluster %q: lb1 runs %s (MASTER, priority 100), lb2 runs %s (BACKUP, priority 80)", v.name, v.lb1, v.lb2)

	n := newE2ENet(t, e2ePrefix(v.name[:1]), map[string]string{
		"client": e2eClientIP + e2eMask, "lb1": e2eLB1 + e2eMask, "lb2": e2eLB2 + e2eMask,
		"rs1": e2eRS1 + e2eMask, "rs2": e2eRS2 + e2eMask,
	})
	dir := t.TempDir()
	say("network namespaces client, lb1, lb2, rs1, rs2 on one bridge, 10.80.0.0/24; VIP %s", e2eVIP)

	// The real servers, as a site sets them up by hand.
	rss := map[string]*e2eRealServer{}
	for _, name := range []string{"rs1", "rs2"} {
		state := filepath.Join(dir, name+".dr-realserver.json")
		out, err := exec.Command("ip", "netns", "exec", n.ns(name), "/usr/local/sbin/gokeepalived",
			"dr-realserver", "start", "--vip", e2eVIP, "--state", state).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: gokeepalived dr-realserver start: %v\n%s", name, err, out)
		}
		say("%s: gokeepalived dr-realserver start --vip %s:\n%s", name, e2eVIP, strings.TrimRight(string(out), "\n"))
		dr := func(args ...string) (string, error) {
			out, err := exec.Command("ip", append([]string{"netns", "exec", n.ns(name), "/usr/local/sbin/gokeepalived",
				"dr-realserver", "--state", state}, args...)...).CombinedOutput()
			return string(out), err
		}
		if out, err := dr("status"); err != nil {
			t.Fatalf("%s: dr-realserver status after start: %v\n%s", name, err, out)
		}
		t.Cleanup(func() {
			// stop undoes start: status then says "not ready" (exit 3).
			if out, err := dr("stop"); err != nil {
				t.Errorf("%s: dr-realserver stop: %v\n%s", name, err, out)
			}
			if out, err := dr("status", "--vip", e2eVIP); err == nil || !strings.Contains(out, "not on lo") {
				t.Errorf("%s: dr-realserver status after stop: %v\n%s", name, err, out)
			}
		})
		rs := &e2eRealServer{name: name, ns: n.ns(name), tl: tl,
			peers: map[string]string{e2eLB1: "lb1's checker", e2eLB2: "lb2's checker"}}
		if err := rs.start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(rs.stop)
		rss[name] = rs
	}
	tl.log("rs1 and rs2 serve /index.html with their name; VIP on lo with the ARP sysctls")

	// The directors.
	dirs := map[string]*e2eDirector{}
	for _, c := range []struct {
		name, impl, state, router string
		prio                      int
	}{{"lb1", v.lb1, "MASTER", "LVS_DEVEL_1", 100}, {"lb2", v.lb2, "BACKUP", "LVS_DEVEL_2", 80}} {
		conf := e2eWriteConf(t, dir, e2eConfData{Name: c.name, RouterID: c.router, State: c.state, Priority: c.prio,
			VIP: e2eVIP, RealServers: []string{e2eRS1, e2eRS2}})
		d := &e2eDirector{name: c.name, impl: c.impl, ns: n.ns(c.name), dir: dir, conf: conf, tl: tl}
		dirs[c.name] = d
		t.Cleanup(func() {
			if err := d.stop(10 * time.Second); err != nil {
				t.Error(err)
			}
			if t.Failed() {
				t.Logf("%s's log (last lines):\n%s", c.name, d.tail(60))
			}
		})
	}

	ctx, cancel := context.WithCancel(context.Background())
	w, err := startE2EWatcher(ctx, tl, n, e2eVIP, []string{"lb1", "lb2"})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	client, err := startE2EClient(ctx, n.ns("client"), e2eVIP)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	// Registered last, so it runs first: stop polling before the
	// namespaces go.
	t.Cleanup(func() {
		cancel()
		<-w.done
		<-client.stopped
	})

	rsAddr := map[string]string{"rs1": e2eRS1 + ":80", "rs2": e2eRS2 + ":80"}
	both := []string{e2eRS1 + ":80", e2eRS2 + ":80"}
	lbHas := func(lb string, want []string) func() bool {
		return func() bool { return slices.Equal(w.get(lb).ipvs, want) }
	}
	fatal := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	// Step 1.
	tl.log("STEP 1: start %s on lb1 and %s on lb2", v.lb1, v.lb2)
	t0 := time.Now()
	fatal(dirs["lb1"].start())
	fatal(dirs["lb2"].start())
	say("a director starting as MASTER still waits one master_down_interval (3 x advert_int + skew) before it takes the VIP")
	_, err = w.waitFor("the VIP on lb1 only, both real servers in lb1's IPVS", 30*time.Second, func() bool {
		return w.get("lb1").hasVIP && !w.get("lb2").hasVIP && slices.Equal(w.get("lb1").ipvs, both)
	})
	fatal(err)
	_, err = w.waitFor("lb1's checker to check rs1 and rs2", 30*time.Second, func() bool {
		_, ok1 := rss["rs1"].firstHitFrom(e2eLB1, t0)
		_, ok2 := rss["rs2"].firstHitFrom(e2eLB1, t0)
		return ok1 && ok2 && slices.Equal(w.get("lb1").ipvs, both)
	})
	fatal(err)
	out, _ := exec.Command("ip", "netns", "exec", n.ns("lb1"), "ipvsadm", "-Ln").CombinedOutput()
	tl.log("lb1 is master; ipvsadm -Ln on lb1:\n%s", strings.TrimRight(string(out), "\n"))

	// Step 2.
	tl.log("STEP 2: the client requests http://%s/index.html every %v, each on a new connection", e2eVIP, e2eClientInterval)
	s2 := time.Now()
	answers, err := client.waitOK(s2, 10, 30*time.Second)
	fatal(err)
	fig.answersAlternate = e2eServers(answers)
	tl.log("client sees: %s", fig.answersAlternate)
	for i := 1; i < len(answers); i++ {
		if answers[i].server == answers[i-1].server || (answers[i].server != "rs1" && answers[i].server != "rs2") {
			t.Fatalf("wrr with equal weights: answers do not alternate between rs1 and rs2: %s", fig.answersAlternate)
		}
	}

	// Step 3.
	tl.log("STEP 3: stop %s on lb1 (SIGTERM)", v.lb1)
	say("on SIGTERM the master sends an advert with priority 0: the backup takes over after its skew time (256-80)/256 s")
	s3 := time.Now()
	fatal(dirs["lb1"].cmd.Process.Signal(syscall.SIGTERM))
	_, err = w.waitFor("the VIP on lb2", 20*time.Second, func() bool {
		return w.get("lb2").hasVIP && !w.get("lb1").hasVIP
	})
	fatal(err)
	moved := w.get("lb2").vipAt
	fig.vipMoved = moved.Sub(s3)
	fatal(dirs["lb1"].wait(15 * time.Second))
	tl.log("%s on lb1 exited", v.lb1)
	answers, err = client.waitOK(moved, 6, 30*time.Second)
	fatal(err)
	fig.failover = client.outage(s3, answers[len(answers)-1].end)
	tl.log("client after the failover: %s", e2eServers(answers))
	tl.log("FAILOVER: VIP on lb2 %.3f s after SIGTERM; client: %s", fig.vipMoved.Seconds(), fig.failover)
	if !slices.Equal(w.get("lb2").ipvs, both) {
		t.Errorf("lb2's IPVS has %v, want both real servers", w.get("lb2").ipvs)
	}
	if fig.failover.longestGap > 10*time.Second {
		t.Errorf("the client went %.3f s without an answer during the failover", fig.failover.longestGap.Seconds())
	}

	// Step 4.
	tl.log("STEP 4: start %s on lb1 again", v.lb1)
	say("lb1 has the higher priority and preempts: after master_down_interval it sends adverts with priority 100 and lb2 steps down")
	s4 := time.Now()
	fatal(dirs["lb1"].start())
	_, err = w.waitFor("the VIP back on lb1", 30*time.Second, func() bool {
		return w.get("lb1").hasVIP && !w.get("lb2").hasVIP
	})
	fatal(err)
	back := w.get("lb1").vipAt
	fig.vipBack = back.Sub(s4)
	answers, err = client.waitOK(back, 6, 30*time.Second)
	fatal(err)
	fig.takeback = client.outage(s4, answers[len(answers)-1].end)
	tl.log("TAKEBACK: VIP back on lb1 %.3f s after the restart; client: %s", fig.vipBack.Seconds(), fig.takeback)
	_, err = w.waitFor("both real servers in lb1's IPVS", 30*time.Second, lbHas("lb1", both))
	fatal(err)

	// Step 5.
	tl.log("STEP 5: stop rs1's HTTP server")
	say("HTTP_GET: connect_timeout 3, retry 3, delay_before_retry 3: rs1 leaves IPVS only after its retries fail")
	s5 := time.Now()
	rss["rs1"].stop()
	_, err = w.waitFor("rs1 out of lb1's IPVS", 60*time.Second, lbHas("lb1", []string{rsAddr["rs2"]}))
	fatal(err)
	gone := w.get("lb1").ipvsAt
	fig.rsRemoved = gone.Sub(s5)
	tl.log("rs1 left lb1's IPVS %.3f s after its server stopped", fig.rsRemoved.Seconds())
	answers, err = client.waitOK(gone.Add(500*time.Millisecond), 6, 30*time.Second)
	fatal(err)
	fig.onlyRS2 = e2eServers(answers)
	fig.rsOutage = client.outage(s5, gone)
	tl.log("client while rs1 is down: %s; from the stop to the removal: %s", fig.onlyRS2, fig.rsOutage)
	for _, a := range answers {
		if a.server != "rs2" {
			t.Fatalf("with rs1 out of IPVS the client got an answer from %q", a.server)
		}
	}
	tl.log("rs1's HTTP server starts again")
	s5b := time.Now()
	fatal(rss["rs1"].start())
	if slices.Contains(w.get("lb1").ipvs, rsAddr["rs1"]) {
		t.Fatal("rs1 is in lb1's IPVS before any check has passed")
	}
	_, err = w.waitFor("rs1 back in lb1's IPVS", 60*time.Second, lbHas("lb1", both))
	fatal(err)
	rejoined := w.get("lb1").ipvsAt
	fig.rsRejoined = rejoined.Sub(s5b)
	checked, ok := rss["rs1"].firstHitFrom(e2eLB1, s5b)
	if !ok || checked.After(rejoined) {
		t.Fatalf("rs1 rejoined lb1's IPVS at +%s without a check from lb1 before it (first check: %v)", tl.since(rejoined), checked)
	}
	fig.rsCheckedBeforeRejoin = checked.Sub(s5b)
	tl.log("rs1 rejoined lb1's IPVS %.3f s after its server came back", fig.rsRejoined.Seconds())
	answers, err = client.waitOK(rejoined, 6, 30*time.Second)
	fatal(err)
	tl.log("client: %s", e2eServers(answers))
	if !strings.Contains(e2eServers(answers), "rs1") {
		t.Errorf("rs1 is back in IPVS but the client never reached it: %s", e2eServers(answers))
	}
	// Both directors stay up to the end; a director that died on its
	// own is a failure.
	for _, lb := range []string{"lb1", "lb2"} {
		if !dirs[lb].running() {
			t.Errorf("%s's director exited during the scenario", lb)
		}
	}
	tl.log("done")

	return fig
}
