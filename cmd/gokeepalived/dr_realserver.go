package main

// `gokeepalived dr-realserver start|stop|status --vip ADDR` prepares a host to
// be an LVS-DR real server, the job sites do by hand with an lvs-dr.sh script:
// the VIP on lo as a host address (/32 or /128), so the host accepts packets
// the director forwards to it with the VIP as destination, and, for IPv4, the
// ARP sysctls that keep the host from answering ARP for the VIP on its real
// interfaces (arp_ignore=1) and from using the VIP as the source of its own
// ARP requests (arp_announce=2).
//
// The decisions (what to change, in which order, what to undo) are pure
// functions over an observed snapshot of the system and a small state record;
// the system itself is behind drSystem, implemented with netlink and
// /proc/sys on Linux and by an in-memory fake in the tests. stop undoes only
// what start did: the addresses start added, and the sysctls start changed,
// restored to their previous values once the last IPv4 VIP is gone.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

const (
	drDefaultStateFile = "/run/gokeepalived/dr-realserver.json"
	// drStatusNotReady is status's exit code when the host is not (fully) set
	// up as a real server for the VIPs, as an LSB init script's "not running".
	drStatusNotReady = 3
)

// drSysctl is one ARP sysctl a real server needs, as a path under
// /proc/sys, with the value the real server needs.
type drSysctl struct {
	Path string
	Want int
}

// drSysctls are the settings lvs-dr.sh scripts make. The kernel applies the
// larger of conf/all and conf/<interface>, so "all" is what takes effect on
// the interfaces that receive ARP; "lo" is set too, as the scripts do.
var drSysctls = []drSysctl{
	{"net/ipv4/conf/all/arp_ignore", 1},
	{"net/ipv4/conf/all/arp_announce", 2},
	{"net/ipv4/conf/lo/arp_ignore", 1},
	{"net/ipv4/conf/lo/arp_announce", 2},
}

// drSysctlName is the dotted name sysctl(8) uses for a /proc/sys path.
func drSysctlName(path string) string { return strings.ReplaceAll(path, "/", ".") }

// drState is what start did, kept between start and stop.
type drState struct {
	// VIPs holds the addresses start added to lo (host prefixes).
	VIPs []string `json:"vips,omitempty"`
	// Sysctls holds, for each sysctl start changed, the value it had before.
	Sysctls map[string]string `json:"sysctls,omitempty"`
}

func (s drState) hasVIP(p netip.Prefix) bool { return slices.Contains(s.VIPs, p.String()) }

func (s drState) hasIPv4VIP() bool {
	for _, v := range s.VIPs {
		if p, err := netip.ParsePrefix(v); err == nil && p.Addr().Is4() {
			return true
		}
	}
	return false
}

// drObserved is a snapshot of the system: the addresses on lo and the
// current values of drSysctls.
type drObserved struct {
	Loopback []netip.Prefix
	Sysctls  map[string]string
}

func (o drObserved) onLoopback(p netip.Prefix) bool {
	return slices.Contains(o.Loopback, p)
}

type drActionKind int

const (
	drSetSysctl     drActionKind = iota // set a sysctl start needs, recording its old value
	drRestoreSysctl                     // put back a value recorded by start
	drAddAddr                           // add a VIP to lo
	drDelAddr                           // remove a VIP start added from lo
)

// drAction is one change to the system.
type drAction struct {
	Kind   drActionKind
	Sysctl string       // drSetSysctl, drRestoreSysctl: path under /proc/sys
	Value  string       // the value to write
	Old    string       // the value before (for the record and the message)
	Prefix netip.Prefix // drAddAddr, drDelAddr
}

func (a drAction) String() string {
	switch a.Kind {
	case drSetSysctl:
		return fmt.Sprintf("sysctl %s=%s (was %s)", drSysctlName(a.Sysctl), a.Value, a.Old)
	case drRestoreSysctl:
		return fmt.Sprintf("sysctl %s=%s (restored; was %s)", drSysctlName(a.Sysctl), a.Value, a.Old)
	case drAddAddr:
		return fmt.Sprintf("ip address add %s dev lo", a.Prefix)
	case drDelAddr:
		return fmt.Sprintf("ip address del %s dev lo", a.Prefix)
	}
	return "?"
}

// drHostPrefix turns a VIP into the host prefix put on lo.
func drHostPrefix(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		if p.Bits() != p.Addr().BitLen() {
			return netip.Prefix{}, fmt.Errorf("VIP %s: a real server holds the VIP as a host address (/%d), not a network", s, p.Addr().BitLen())
		}
		s = p.Addr().String()
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("VIP %q is not an IP address", s)
	}
	if a.Zone() != "" || a.IsUnspecified() || a.IsMulticast() || a.IsLoopback() {
		return netip.Prefix{}, fmt.Errorf("VIP %s cannot be a real server's VIP", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// drPlanStart decides what start changes: first the ARP sysctls (for an
// IPv4 VIP), so that the host never answers ARP for a VIP it already holds,
// then the VIPs missing from lo. A VIP already on lo that start did not add
// is left as it is and not recorded, so stop leaves it too.
func drPlanStart(vips []netip.Prefix, st drState, obs drObserved) ([]drAction, []string) {
	var acts []drAction
	var notes []string
	v4 := false
	for _, p := range vips {
		v4 = v4 || p.Addr().Is4()
	}
	if v4 {
		for _, sc := range drSysctls {
			cur := obs.Sysctls[sc.Path]
			if n, err := strconv.Atoi(strings.TrimSpace(cur)); err == nil && n == sc.Want {
				continue
			}
			acts = append(acts, drAction{Kind: drSetSysctl, Sysctl: sc.Path, Value: strconv.Itoa(sc.Want), Old: cur})
		}
	}
	for _, p := range vips {
		switch {
		case !obs.onLoopback(p):
			acts = append(acts, drAction{Kind: drAddAddr, Prefix: p})
		case !st.hasVIP(p):
			notes = append(notes, fmt.Sprintf("%s is already on lo (not added by dr-realserver; stop will leave it)", p))
		}
	}
	return acts, notes
}

// drPlanStop decides what stop undoes: the VIPs start added, then, when no
// IPv4 VIP that start added is left, the sysctls start changed, each back to
// its recorded value unless someone changed it since.
func drPlanStop(vips []netip.Prefix, st drState, obs drObserved) ([]drAction, []string) {
	var acts []drAction
	var notes []string
	left := drState{Sysctls: st.Sysctls}
	for _, v := range st.VIPs {
		p, err := netip.ParsePrefix(v)
		if err != nil || !slices.Contains(vips, p) {
			left.VIPs = append(left.VIPs, v)
		}
	}
	for _, p := range vips {
		switch {
		case !st.hasVIP(p) && obs.onLoopback(p):
			notes = append(notes, fmt.Sprintf("%s is on lo but was not added by dr-realserver start; left alone", p))
		case !st.hasVIP(p):
			notes = append(notes, fmt.Sprintf("%s is not on lo", p))
		case obs.onLoopback(p):
			acts = append(acts, drAction{Kind: drDelAddr, Prefix: p})
		}
	}
	if left.hasIPv4VIP() {
		if len(st.Sysctls) > 0 {
			notes = append(notes, fmt.Sprintf("ARP sysctls kept for the remaining VIPs %s", strings.Join(left.VIPs, " ")))
		}
		return acts, notes
	}
	for _, sc := range drSysctls {
		old, ok := st.Sysctls[sc.Path]
		if !ok {
			continue
		}
		cur := strings.TrimSpace(obs.Sysctls[sc.Path])
		if cur != strconv.Itoa(sc.Want) {
			notes = append(notes, fmt.Sprintf("%s is %s, changed since start; left alone", drSysctlName(sc.Path), cur))
			acts = append(acts, drAction{Kind: drRestoreSysctl, Sysctl: sc.Path, Value: "", Old: cur})
			continue
		}
		acts = append(acts, drAction{Kind: drRestoreSysctl, Sysctl: sc.Path, Value: old, Old: cur})
	}
	return acts, notes
}

// drSystem is what dr-realserver needs from the host.
type drSystem interface {
	LoopbackAddrs() ([]netip.Prefix, error)
	AddLoopbackAddr(netip.Prefix) error
	DelLoopbackAddr(netip.Prefix) error
	ReadSysctl(path string) (string, error)
	WriteSysctl(path, value string) error
}

func drObserve(sys drSystem) (drObserved, error) {
	addrs, err := sys.LoopbackAddrs()
	if err != nil {
		return drObserved{}, fmt.Errorf("listing the addresses of lo: %w", err)
	}
	obs := drObserved{Loopback: addrs, Sysctls: map[string]string{}}
	for _, sc := range drSysctls {
		v, err := sys.ReadSysctl(sc.Path)
		if err != nil {
			return drObserved{}, fmt.Errorf("reading %s: %w", drSysctlName(sc.Path), err)
		}
		obs.Sysctls[sc.Path] = strings.TrimSpace(v)
	}
	return obs, nil
}

// drApply carries out acts in order and keeps st up to date with each one
// that succeeded; it stops at the first failure. A drRestoreSysctl with an
// empty Value only forgets the record.
func drApply(sys drSystem, acts []drAction, st *drState, out io.Writer) error {
	for _, a := range acts {
		var err error
		switch a.Kind {
		case drSetSysctl:
			if err = sys.WriteSysctl(a.Sysctl, a.Value); err == nil {
				if st.Sysctls == nil {
					st.Sysctls = map[string]string{}
				}
				if _, ok := st.Sysctls[a.Sysctl]; !ok {
					st.Sysctls[a.Sysctl] = a.Old
				}
			}
		case drRestoreSysctl:
			if a.Value != "" {
				err = sys.WriteSysctl(a.Sysctl, a.Value)
			}
			if err == nil {
				delete(st.Sysctls, a.Sysctl)
				if a.Value == "" {
					continue
				}
			}
		case drAddAddr:
			if err = sys.AddLoopbackAddr(a.Prefix); err == nil {
				st.VIPs = append(st.VIPs, a.Prefix.String())
			}
		case drDelAddr:
			if err = sys.DelLoopbackAddr(a.Prefix); err == nil {
				st.VIPs = slices.DeleteFunc(st.VIPs, func(v string) bool { return v == a.Prefix.String() })
			}
		}
		if err != nil {
			return fmt.Errorf("%s: %w", a, err)
		}
		fmt.Fprintln(out, a)
	}
	return nil
}

// drStatus reports the VIPs and sysctls; ready says whether the host is set
// up as a real server for all of vips.
func drStatus(vips []netip.Prefix, st drState, obs drObserved, out io.Writer) (ready bool) {
	ready = len(vips) > 0
	v4 := false
	for _, p := range vips {
		v4 = v4 || p.Addr().Is4()
		by := ""
		if st.hasVIP(p) {
			by = " (added by dr-realserver start)"
		}
		if obs.onLoopback(p) {
			fmt.Fprintf(out, "VIP %s: on lo%s\n", p, by)
		} else {
			fmt.Fprintf(out, "VIP %s: not on lo\n", p)
			ready = false
		}
	}
	for _, sc := range drSysctls {
		cur := obs.Sysctls[sc.Path]
		mark := ""
		if old, ok := st.Sysctls[sc.Path]; ok {
			mark = fmt.Sprintf(" (set by dr-realserver start; was %s)", old)
		}
		fmt.Fprintf(out, "%s = %s%s\n", drSysctlName(sc.Path), cur, mark)
	}
	if v4 {
		// The kernel takes the larger of conf/all and the receiving
		// interface's value, so conf/all decides for every interface.
		for _, sc := range drSysctls[:2] {
			n, err := strconv.Atoi(obs.Sysctls[sc.Path])
			if err != nil || n < sc.Want {
				fmt.Fprintf(out, "not ready: %s must be at least %d\n", drSysctlName(sc.Path), sc.Want)
				ready = false
			}
		}
	}
	if ready {
		fmt.Fprintln(out, "ready: LVS-DR real server")
	}
	return ready
}

// drStateStore keeps drState in a JSON file.
type drStateStore struct{ path string }

func (s drStateStore) load() (drState, error) {
	var st drState
	data, err := os.ReadFile(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return st, fmt.Errorf("state file %s: %w", s.path, err)
	}
	return st, nil
}

func (s drStateStore) save(st drState) error {
	if len(st.VIPs) == 0 && len(st.Sysctls) == 0 {
		if err := os.Remove(s.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	sort.Strings(st.VIPs)
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return err
	}
	tmp := s.path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, s.path)
}

func drUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: gokeepalived dr-realserver start|stop|status [--vip ADDR[,ADDR...]]... [--state FILE]
  start   put each VIP on lo as a host address and, for IPv4, set
          net.ipv4.conf.{all,lo}.arp_ignore=1 and arp_announce=2
  stop    remove the VIPs start added and, once no IPv4 VIP is left, put back
          the sysctl values start replaced
  status  show the VIPs and sysctls; exit 0 when the host is ready, 3 if not
  stop and status without --vip act on the VIPs start recorded
  --state FILE  where start records what it changed
                (default `+drDefaultStateFile+`; one per network namespace)
`)
}

// drRealServerMain runs the dr-realserver subcommand with the host's system.
func drRealServerMain(args []string, stdout, stderr io.Writer) int {
	return drRealServerRun(args, stdout, stderr, newDRSystem)
}

func drRealServerRun(args []string, stdout, stderr io.Writer, newSys func() (drSystem, error)) int {
	var action, stateFile string
	var vipArgs []string
	stateFile = drDefaultStateFile
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(a, "=")
		switch name {
		case "--vip", "-vip", "--state", "-state":
			if !hasVal {
				if i+1 >= len(args) {
					fmt.Fprintf(stderr, "dr-realserver: %s needs a value\n", name)
					return exitUsage
				}
				i++
				val = args[i]
			}
			if strings.HasSuffix(name, "vip") {
				vipArgs = append(vipArgs, strings.Split(val, ",")...)
			} else {
				stateFile = val
			}
		case "-h", "--help", "help":
			drUsage(stdout)
			return 0
		default:
			if strings.HasPrefix(a, "-") || action != "" {
				fmt.Fprintf(stderr, "dr-realserver: unexpected argument %q\n", a)
				drUsage(stderr)
				return exitUsage
			}
			action = a
		}
	}
	if action != "start" && action != "stop" && action != "status" {
		drUsage(stderr)
		return exitUsage
	}
	if len(vipArgs) == 0 && action == "start" {
		fmt.Fprintln(stderr, "dr-realserver: start needs --vip ADDR")
		return exitUsage
	}
	var vips []netip.Prefix
	for _, v := range vipArgs {
		p, err := drHostPrefix(strings.TrimSpace(v))
		if err != nil {
			fmt.Fprintf(stderr, "dr-realserver: %v\n", err)
			return exitUsage
		}
		if !slices.Contains(vips, p) {
			vips = append(vips, p)
		}
	}
	sys, err := newSys()
	if err != nil {
		fmt.Fprintf(stderr, "dr-realserver: %v\n", err)
		return 1
	}
	store := drStateStore{stateFile}
	st, err := store.load()
	if err != nil {
		fmt.Fprintf(stderr, "dr-realserver: %v\n", err)
		return 1
	}
	if len(vips) == 0 {
		// stop and status without --vip: the VIPs start added.
		for _, v := range st.VIPs {
			if p, err := netip.ParsePrefix(v); err == nil {
				vips = append(vips, p)
			}
		}
		if len(vips) == 0 && len(st.Sysctls) == 0 {
			fmt.Fprintf(stdout, "no VIP recorded in %s (give --vip ADDR)\n", stateFile)
			if action == "status" {
				return drStatusNotReady
			}
			return 0
		}
	}
	obs, err := drObserve(sys)
	if err != nil {
		fmt.Fprintf(stderr, "dr-realserver: %v\n", err)
		return 1
	}
	if action == "status" {
		if drStatus(vips, st, obs, stdout) {
			return 0
		}
		return drStatusNotReady
	}
	var acts []drAction
	var notes []string
	if action == "start" {
		acts, notes = drPlanStart(vips, st, obs)
	} else {
		acts, notes = drPlanStop(vips, st, obs)
	}
	for _, n := range notes {
		fmt.Fprintln(stdout, n)
	}
	applyErr := drApply(sys, acts, &st, stdout)
	if err := store.save(st); err != nil {
		fmt.Fprintf(stderr, "dr-realserver: saving %s: %v\n", stateFile, err)
		return 1
	}
	if applyErr != nil {
		fmt.Fprintf(stderr, "dr-realserver: %v\n", applyErr)
		return 1
	}
	return 0
}
