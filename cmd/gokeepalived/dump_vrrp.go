package main

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// writeVRRPData writes keepalived.data as keepalived 2.2.7's VRRP
// process does on SIGUSR1 (dump_data_vrrp): global definitions, VRRP
// topology (sync groups, instances), VRRP scripts, interfaces. The
// exporters read the " VRRP Instance = " and " VRRP Script = " blocks.
func writeVRRPData(w io.Writer, snap vrrpSnapshot) error {
	bw := bufio.NewWriter(w)
	writeGlobalLines(bw, snap.Globals, dumpVRRPChild)
	line := func(format string, a ...any) { fmt.Fprintf(bw, format+"\n", a...) }
	if len(snap.Instances) > 0 {
		line("------< VRRP Topology >------")
		for _, vi := range snap.Instances {
			writeInstance(line, vi)
		}
	}
	if len(snap.SyncGroups) > 0 {
		line("------< VRRP Sync groups >------")
		for _, g := range snap.SyncGroups {
			writeSyncGroup(line, g)
		}
	}
	if len(snap.Scripts) > 0 {
		line("------< VRRP Scripts >------")
		for _, s := range snap.Scripts {
			writeScript(line, s)
		}
	}
	if len(snap.Interfaces) > 0 {
		line("------< Interfaces >------")
		for _, ifc := range snap.Interfaces {
			writeInterface(line, ifc)
		}
	}
	return bw.Flush()
}

type lineFunc func(format string, a ...any)

func writeTracks(line lineFunc, title string, list []dumpTrack) {
	if len(list) == 0 {
		return
	}
	line("   %s :", title)
	for _, t := range list {
		line("     %s weight %d%s", t.Name, t.Weight, reverseWord(t.Reverse))
	}
}

func reverseWord(r bool) string {
	if r {
		return " reverse"
	}
	return ""
}

func writeNotifies(line lineFunc, list []dumpNotifyScript) {
	for _, n := range list {
		line("   %s state transition script = %s, uid:gid %d:%d", n.Kind, n.Cmd, n.UID, n.GID)
	}
}

func writeSyncGroup(line lineFunc, g dumpSyncGroup) {
	line(" VRRP Sync Group = %s, %s", g.Name, g.State)
	line("   Num member fault %d, num member init %d", g.NumMemberFault, g.NumMemberInit)
	if len(g.Members) > 0 {
		line("   VRRP member instances :")
		for _, m := range g.Members {
			line("     %s", m)
		}
	}
	if g.TrackingWeight {
		line("   sync group tracking weight set")
	}
	line("   Using smtp notification = %s", yesNo(g.SMTPAlert))
	if g.NotifyPriority != -1 {
		line("   Notify priority changes = %s", yesNo(g.NotifyPriority == 1))
	}
	writeTracks(line, "Tracked interfaces", g.TrackIfs)
	writeTracks(line, "Tracked scripts", g.TrackScript)
	writeTracks(line, "Tracked files", g.TrackFiles)
	writeTracks(line, "Tracked process", g.TrackProcs)
	writeNotifies(line, g.NotifyScripts)
}

// ctimeUS is keepalived's ctime_us_r: ctime with microseconds before
// the year, in local time.
func ctimeUS(t time.Time) string {
	return t.Format("Mon Jan _2 15:04:05.000000 2006")
}

func timevalString(t time.Time) string {
	return fmt.Sprintf("%d.%06d (%s)", t.Unix(), t.Nanosecond()/1000, ctimeUS(t))
}

func (vi dumpVRRPInstance) hasFlags() bool {
	return vi.Unicast || vi.UnicastConfigured || vi.UnicastFaultNoPeer || vi.DontTrackPrimary ||
		vi.SkipCheckAdvAddr || vi.SrcIPFromConfig || vi.CheckUnicastSrc || vi.PromoteSecondary ||
		vi.NoPreempt || vi.VMACName != ""
}

func writeInstance(line lineFunc, vi dumpVRRPInstance) {
	line(" VRRP Instance = %s", vi.Name)
	line("   VRRP Version = %d", vi.Version)
	if vi.SyncGroup != "" {
		line("   Sync group = %s", vi.SyncGroup)
	}
	if vi.IPv6 {
		line("   Using Native IPv6")
	}
	line("   State = %s", vi.State)
	if vi.State == dumpStateBackup {
		master := "(none)"
		if vi.MasterRouter.IsValid() {
			master = vi.MasterRouter.String()
		}
		line("   Master router = %s", master)
		line("   Master priority = %d", vi.MasterPriority)
		if vi.Version == 3 {
			line("   Master advert int = %.2f sec", vi.MasterAdverInt.Seconds())
		}
	}
	if vi.hasFlags() {
		line("   Flags:")
		if vi.Unicast {
			line("     Using unicast")
		} else if vi.UnicastConfigured {
			line("     Unicast config option specified but using multicast")
		}
		if vi.UnicastFaultNoPeer {
			line("     If unicast go to fault state if no peers")
		}
	} else {
		line("   Flags: none")
	}
	line("   Wantstate = %s", vi.WantState)
	line("   Number of config faults = %d", vi.ConfigFaults)
	line("   Number of interface and track script faults = %d", vi.Faults)
	line("   Number of track scripts init = %d", vi.ScriptsInit)
	line("   Last transition = %s", timevalString(vi.LastTransition))
	if vi.ReadTimeout.IsZero() {
		line("   Read timeout = DISABLED")
	} else {
		line("   Read timeout = %s", timevalString(vi.ReadTimeout))
	}
	line("   Master down timer = %d usecs", vi.MasterDownTimer.Microseconds())
	if vi.VMACName != "" {
		line("   Use VMAC, i/f name %s, is_up = %s, xmit_base = %s", vi.VMACName, tf(vi.VMACUp), tf(vi.VMACXmitBase))
		xmit := ""
		if vi.VMACXmitBase {
			xmit = ", xmit base i/f"
		}
		line("   Interface = %s, vmac on %s%s", vi.VMACName, vi.Interface, xmit)
	} else {
		iface := vi.Interface
		if iface == "" {
			iface = "not configured"
		}
		line("   Interface = %s", iface)
	}
	if vi.DontTrackPrimary {
		line("   VRRP interface tracking disabled")
	}
	if vi.SkipCheckAdvAddr {
		line("   Skip checking advert IP addresses")
	}
	if vi.StrictMode {
		line("   Enforcing strict VRRP compliance")
	}
	src := "(none)"
	if vi.SrcIP.IsValid() {
		src = vi.SrcIP.String()
	}
	from := ""
	if vi.SrcIPFromConfig {
		from = " (from configuration)"
	}
	line("   Using src_ip = %s%s", src, from)
	if !vi.Unicast {
		if vi.IPv6 {
			line("   Multicast address %s, ifindex 0", vi.McastAddr)
		} else {
			line("   Multicast address %s", vi.McastAddr)
		}
	}
	line("   Gratuitous ARP delay = %d", int64(vi.GarpDelay/time.Second))
	line("   Gratuitous ARP repeat = %d", vi.GarpRepeat)
	line("   Gratuitous ARP refresh = %d", int64(vi.GarpRefresh/time.Second))
	line("   Gratuitous ARP refresh repeat = %d", vi.GarpRefreshRepeat)
	line("   Gratuitous ARP lower priority delay = %d", int64(vi.GarpLowerPrioDelay/time.Second))
	line("   Gratuitous ARP lower priority repeat = %d", vi.GarpLowerPrioRepeat)
	line("   Down timer adverts = %d", vi.DownTimerAdverts)
	line("   Send advert after receive lower priority advert = %s", tf(!vi.LowerPrioNoAdvert))
	line("   Send advert after receive higher priority advert = %s", tf(vi.HigherPrioSendAdvert))
	line("   Virtual Router ID = %d", vi.VRID)
	line("   Priority = %d", vi.Priority)
	line("   Effective priority = %d", vi.EffectivePriority)
	line("   Total priority = %d", vi.TotalPriority)
	if vi.Version == 2 {
		line("   Advert interval = %d sec", int64(vi.AdvertInt/time.Second))
	} else {
		line("   Advert interval = %d milli-sec", vi.AdvertInt.Milliseconds())
	}
	if vi.State == dumpStateBackup && vi.Version == 3 {
		line("   Master advert interval = %d milli-sec", vi.MasterAdverInt.Milliseconds())
	}
	line("   Accept = %s", enDis(vi.Accept))
	line("   Preempt = %s", enDis(!vi.NoPreempt))
	if vi.PreemptDelay > 0 {
		line("   Preempt delay = %s secs", strconv.FormatFloat(vi.PreemptDelay.Seconds(), 'g', 6, 64))
	}
	line("   Promote_secondaries = %s", enDis(vi.PromoteSecondary))
	switch vi.AuthType {
	case "AH":
		line("   Authentication type = IPSEC_AH")
	case "PASS":
		line("   Authentication type = SIMPLE_PASSWORD")
		line("   Password = %s", vi.AuthPass)
	default:
		if vi.Version == 2 {
			line("   Authentication type = none")
		}
	}
	if len(vi.VIPs) > 0 {
		line("   Virtual IP (%d):", len(vi.VIPs))
		for _, a := range vi.VIPs {
			line("     %s", a)
		}
	}
	if len(vi.EVIPs) > 0 {
		line("   Virtual IP Excluded :")
		for _, a := range vi.EVIPs {
			line("     %s", a)
		}
	}
	if vi.Unicast {
		ttl := vi.UnicastTTL
		if ttl == -1 && !vi.IPv6 {
			ttl = 255 // keepalived's default for IPv4
		}
		if ttl != -1 {
			line("   Unicast TTL = %d", ttl)
		}
		line("   Check unicast src : %s", yesNo(vi.CheckUnicastSrc))
		line("   Unicast Peer :")
		for _, p := range vi.UnicastPeers {
			line("     %s min_ttl %d max_ttl %d", p.Addr, p.MinTTL, p.MaxTTL)
		}
		compat := vi.UnicastChecksumCompat
		if compat == "" {
			compat = "no"
		}
		line("   Unicast checksum compatibility = %s", compat)
	}
	if vi.FDIn != 0 || vi.FDOut != 0 {
		line("   fd_in %d, fd_out %d", vi.FDIn, vi.FDOut)
	} else {
		line("   No sockets allocated")
	}
	if len(vi.VRoutes) > 0 {
		line("   Virtual Routes :")
		for _, r := range vi.VRoutes {
			line("     %s", r)
		}
	}
	if len(vi.VRules) > 0 {
		line("   Virtual Rules :")
		for _, r := range vi.VRules {
			line("     %s", r)
		}
	}
	writeTracks(line, "Tracked interfaces", vi.TrackIfs)
	writeTracks(line, "Tracked scripts", vi.TrackScript)
	writeTracks(line, "Tracked files", vi.TrackFiles)
	writeTracks(line, "Tracked processes", vi.TrackProcs)
	if len(vi.TrackBFDs) > 0 {
		line("   Tracked BFDs :")
		for _, b := range vi.TrackBFDs {
			line("     %s", b)
		}
	}
	line("   Using smtp notification = %s", yesNo(vi.SMTPAlert))
	if vi.NotifyDeleted {
		line("   Notify deleted = Deleted")
	} else {
		line("   Notify deleted = Fault")
	}
	writeNotifies(line, vi.NotifyScripts)
	line("   Notify priority changes = %s", tf(vi.NotifyPriorityChanges))
}

func writeScript(line lineFunc, s dumpVRRPScript) {
	line(" VRRP Script = %s", s.Name)
	line("   Command = %s", s.Cmd)
	line("   Interval = %d sec", int64(s.Interval/time.Second))
	line("   Timeout = %d sec", int64(s.Timeout/time.Second))
	line("   Weight = %d%s", s.Weight, reverseWord(s.Reverse))
	line("   Rise = %d", s.Rise)
	line("   Fall = %d", s.Fall)
	line("   Result = %d", s.Result)
	line("   Insecure = %s", yesNo(s.Insecure))
	init := s.InitState
	if init == "" {
		init = "unknown"
	}
	line("   Init state = %s", init)
	status := "BAD"
	if s.Good() {
		status = "GOOD"
	}
	line("   Status = %s", status)
	line("   Script uid:gid = %d:%d", s.UID, s.GID)
	line("   VRRP instances :")
	line("   Tracking instances :")
	for _, t := range s.Tracking {
		line("     %s, weight %d%s", t.Name, t.Weight, reverseWord(t.Reverse))
	}
	state := s.State
	if state == "" {
		state = "idle"
	}
	line("   State = %s", state)
}

func writeInterface(line lineFunc, ifc dumpInterface) {
	line(" Name = %s", ifc.Name)
	line("   index = %d", ifc.Index)
	addr := func(a interface{ IsValid() bool }, s string) string {
		if !a.IsValid() {
			return "(none)"
		}
		return s
	}
	line("   IPv4 address = %s", addr(ifc.IPv4, ifc.IPv4.String()))
	line("   IPv6 address = %s", addr(ifc.IPv6, ifc.IPv6.String()))
	if ifc.MAC != "" {
		line("   MAC = %s", ifc.MAC)
	}
	var st []string
	if ifc.Up {
		st = append(st, "UP")
	} else {
		st = append(st, "DOWN")
	}
	if ifc.Running {
		st = append(st, "RUNNING")
	}
	line("   State = %s", strings.Join(st, ", "))
	line("   MTU = %d", ifc.MTU)
	if len(ifc.Tracking) > 0 {
		line("   Tracking VRRP instances :")
		for _, t := range ifc.Tracking {
			line("     %s, weight %d%s", t.Name, t.Weight, reverseWord(t.Reverse))
		}
	}
}

// writeVRRPStats writes keepalived.stats (SIGUSR2, and STATS_CLEAR before
// the counters are zeroed), one block per instance in configuration
// order.
func writeVRRPStats(w io.Writer, snap vrrpSnapshot) error {
	bw := bufio.NewWriter(w)
	for _, vi := range snap.Instances {
		s := vi.Stats
		fmt.Fprintf(bw, "VRRP Instance: %s\n", vi.Name)
		fmt.Fprintf(bw, "  Advertisements:\n")
		fmt.Fprintf(bw, "    Received: %d\n", s.AdvertRcvd)
		fmt.Fprintf(bw, "    Sent: %d\n", s.AdvertSent)
		fmt.Fprintf(bw, "  Became master: %d\n", s.BecomeMaster)
		fmt.Fprintf(bw, "  Released master: %d\n", s.ReleaseMaster)
		fmt.Fprintf(bw, "  Packet Errors:\n")
		fmt.Fprintf(bw, "    Length: %d\n", s.PacketLenErr)
		fmt.Fprintf(bw, "    TTL: %d\n", s.IPTTLErr)
		fmt.Fprintf(bw, "    Invalid Type: %d\n", s.InvalidTypeRcvd)
		fmt.Fprintf(bw, "    Advertisement Interval: %d\n", s.AdvertIntervalErr)
		fmt.Fprintf(bw, "    Address List: %d\n", s.AddrListErr)
		fmt.Fprintf(bw, "  Authentication Errors:\n")
		fmt.Fprintf(bw, "    Invalid Type: %d\n", s.InvalidAuthType)
		fmt.Fprintf(bw, "    Type Mismatch: %d\n", s.AuthTypeMismatch)
		fmt.Fprintf(bw, "    Failure: %d\n", s.AuthFailure)
		fmt.Fprintf(bw, "  Priority Zero:\n")
		fmt.Fprintf(bw, "    Received: %d\n", s.PriZeroRcvd)
		fmt.Fprintf(bw, "    Sent: %d\n", s.PriZeroSent)
	}
	return bw.Flush()
}

// jsonWriter writes JSON the way keepalived's json_writer does: compact,
// '/' escaped as "\/", floats with %g.
type jsonWriter struct {
	bw    *bufio.Writer
	first bool
}

func (j *jsonWriter) sep() {
	if !j.first {
		j.bw.WriteByte(',')
	}
	j.first = false
}

func (j *jsonWriter) str(s string) {
	j.bw.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\t':
			j.bw.WriteString(`\t`)
		case '\n':
			j.bw.WriteString(`\n`)
		case '\r':
			j.bw.WriteString(`\r`)
		case '\f':
			j.bw.WriteString(`\f`)
		case '\b':
			j.bw.WriteString(`\b`)
		case '\\':
			j.bw.WriteString(`\\`)
		case '"':
			j.bw.WriteString(`\"`)
		case '/':
			j.bw.WriteString(`\/`)
		default:
			if c < 0x20 {
				fmt.Fprintf(j.bw, `\u%04x`, c)
			} else {
				j.bw.WriteByte(c)
			}
		}
	}
	j.bw.WriteByte('"')
}

func (j *jsonWriter) name(n string) {
	j.sep()
	j.str(n)
	j.bw.WriteByte(':')
}

func (j *jsonWriter) open(c byte) {
	j.bw.WriteByte(c)
	j.first = true
}

func (j *jsonWriter) close(c byte) {
	j.bw.WriteByte(c)
	j.first = false
}

func (j *jsonWriter) strField(n, v string) { j.name(n); j.str(v) }
func (j *jsonWriter) uintField(n string, v uint64) {
	j.name(n)
	j.bw.WriteString(strconv.FormatUint(v, 10))
}
func (j *jsonWriter) intField(n string, v int) { j.name(n); j.bw.WriteString(strconv.Itoa(v)) }
func (j *jsonWriter) boolField(n string, v bool) {
	j.name(n)
	j.bw.WriteString(strconv.FormatBool(v))
}

// cFloatG formats as C's %g (6 significant digits, exponent with at
// least two digits).
func cFloatG(v float64) string {
	return strconv.FormatFloat(v, 'g', 6, 64)
}
func (j *jsonWriter) floatField(n string, v float64) { j.name(n); j.bw.WriteString(cFloatG(v)) }

func (j *jsonWriter) strArray(n string, list []string) {
	if len(list) == 0 {
		return
	}
	j.name(n)
	j.open('[')
	for _, s := range list {
		j.sep()
		j.str(s)
	}
	j.close(']')
}

// writeVRRPJSON writes keepalived.json as keepalived 2.2.7 does on the
// JSON signal: an array of {"data":{...},"stats":{...}}, one per
// instance. keepalived writes nothing when there is no instance; the
// caller should then skip the file (see vrrpJSONWanted).
func writeVRRPJSON(w io.Writer, snap vrrpSnapshot) error {
	j := &jsonWriter{bw: bufio.NewWriter(w)}
	j.open('[')
	for _, vi := range snap.Instances {
		j.sep()
		j.open('{')
		j.name("data")
		j.open('{')
		j.strField("iname", vi.Name)
		j.intField("dont_track_primary", b01(vi.DontTrackPrimary))
		j.intField("skip_check_adv_addr", b01(vi.SkipCheckAdvAddr))
		j.intField("strict_mode", b01(vi.StrictMode))
		j.strField("vmac_ifname", vi.VMACName)
		switch {
		case vi.VMACName != "": // keepalived's ifp is the VMAC interface
			j.strField("ifp_ifname", vi.VMACName)
		case vi.Interface != "":
			j.strField("ifp_ifname", vi.Interface)
		}
		j.intField("master_priority", vi.MasterPriority)
		j.name("last_transition")
		fmt.Fprintf(j.bw, "%d.%06d", vi.LastTransition.Unix(), vi.LastTransition.Nanosecond()/1000)
		j.floatField("garp_delay", vi.GarpDelay.Seconds())
		j.intField("garp_refresh", int(vi.GarpRefresh/time.Second))
		j.intField("garp_rep", vi.GarpRepeat)
		j.intField("garp_refresh_rep", vi.GarpRefreshRepeat)
		j.intField("garp_lower_prio_delay", int(vi.GarpLowerPrioDelay/time.Second))
		j.intField("garp_lower_prio_rep", vi.GarpLowerPrioRepeat)
		j.intField("lower_prio_no_advert", b01(vi.LowerPrioNoAdvert))
		j.intField("higher_prio_send_advert", b01(vi.HigherPrioSendAdvert))
		j.intField("vrid", vi.VRID)
		j.intField("base_priority", vi.Priority)
		j.intField("effective_priority", vi.EffectivePriority)
		j.boolField("vipset", vi.VIPSet)
		j.boolField("promote_secondaries", vi.PromoteSecondary)
		j.floatField("adver_int", vi.AdvertInt.Seconds())
		j.floatField("master_adver_int", vi.MasterAdverInt.Seconds())
		j.intField("accept", b01(vi.Accept))
		j.boolField("nopreempt", vi.NoPreempt)
		j.intField("preempt_delay", int(vi.PreemptDelay/time.Second))
		j.intField("state", int(vi.State))
		j.intField("wantstate", int(vi.WantState))
		j.intField("version", vi.Version)
		j.boolField("smtp_alert", vi.SMTPAlert)
		j.boolField("notify_deleted", vi.NotifyDeleted)
		for _, key := range []struct{ kind, field string }{
			{"Backup", "script_backup"}, {"Master", "script_master"}, {"Fault", "script_fault"},
			{"Stop", "script_stop"}, {"Deleted", "script_deleted"}, {"Generic", "script"},
			{"Master rx lower pri", "script_master_rx_lower_pri"},
		} {
			for _, n := range vi.NotifyScripts {
				if n.Kind == key.kind {
					j.strField(key.field, n.Cmd)
				}
			}
		}
		j.strArray("vips", ipStrings(vi.VIPs))
		j.strArray("evips", ipStrings(vi.EVIPs))
		j.strArray("vroutes", vi.VRoutes)
		j.strArray("vrules", vi.VRules)
		var ifs []string
		for _, t := range vi.TrackIfs {
			ifs = append(ifs, t.Name)
		}
		j.strArray("track_ifp", ifs)
		var scripts []string
		for _, t := range vi.TrackScript {
			scripts = append(scripts, t.Cmd)
		}
		j.strArray("track_script", scripts)
		switch vi.AuthType {
		case "PASS":
			j.intField("auth_type", 1)
			j.strField("auth_data", vi.AuthPass)
		case "AH":
			j.intField("auth_type", 2)
			j.strField("auth_data", vi.AuthPass)
		default:
			j.intField("auth_type", 0)
		}
		j.close('}')
		s := vi.Stats
		j.name("stats")
		j.open('{')
		j.uintField("advert_rcvd", s.AdvertRcvd)
		j.uintField("advert_sent", s.AdvertSent)
		j.uintField("become_master", s.BecomeMaster)
		j.uintField("release_master", s.ReleaseMaster)
		j.uintField("packet_len_err", s.PacketLenErr)
		j.uintField("advert_interval_err", s.AdvertIntervalErr)
		j.uintField("ip_ttl_err", s.IPTTLErr)
		j.uintField("invalid_type_rcvd", s.InvalidTypeRcvd)
		j.uintField("addr_list_err", s.AddrListErr)
		j.uintField("invalid_authtype", s.InvalidAuthType)
		j.uintField("authtype_mismatch", s.AuthTypeMismatch)
		j.uintField("auth_failure", s.AuthFailure)
		j.uintField("pri_zero_rcvd", s.PriZeroRcvd)
		j.uintField("pri_zero_sent", s.PriZeroSent)
		j.close('}')
		j.close('}')
	}
	j.close(']')
	j.bw.WriteByte('\n')
	return j.bw.Flush()
}

// vrrpJSONWanted tells whether keepalived would write keepalived.json at
// all: it does not when there is no instance.
func vrrpJSONWanted(snap vrrpSnapshot) bool { return len(snap.Instances) > 0 }

func ipStrings(list []dumpIPAddress) []string {
	var out []string
	for _, a := range list {
		out = append(out, a.String())
	}
	return out
}
