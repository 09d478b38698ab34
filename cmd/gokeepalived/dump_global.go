package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/gokeepalived/gokeepalived/parser"
)

// dumpProcess says which process writes the global section: keepalived
// prints a few lines differently in each.
type dumpProcess int

const (
	dumpParent dumpProcess = iota
	dumpVRRPChild
	dumpCheckerChild
)

// dumpGlobals is the "Global definitions" section: the configuration's
// global_defs and root settings plus what the process resolved at run
// time.
type dumpGlobals struct {
	Defs parser.GlobalDefs
	Root parser.RootSettings
	// ScriptSecurity is enable_script_security; DefaultUID/GID the
	// resolved default script user (-1 when none could be resolved).
	ScriptSecurity         bool
	DefaultUID, DefaultGID int
}

func dumpGlobalsFromConfig(cfg *parser.Config) dumpGlobals {
	g := dumpGlobals{Defs: cfg.Global, Root: cfg.Root, ScriptSecurity: cfg.Global.EnableScriptSecurity}
	// the default script user resolved by the security pass: root unless
	// script_user names another (the engine may overwrite this).
	g.DefaultUID, g.DefaultGID = 0, 0
	return g
}

// onOffUnset renders keepalived's tri-state smtp_alert settings.
func onOffUnset(b *bool) string {
	switch {
	case b == nil:
		return "unset"
	case *b:
		return "on"
	}
	return "off"
}

func tf(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func enDis(b bool) string {
	if b {
		return "enabled"
	}
	return "disabled"
}

// keepalived's PARAMETER_UNSET, printed by the parent for GARP settings
// it never resolves.
const parameterUnset = 4294967295

// writeGlobalData writes keepalived's "------< Global definitions >------"
// section (dump_global_data) as process p prints it.
func writeGlobalData(w io.Writer, g dumpGlobals, p dumpProcess) error {
	bw := bufio.NewWriter(w)
	writeGlobalLines(bw, g, p)
	return bw.Flush()
}

func writeGlobalLines(bw *bufio.Writer, g dumpGlobals, p dumpProcess) {
	d := &g.Defs
	line := func(format string, a ...any) { fmt.Fprintf(bw, format+"\n", a...) }
	line("------< Global definitions >------")
	if d.ConfigSaveDir != "" {
		line(" Config save dir = %s", d.ConfigSaveDir)
	}
	ns := g.Root.NetNamespace
	if ns == "" {
		ns = "(default)"
	}
	line(" Network namespace = %s", ns)
	nsIPVS := "(main namespace)"
	if g.Root.NetNamespaceIPVSSet {
		nsIPVS = g.Root.NetNamespaceIPVS
		if nsIPVS == "" {
			nsIPVS = "(default)"
		}
	}
	line(" Network namespace ipvs = %s", nsIPVS)
	if g.Root.Instance != "" {
		line(" Instance name = %s", g.Root.Instance)
	}
	if d.ProcessName != "" {
		line(" Parent process name = %s", d.ProcessName)
	}
	if d.VRRPProcess.Name != "" {
		line(" VRRP process name = %s", d.VRRPProcess.Name)
	}
	if d.CheckerProcess.Name != "" {
		line(" LVS process name = %s", d.CheckerProcess.Name)
	}
	if d.BFDProcess.Name != "" {
		line(" BFD process name = %s", d.BFDProcess.Name)
	}
	if d.RouterID != "" {
		line(" Router ID = %s", d.RouterID)
	}
	if s := d.SMTPServer; s != nil && s.Addr.IsValid() {
		line(" Smtp server = %s", s.Addr)
		line(" Smtp server port = %d", s.Port)
	}
	if d.SMTPHeloName != "" {
		line(" Smtp HELO name = %s", d.SMTPHeloName)
	}
	if d.SMTPConnectTimeout != 0 {
		line(" Smtp server connection timeout = %d", d.SMTPConnectTimeout/1000000)
	}
	if d.NotificationEmailFrom != "" {
		line(" Email notification from = %s", d.NotificationEmailFrom)
		line(" Email notification to:")
		for _, e := range d.NotificationEmail {
			line("   %s", e)
		}
	}
	line(" Default smtp_alert = %s", onOffUnset(d.SMTPAlert))
	line(" Default smtp_alert_vrrp = %s", onOffUnset(d.SMTPAlertVRRP))
	line(" Default smtp_alert_checker = %s", onOffUnset(d.SMTPAlertChecker))
	line(" Checkers log all failures = %s", tf(d.CheckerLogAllFailures))
	if d.ReloadCheckConfig != "" {
		line(" Test config before reload, log to %s", d.ReloadCheckConfig)
	} else {
		line(" No test config before reload")
	}
	if d.ReloadTimeFile != "" {
		rep := ""
		if d.ReloadRepeat {
			rep = " (repeat)"
		}
		line(" Reload time file = %s%s", d.ReloadTimeFile, rep)
		line(" No reload scheduled")
	}
	if d.ReloadFile != "" {
		line(" Reload_file = %s", d.ReloadFile)
	}
	if d.TmpConfigDirectory != "" {
		line(" config save directory = %s", d.TmpConfigDirectory)
	}
	if d.DataUseInstance {
		line(" Use instance name in data dumps")
	}
	if s := d.StartupScript; s != nil {
		line(" Startup script = %s, uid:gid %d:%d, timeout %d", scriptCmd(s), s.UID, s.GID, d.StartupScriptTimeout/1000000)
	}
	if s := d.ShutdownScript; s != nil {
		line(" Shutdown script = %s, uid:gid %d:%d timeout %d", scriptCmd(s), s.UID, s.GID, d.ShutdownScriptTimeout/1000000)
	}
	line(" Dynamic interfaces = %s", tf(d.DynamicInterfaces))
	if d.DynamicInterfaces {
		line(" Allow interface changes = %s", tf(d.AllowIfChanges))
	}
	if d.NoEmailFaults {
		line(" Send emails for fault transitions = off")
	}
	if t := d.LVSTimeouts.TCP; t != 0 {
		line(" LVS TCP timeout = %d", t/1000000)
	}
	if t := d.LVSTimeouts.TCPFin; t != 0 {
		line(" LVS TCP FIN timeout = %d", t/1000000)
	}
	if t := d.LVSTimeouts.UDP; t != 0 {
		// keepalived 2.2.7 labels the UDP timeout "TCP" too
		line(" LVS TCP timeout = %d", t/1000000)
	}
	if p == dumpVRRPChild {
		ifn := d.DefaultInterface
		if ifn == "" {
			ifn = "eth0"
		}
		line(" Default interface = %s", ifn)
	}
	line(" Disable local IGMP = %s", yesNo(d.DisableLocalIGMP))
	if s := d.LVSSyncDaemon; s != nil && s.Interface != "" {
		if s.Instance != "" {
			line(" LVS syncd vrrp instance = %s", s.Instance)
		}
		line(" LVS syncd interface = %s", s.Interface)
		line(" LVS syncd syncid = %d", s.SyncID)
		if s.MaxLen != 0 {
			line(" LVS syncd maxlen = %d", s.MaxLen)
		}
		if s.Group.IsValid() {
			line(" LVS mcast group %s", s.Group)
		}
		if s.Port != 0 {
			line(" LVS syncd mcast port = %d", s.Port)
		}
		if s.TTL != 0 {
			line(" LVS syncd mcast ttl = %d", s.TTL)
		}
	}
	line(" LVS flush = %s", tf(d.LVSFlush))
	switch strings.ToLower(d.LVSFlushOnStop) {
	case "full":
		line(" LVS flush on stop = full")
	case "vs":
		line(" LVS flush on stop = VS")
	default:
		line(" LVS flush on stop = disabled")
	}
	fifo := func(label string, f parser.NotifyFIFO) {
		if f.Name == "" {
			return
		}
		line(" %s notify fifo = %s, uid:gid %d:%d", label, f.Name, g.DefaultUID, g.DefaultGID)
		if s := f.Script; s != nil {
			line(" %s notify fifo script = %s, uid:gid %d:%d", label, scriptCmd(s), s.UID, s.GID)
		}
	}
	fifo("Global", d.NotifyFIFO)
	fifo("VRRP", d.VRRPNotifyFIFO)
	fifo("LVS", d.LVSNotifyFIFO)
	line(" FIFO write vrrp states on reload = %s", tf(d.FIFOWriteVRRPStatesOnReload))
	line(" VRRP notify priority changes = %s", tf(d.VRRPNotifyPriorityChanges))
	line(" VRRP IPv4 mcast group = %s", d.VRRPMcastGroup4)
	line(" VRRP IPv6 mcast group = %s", d.VRRPMcastGroup6)
	line(" Gratuitous ARP delay = %d", d.GarpMasterDelay/1000000)
	line(" Gratuitous ARP repeat = %d", d.GarpMasterRepeat)
	line(" Gratuitous ARP refresh timer = %d", d.GarpMasterRefresh/1000000)
	line(" Gratuitous ARP refresh repeat = %d", d.GarpMasterRefreshRepeat)
	lpDelay, lpRep := uint64(d.GarpLowerPrioDelay/1000000), uint64(d.GarpLowerPrioRepeat)
	if p != dumpVRRPChild {
		// only the VRRP process resolves the defaults
		if !d.GarpLowerPrioDelaySet {
			lpDelay = parameterUnset
		}
		if !d.GarpLowerPrioRepeatSet {
			lpRep = parameterUnset
		}
	}
	line(" Gratuitous ARP lower priority delay = %d", lpDelay)
	line(" Gratuitous ARP lower priority repeat = %d", lpRep)
	line(" Num adverts before down = %d", d.DownTimerAdverts)
	if d.GarpExtraIf != 0 {
		what := "VMAC"
		if d.GarpExtraIfAll {
			what = "i/f"
		}
		line(" Gratuitous ARP for each secondary %s = %ds", what, d.GarpExtraIf/1000000)
	} else {
		line(" Gratuitous ARP for each secondary VMAC = 0s")
	}
	line(" Send advert after receive lower priority advert = %s", tf(!d.LowerPrioNoAdvert))
	line(" Send advert after receive higher priority advert = %s", tf(d.HigherPrioSendAdvert))
	line(" Gratuitous ARP interval = %f", float64(d.GarpInterval)/1e6)
	line(" Gratuitous NA interval = %f", float64(d.GNAInterval)/1e6)
	line(" VRRP default protocol version = %d", d.VRRPVersion)
	if d.NFTables != "" {
		line(" nftables table name = %s", d.NFTables)
		line(" nftables base chain priority = %d", d.NFTablesPriority)
	}
	if d.NFTablesIPVS != "" {
		line(" ipvs nftables table name = %s", d.NFTablesIPVS)
		line(" ipvs nftables base chain priority = %d", d.NFTablesIPVSPriority)
		line(" ipvs nftables start fwmark = %d", d.NFTablesIPVSStartFwmark)
	}
	line(" VRRP check unicast_src = %s", tf(d.CheckUnicastSrc))
	line(" VRRP skip check advert addresses = %s", tf(d.SkipCheckAdvAddr))
	line(" VRRP strict mode = %s", tf(d.Strict))
	if d.MaxAutoPriority == -1 {
		line(" Max auto priority = Disabled")
	} else {
		line(" Max auto priority = %d", d.MaxAutoPriority)
	}
	line(" Min auto priority delay = %d usecs", d.MinAutoPriorityDelay)
	proc := func(label string, c parser.ChildProcess) {
		line(" %s process priority = %d", label, c.Priority)
		line(" %s don't swap = %s", label, tf(c.NoSwap))
		line(" %s realtime priority = %d", label, c.RTPriority)
		if len(c.CPUAffinity) > 0 {
			parts := make([]string, len(c.CPUAffinity))
			for i, cpu := range c.CPUAffinity {
				parts[i] = fmt.Sprint(cpu)
			}
			line(" %s CPU Affinity = %s", label, strings.Join(parts, " "))
		}
		line(" %s realtime limit = %d", label, c.RLimitRTTime)
	}
	proc("VRRP", d.VRRPProcess)
	proc("Checker", d.CheckerProcess)
	proc("BFD", d.BFDProcess)
	line(" SNMP vrrp %s", enDis(d.EnableSNMPVRRP))
	line(" SNMP checker %s", enDis(d.EnableSNMPChecker))
	line(" SNMP RFCv2 %s", enDis(d.EnableSNMPRFCv2))
	line(" SNMP RFCv3 %s", enDis(d.EnableSNMPRFCv3))
	line(" SNMP traps %s", enDis(d.EnableTraps))
	// the parser fills in the default; keepalived says it is one
	if d.SNMPSocket != "" && d.SNMPSocket != "unix:/var/agentx/master" {
		line(" SNMP socket = %s", d.SNMPSocket)
	} else {
		line(" SNMP socket = default (unix:/var/agentx/master)")
	}
	line(" DBus %s", enDis(d.EnableDBus))
	// keepalived prints the name only when configured; the parser fills
	// in the default
	dbusName := d.DBusServiceName
	if dbusName == "org.keepalived.Vrrp1" {
		dbusName = ""
	}
	line(" DBus service name = %s", dbusName)
	line(" Script security %s", enDis(g.ScriptSecurity))
	if g.DefaultUID >= 0 {
		line(" Default script uid:gid %d:%d", g.DefaultUID, g.DefaultGID)
	}
	bufs := func(name string, b parser.NetlinkBufs) {
		force := 0
		if b.Force {
			force = 1
		}
		line(" %s = %d", name, b.Size)
		line(" %s_force = %d", name, force)
	}
	bufs("vrrp_netlink_cmd_rcv_bufs", d.VRRPNetlinkCmdRcvBufs)
	bufs("vrrp_netlink_monitor_rcv_bufs", d.VRRPNetlinkMonitorRcvBufs)
	bufs("process_monitor_rcv_bufs", d.ProcessMonitorRcvBufs)
	bufs("lvs_netlink_cmd_rcv_bufs", d.LVSNetlinkCmdRcvBufs)
	bufs("lvs_netlink_monitor_rcv_bufs", d.LVSNetlinkMonitorRcvBufs)
	line(" rs_init_notifies = %d", b01(d.RSInitNotifies))
	line(" no_checker_emails = %d", b01(d.NoCheckerEmails))
	switch rb := d.VRRPRxBufsPolicy; {
	case rb.MTU:
		line(" rx_bufs_policy = MTU")
	case rb.Advert:
		line(" rx_bufs_policy = ADVERT")
	case rb.SizeSet:
		line(" rx_bufs_size = %d", rb.Size)
	}
	line(" rx_bufs_multiples = %d", d.VRRPRxBufsMultiplier)
	line(" umask = 0%o", d.Umask)
}

func b01(b bool) int {
	if b {
		return 1
	}
	return 0
}

// writeParentData writes keepalived_parent.data, the parent's SIGUSR1
// dump: only the global definitions, as the parent sees them.
func writeParentData(w io.Writer, g dumpGlobals) error {
	return writeGlobalData(w, g, dumpParent)
}
