package vrrp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// NodeConfig is what a Node runs on: the configuration and the OS edges.
// NewLinuxNodeConfig (node_linux.go) fills the edges for this machine;
// tests put in-memory ones.
type NodeConfig struct {
	Config *parser.Config
	// Logger receives keepalived's log lines; nil means slog.Default().
	Logger *slog.Logger
	// LogDetail is keepalived's -D: also log the detail lines (setting
	// VIPs, sending gratuitous ARPs...).
	LogDetail bool
	// Addrs installs VIPs, eVIPs, routes and rules.
	Addrs AddressManager
	// Notifier receives state changes; nil logs them (LogNotifier).
	Notifier Notifier
	// OpenConn opens the advert socket of one interface/family/mode.
	OpenConn func(ConnConfig) (AdvertConn, error)
	// Announce sends one gratuitous ARP (IPv4) or unsolicited NA (IPv6)
	// for addr out of iface.
	Announce func(iface string, addr netip.Addr) error
	// SourceAddr is the address adverts of an instance leave from when no
	// unicast_src_ip / mcast_src_ip is set: the interface's primary IPv4
	// or its IPv6 link-local. Invalid puts the instance in FAULT.
	SourceAddr func(iface string, ipv6 bool) netip.Addr

	// Optional tracking edges; nil leaves that kind of probe out (its
	// objects keep their start-up state).
	//
	// LinkStates and WatchLinks follow track_interface and the instances'
	// own interfaces.
	LinkStates func(names map[string]bool) map[string]bool
	WatchLinks func(ctx context.Context, names map[string]bool, initial map[string]bool, report func(string, bool)) error
	// WatchFiles follows track_file values (inotify on Linux).
	WatchFiles bool
	// ProcDir enables vrrp_track_process by scanning this proc file
	// system every ProcessScanInterval (default 1 s).
	ProcDir             string
	ProcessScanInterval time.Duration
	// RunScript runs vrrp_script checks; nil disables them (the machine
	// then holds weight-0 scripts in their initial state).
	RunScript scriptExecFunc
	// WatchAddrs reports every address added or removed on the host until
	// ctx ends; nil leaves source addresses fixed at start and VIPs
	// removed by someone else unnoticed.
	WatchAddrs func(ctx context.Context, report func(AddrUpdate)) error
	// SetupVMAC creates the macvlan of a use_vmac instance before its
	// socket is opened; the function it returns removes it at the end of
	// Run. Nil ignores use_vmac (addresses and adverts then use the VMAC
	// name, which must exist).
	SetupVMAC func(vi *parser.VRRPInstance) (func(), error)

	// ReleaseVIPs is keepalived's -X (--release-vips): an instance leaving
	// MASTER removes the VIPs it holds even when its state says they
	// were not set (static.go).
	ReleaseVIPs bool
	// DontReleaseVRRP is keepalived's -V (--dont-release-vrrp): at
	// shutdown no priority-0 advert, VIPs, virtual routes, rules and VMACs
	// stay; removing addresses tries every configured one, ours or not.
	DontReleaseVRRP bool
	// Firewall blocks the VIPs of a MASTER with accept off (no_accept or
	// strict mode, not the owner); Run closes it when it ends. Nil logs
	// keepalived's "firewall needed" warning and leaves the VIPs open.
	Firewall Firewall
}

// AddrUpdate is one address appearing on or leaving an interface.
type AddrUpdate struct {
	Dev    string
	Prefix netip.Prefix
	New    bool
}

// Node runs the VRRP instances of one configuration: one goroutine owns
// the state machine and executes its actions; sockets, tracking probes and
// notifications feed it or are fed by it from goroutines of their own.
type Node struct {
	cfg   NodeConfig
	log   *slog.Logger
	m     *Machine
	pacer *GARPPacer

	insts  map[string]*nodeInstance
	byConn map[*nodeConn][]*nodeInstance
	conns  []*nodeConn

	events   chan nodeEvent
	loopDone chan struct{} // closed when Run stops reading events
	notify   *notifyQueue

	// srcs are the advert sources of instances without a configured one,
	// as last told to the machine.
	srcs map[string]netip.Addr
	// garpDev is the device each announced address leaves from, by
	// "instance|address", when it differs from the pacing interface.
	garpDev map[string]string

	// calls run functions inside the event loop (Snapshot, Reload);
	// ready is closed when the loop starts reading them.
	calls chan func()
	ready chan struct{}
	// running is set when Run begins; endLoop closes loopDone once.
	running atomic.Bool
	endLoop func()
	// runCtx and runWG are Run's: goroutines started later (a reload's
	// new sockets and probes) join them. probeCancel stops the probes of
	// the current configuration.
	runCtx      context.Context
	runWG       *sync.WaitGroup
	probeCancel context.CancelFunc
	// vmacUndo removes the VMAC set up for an instance, by name.
	vmacUndo map[string]func()
	// statics are static_ipaddress/routes/rules (static.go).
	statics *installedSet

	mu        sync.Mutex
	states    map[string]State
	lastTrans map[string]time.Time
	// noAcceptWarned avoids repeating the no_accept warning.
	noAcceptWarned bool
}

// nodeInstance is what the runner keeps for one vrrp_instance next to the
// machine's state: its codec halves, its socket and its installed objects.
type nodeInstance struct {
	cfg     *parser.VRRPInstance
	enc     *Encoder
	val     *Validator
	conn    *nodeConn
	vips    *installedSet
	evips   *installedSet
	routes  *installedSet
	rules   *installedSet
	peers   []netip.Addr
	skipVIP bool // skip_check_adv_addr
	ipv6    bool
	// fw are the addresses this instance has in the firewall; fwSet says
	// they are there.
	fw    []FirewallAddr
	fwSet bool
}

type nodeConn struct {
	key  string
	cfg  ConnConfig
	conn AdvertConn
}

// nodeEvent is something for the instance goroutine: a received packet or
// a state machine event from a probe.
type nodeEvent struct {
	conn *nodeConn
	rx   Received
	ev   Event
	addr *AddrUpdate
}

// NewNode checks the configuration and prepares the instances; nothing is
// opened or changed on the host until Run.
func NewNode(cfg NodeConfig) (*Node, error) {
	if cfg.Config == nil {
		return nil, errors.New("vrrp: node needs a configuration")
	}
	if cfg.Addrs == nil || cfg.OpenConn == nil {
		return nil, errors.New("vrrp: node needs an address manager and an advert socket opener")
	}
	n := &Node{cfg: cfg, log: cfg.Logger, insts: map[string]*nodeInstance{}, byConn: map[*nodeConn][]*nodeInstance{},
		events: make(chan nodeEvent, 1024), loopDone: make(chan struct{}), states: map[string]State{},
		srcs: map[string]netip.Addr{}, garpDev: map[string]string{}, calls: make(chan func()), ready: make(chan struct{}),
		vmacUndo: map[string]func(){}, lastTrans: map[string]time.Time{}}
	if n.log == nil {
		n.log = slog.Default()
	}
	if cfg.Notifier == nil {
		n.cfg.Notifier = LogNotifier{Logger: n.log}
	}
	n.notify = newNotifyQueue(n.cfg.Notifier)
	n.endLoop = sync.OnceFunc(func() { close(n.loopDone) })
	return n, nil
}

// States reports the state of every instance (for tests and dumps); it is
// safe to call from any goroutine.
func (n *Node) States() map[string]State {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make(map[string]State, len(n.states))
	for k, v := range n.states {
		out[k] = v
	}
	return out
}

func (n *Node) logf(detail bool, format string, args ...any) {
	if detail && !n.cfg.LogDetail {
		return
	}
	n.log.Info(fmt.Sprintf(format, args...))
}

// instanceDev is the device an instance's addresses go on by default.
func instanceDev(vi *parser.VRRPInstance) string {
	if vi.UseVMAC {
		if vi.VMACName != "" {
			return vi.VMACName
		}
		return fmt.Sprintf("vrrp.%d", vi.VRID)
	}
	return vi.Interface
}

func (n *Node) sourceOf(vi *parser.VRRPInstance) netip.Addr {
	if vi.SrcIP.IsValid() {
		return vi.SrcIP
	}
	if n.cfg.SourceAddr == nil || vi.Interface == "" {
		return netip.Addr{}
	}
	return n.cfg.SourceAddr(vi.Interface, vi.Family == 6)
}

// setup builds the machine and every instance's codec, sockets and
// installed sets.
func (n *Node) setup() error {
	c := n.cfg.Config
	n.logFirewallChoice(c)
	m, err := NewMachine(c, n.facts(c))
	if err != nil {
		return fmt.Errorf("vrrp: %w", err)
	}
	n.m = m
	n.pacer = NewGARPPacer(c)

	conns := map[string]*nodeConn{}
	for _, vi := range c.Instances {
		if vi.UseVMAC && n.cfg.SetupVMAC != nil {
			undo, err := n.cfg.SetupVMAC(vi)
			if err != nil {
				return err
			}
			n.vmacUndo[vi.Name] = undo
		}
		ni, err := n.newInstance(vi)
		if err != nil {
			return err
		}
		cc := n.connConfig(vi)
		key := connKey(cc)
		nc := conns[key]
		if nc == nil {
			ac, err := n.cfg.OpenConn(cc)
			if err != nil {
				return fmt.Errorf("vrrp: (%s) advert socket on %s: %w", vi.Name, cc.Interface, err)
			}
			nc = &nodeConn{key: key, cfg: cc, conn: ac}
			conns[key] = nc
			n.conns = append(n.conns, nc)
		}
		ni.conn = nc
		n.byConn[nc] = append(n.byConn[nc], ni)
		n.insts[vi.Name] = ni
		if !vi.SrcIP.IsValid() {
			n.srcs[vi.Name] = n.sourceOf(vi)
		}
	}
	return nil
}

// connKey identifies a socket: instances with the same key share it, and
// a reload keeps a socket whose key is still used.
func connKey(cc ConnConfig) string {
	return fmt.Sprintf("%s|%v|%v|%v|%v", cc.Interface, cc.IPv6, cc.AH, cc.Group, cc.UnicastSrc)
}

// facts reads what the machine needs at Start (or Reload) for c.
func (n *Node) facts(c *parser.Config) Facts {
	facts := Facts{
		SourceAddr: func(name string) netip.Addr {
			for _, vi := range c.Instances {
				if vi.Name == name {
					return n.sourceOf(vi)
				}
			}
			return netip.Addr{}
		},
	}
	if n.cfg.LinkStates != nil {
		states := n.cfg.LinkStates(n.trackedLinks())
		facts.InterfaceUp = func(name string) bool { return states[name] }
	}
	if n.cfg.WatchFiles {
		w := n.fileWatcher()
		vals := w.Values()
		facts.TrackFileValue = func(name string) int64 { return vals[name] }
	}
	if n.cfg.ProcDir != "" {
		counts := n.processScanner().Counts()
		facts.ProcessCount = func(name string) int { return counts[name] }
	}
	return facts
}

func (n *Node) connConfig(vi *parser.VRRPInstance) ConnConfig {
	g := n.cfg.Config.Global
	cc := ConnConfig{Interface: vi.Interface, IPv6: vi.Family == 6, AH: vi.Auth != nil && vi.Auth.Type == "AH",
		RcvBuf: int(vi.KernelRxBufSize)}
	if vi.UseVMAC && !vi.VMACXmitBase {
		cc.Interface = instanceDev(vi)
	}
	switch {
	case vi.McastDstIP.IsValid():
		cc.Group = vi.McastDstIP
	case cc.IPv6 && g.VRRPMcastGroup6.IsValid():
		cc.Group = g.VRRPMcastGroup6
	case !cc.IPv6 && g.VRRPMcastGroup4.IsValid():
		cc.Group = g.VRRPMcastGroup4
	}
	src := n.sourceOf(vi)
	if vi.Unicast {
		cc.UnicastSrc = src
		if vi.UnicastTTL > 0 {
			cc.UnicastHopLimit = vi.UnicastTTL
		}
	} else if cc.IPv6 {
		cc.Src = src
	}
	return cc
}

func (n *Node) newInstance(vi *parser.VRRPInstance) (*nodeInstance, error) {
	ni := &nodeInstance{cfg: vi, ipv6: vi.Family == 6,
		skipVIP: vi.SkipCheckAdvAddr || n.cfg.Config.Global.SkipCheckAdvAddr}
	dev := instanceDev(vi)
	var vipAddrs []netip.Addr
	var vips, evips []Address
	for _, a := range vi.VIPs {
		vips = append(vips, addressFromConfig(a, dev))
		vipAddrs = append(vipAddrs, a.Addr.Addr())
	}
	for _, a := range vi.EVIPs {
		evips = append(evips, addressFromConfig(a, dev))
	}
	var routes []VirtualRoute
	for _, r := range vi.Routes {
		routes = append(routes, VirtualRoute{Config: r})
	}
	var rules []VirtualRule
	for _, r := range vi.Rules {
		rules = append(rules, VirtualRule{Config: r})
	}
	ni.vips = newInstalledSet(n.cfg.Addrs, vips, nil, nil)
	ni.evips = newInstalledSet(n.cfg.Addrs, evips, nil, nil)
	ni.routes = newInstalledSet(n.cfg.Addrs, nil, routes, nil)
	ni.rules = newInstalledSet(n.cfg.Addrs, nil, nil, rules)

	var peers []UnicastPeer
	for _, p := range vi.UnicastPeers {
		ni.peers = append(ni.peers, p.Addr)
		peers = append(peers, UnicastPeer{Addr: p.Addr, MinTTL: p.MinTTL, MaxTTL: p.MaxTTL})
	}
	var authType AuthType
	var authData [AuthDataLen]byte
	if vi.Auth != nil && vi.Auth.Pass != "" {
		switch vi.Auth.Type {
		case "PASS":
			authType = AuthPass
		case "AH":
			authType = AuthAH
		}
		authData = PassAuthData(vi.Auth.Pass)
	}
	interval := time.Duration(vi.AdvertInt) * time.Microsecond
	g := n.cfg.Config.Global
	compat := ChecksumCompatNone
	switch vi.OldUnicastChecksum {
	case "config":
		compat = ChecksumCompatConfig
	case "never":
		compat = ChecksumCompatNever
	}
	ni.val = NewValidator(ValidatorConfig{Name: vi.Name, IPv6: ni.ipv6, Version: uint8(vi.Version), VRID: uint8(vi.VRID),
		Interval: interval, AuthType: authType, AuthData: authData, VIPs: vipAddrs, Peers: peers,
		CheckUnicastSrc: vi.CheckUnicastSrc || g.CheckUnicastSrc, ChecksumCompat: compat,
		MulticastGroup4: g.VRRPMcastGroup4})

	src := n.sourceOf(vi)
	if src.IsValid() {
		ttl := uint8(0)
		if vi.Unicast && vi.UnicastTTL > 0 {
			ttl = uint8(vi.UnicastTTL)
		}
		cc := n.connConfig(vi)
		enc, err := NewEncoder(EncoderConfig{Version: uint8(vi.Version), VRID: uint8(vi.VRID), Interval: interval,
			Addrs: vipAddrs, AuthType: authType, AuthData: authData, Src: src, Group: cc.Group, Peers: ni.peers,
			TTL: ttl, OldUnicastChecksum: compat == ChecksumCompatConfig, OldChecksumGroup: g.VRRPMcastGroup4})
		if err != nil {
			return nil, fmt.Errorf("vrrp: (%s) %w", vi.Name, err)
		}
		ni.enc = enc
	}
	return ni, nil
}

// trackedLinks is every interface a state machine may ask about.
func (n *Node) trackedLinks() map[string]bool {
	names := map[string]bool{}
	for _, vi := range n.cfg.Config.Instances {
		if vi.Interface != "" {
			names[vi.Interface] = true
		}
		for _, t := range vi.TrackInterfaces {
			names[t.Name] = true
		}
		for _, a := range append(append([]*parser.IPAddress{}, vi.VIPs...), vi.EVIPs...) {
			if a.Dev != "" {
				names[a.Dev] = true
			}
		}
	}
	for _, g := range n.cfg.Config.SyncGroups {
		for _, t := range g.TrackInterfaces {
			names[t.Name] = true
		}
	}
	return names
}

// send hands a probe's event to the instance goroutine; after Run has
// stopped reading, the event is dropped rather than blocking the probe.
func (n *Node) send(ev Event) {
	select {
	case n.events <- nodeEvent{ev: ev}:
	case <-n.loopDone:
	}
}

// Run executes the instances until ctx ends, then shuts down as keepalived
// does on SIGTERM: masters send a priority-0 advert and remove their
// addresses, STOP notifications are delivered, sockets are closed. A Node
// runs once.
func (n *Node) Run(ctx context.Context) error {
	n.running.Store(true)
	defer n.endLoop()
	defer n.closeFirewall()
	defer func() {
		if n.cfg.DontReleaseVRRP {
			return
		}
		for _, undo := range n.vmacUndo {
			undo()
		}
	}()
	if err := n.setup(); err != nil {
		n.closeConns()
		return err
	}
	defer n.closeConns()

	// Notifications outlive ctx a little so STOP scripts still run.
	nctx, ncancel := context.WithCancel(context.WithoutCancel(ctx))
	defer ncancel()
	nstop := make(chan struct{})
	go n.notify.run(nctx, nstop)

	pctx, pcancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	n.runCtx, n.runWG = pctx, &wg
	defer func() {
		n.endLoop()
		pcancel()
		wg.Wait()
	}()
	for _, c := range n.conns {
		n.startReceive(c)
	}
	n.startProbes()
	if n.cfg.WatchAddrs != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := n.cfg.WatchAddrs(pctx, func(u AddrUpdate) {
				select {
				case n.events <- nodeEvent{addr: &u}:
				case <-pctx.Done():
				}
			}); err != nil {
				n.log.Warn(err.Error())
			}
		}()
	}
	close(n.ready)

	n.startStatics()
	n.exec(n.m.Handle(time.Now(), Start{}))
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		n.armTimer(timer)
		select {
		case <-ctx.Done():
			n.exec(n.shutdownActions(n.m.Handle(time.Now(), Shutdown{})))
			n.stopStatics()
			n.updateStates()
			close(nstop)
			select {
			case <-n.notify.done:
			case <-time.After(5 * time.Second):
				n.log.Warn("notifications still running at shutdown")
			}
			return nil
		case <-timer.C:
			now := time.Now()
			if d, ok := n.m.NextDeadline(); ok && !now.Before(d) {
				n.exec(n.m.Handle(now, Timer{}))
			}
			for _, t := range n.pacer.Due(now) {
				n.announce(t)
			}
		case f := <-n.calls:
			f()
		case e := <-n.events:
			switch {
			case e.ev != nil:
				n.exec(n.m.Handle(time.Now(), e.ev))
			case e.addr != nil:
				n.addrChanged(*e.addr)
			default:
				n.received(e.conn, e.rx)
			}
		}
	}
}

func (n *Node) armTimer(t *time.Timer) {
	next, ok := n.m.NextDeadline()
	if p, pok := n.pacer.NextDeadline(); pok && (!ok || p.Before(next)) {
		next, ok = p, true
	}
	d := time.Hour
	if ok {
		d = time.Until(next)
		if d < 0 {
			d = 0
		}
	}
	t.Reset(d)
}

func (n *Node) closeConns() {
	for _, c := range n.conns {
		_ = c.conn.Close()
	}
}

// receive reads one socket and hands every packet to the instance goroutine.
func (n *Node) receive(ctx context.Context, c *nodeConn) {
	for {
		rx, err := c.conn.Receive(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, ErrConnClosed) {
				return
			}
			n.log.Warn("advert socket receive", "interface", c.cfg.Interface, "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		select {
		case n.events <- nodeEvent{conn: c, rx: rx}:
		case <-ctx.Done():
			return
		}
	}
}

// received validates a packet for the instance its VRID (and, for unicast,
// its source) names and feeds the verdict to the machine.
func (n *Node) received(c *nodeConn, rx Received) {
	vrid, ok := PeekVRID(rx.Data, rx.IPv6)
	if !ok {
		return
	}
	var ni *nodeInstance
	for _, cand := range n.byConn[c] {
		if cand.cfg.VRID != int(vrid) {
			continue
		}
		if len(cand.peers) > 0 && len(n.byConn[c]) > 1 && !containsAddr(cand.peers, rx.Src) {
			continue
		}
		ni = cand
		break
	}
	if ni == nil {
		return
	}
	st, _ := n.m.Status(ni.cfg.Name)
	if st.State != StateMaster && st.State != StateBackup {
		return
	}
	checkVIPs := st.State == StateMaster || !ni.skipVIP || rx.Src != st.MasterAddr
	res := ni.val.Check(rx, checkVIPs)
	if res.Log != "" {
		n.log.Info(res.Log)
	}
	if res.SwitchedToOldChecksum && ni.enc != nil {
		n.log.Info(fmt.Sprintf("(%s) Setting unicast VRRPv3 checksum to old version", ni.cfg.Name))
		ni.enc.SetOldUnicastChecksum(true)
	}
	ar := AdvertReceived{Instance: ni.cfg.Name, Src: rx.Src, Rejected: res.Verdict != Accept}
	if a := res.Advert(); a != nil {
		ar.Priority = int(a.Priority)
		ar.Interval = a.Duration()
	}
	n.exec(n.m.Handle(time.Now(), ar))
}

// exec carries out the machine's actions in order. The machine's own log
// actions carry keepalived's lines about them ("setting VIPs." ...).
func (n *Node) exec(acts []Action) {
	for i, a := range acts {
		ni := n.insts[a.Instance]
		switch a.Kind {
		case ActLog:
			n.logf(a.Detail, "%s", a.Msg)
		case ActSendAdvert:
			n.sendAdvert(ni, a.Priority)
		case ActAddVIPs:
			if needsFirewall(a.Accept, ni.cfg.Priority) {
				n.fwAdd(ni)
			}
			n.logErr(ni.vips.Install())
		case ActDelVIPs:
			n.logErr(n.removeAddrs(ni.vips, a.Force))
			n.fwDel(ni)
		case ActAddEVIPs:
			n.logErr(ni.evips.Install())
		case ActDelEVIPs:
			n.logErr(n.removeAddrs(ni.evips, a.Force))
		case ActAddRoutes:
			n.logErr(ni.routes.Install())
		case ActDelRoutes:
			n.logErr(n.remove(ni.routes, a.Force))
		case ActAddRules:
			n.logErr(ni.rules.Install())
		case ActDelRules:
			n.logErr(n.remove(ni.rules, a.Force))
		case ActGARP:
			n.garp(ni, a.Repeat)
		case ActCancelGARP:
			n.pacer.Cancel(a.Instance)
			n.releaseUnset(ni, acts[i+1:])
		case ActNotify:
			n.notify.push(Notification{Instance: a.Instance, Group: a.Group, State: a.State, Type: a.NotifyType,
				Priority: a.Priority, FIFOOnly: a.FIFOOnly})
		}
	}
	n.updateStates()
}

func (n *Node) remove(s *installedSet, force bool) error {
	if force {
		return s.Purge()
	}
	return s.Remove()
}

func (n *Node) logErr(err error) {
	if err != nil {
		n.log.Warn(err.Error())
	}
}

// warnNoAccept is keepalived's warning when an instance needs the
// firewall and there is none (logged once per Node).
func (n *Node) warnNoAccept() {
	if n.noAcceptWarned {
		return
	}
	n.noAcceptWarned = true
	n.log.Info("Warning - firewall needed due to use_vmac or no_accept/strict but not configured")
}

func (n *Node) updateStates() {
	n.mu.Lock()
	defer n.mu.Unlock()
	for name := range n.insts {
		if st, ok := n.m.Status(name); ok {
			if prev, seen := n.states[name]; !seen || prev != st.State {
				n.lastTrans[name] = time.Now()
			}
			n.states[name] = st.State
		}
	}
}

func (n *Node) sendAdvert(ni *nodeInstance, prio int) {
	if ni == nil {
		return
	}
	if ni.enc == nil {
		if src := n.sourceOf(ni.cfg); src.IsValid() {
			if ni2, err := n.newInstance(ni.cfg); err == nil {
				ni.enc = ni2.enc
			}
		}
		if ni.enc == nil {
			return
		}
	}
	dgs, err := ni.enc.Build(uint8(prio))
	if err != nil {
		n.log.Warn(fmt.Sprintf("(%s) cannot build advert: %v", ni.cfg.Name, err))
		return
	}
	for _, dg := range dgs {
		if err := ni.conn.conn.Send(dg); err != nil {
			n.log.Warn(fmt.Sprintf("(%s) send advert to %s: %v", ni.cfg.Name, dg.Dst, err))
		}
	}
}

// garp announces the instance's installed VIPs then eVIPs, repeat rounds,
// through the pacer.
func (n *Node) garp(ni *nodeInstance, repeat int) {
	if ni == nil || repeat <= 0 {
		return
	}
	var targets []GARPTarget
	for _, set := range []*installedSet{ni.vips, ni.evips} {
		for _, a := range set.addrs {
			if !set.Owned(a) {
				continue
			}
			// The pacer spaces frames per base interface (the parent of a
			// VMAC); the frame itself leaves from the address's device.
			base := a.Dev
			if ni.cfg.UseVMAC && a.Dev == instanceDev(ni.cfg) {
				base = ni.cfg.Interface
			}
			n.garpDev[ni.cfg.Name+"|"+a.Prefix.Addr().String()] = a.Dev
			targets = append(targets, GARPTarget{Instance: ni.cfg.Name, Addr: a.Prefix.Addr(), Interface: base})
			what := "gratuitous ARPs"
			if a.Prefix.Addr().Is6() {
				what = "Unsolicited Neighbour Adverts"
			}
			n.logf(true, "(%s) Sending/queueing %s on %s for %s", ni.cfg.Name, what, a.Dev, a.Prefix.Addr())
		}
	}
	for _, t := range n.pacer.Burst(time.Now(), targets, repeat) {
		n.announce(t)
	}
}

func (n *Node) announce(t GARPTarget) {
	if n.cfg.Announce == nil {
		return
	}
	if dev, ok := n.garpDev[t.Instance+"|"+t.Addr.String()]; ok {
		t.Interface = dev
	}
	if t.Addr.Is4() {
		n.logf(true, "Sending gratuitous ARP on %s for %s", t.Interface, t.Addr)
	} else {
		n.logf(true, "Sending unsolicited Neighbour Advert on %s for %s", t.Interface, t.Addr)
	}
	if err := n.cfg.Announce(t.Interface, t.Addr); err != nil {
		n.log.Warn(fmt.Sprintf("gratuitous ARP/NA on %s for %s: %v", t.Interface, t.Addr, err))
	}
}

// startReceive starts the goroutine reading one socket until Run ends or
// the socket is closed.
func (n *Node) startReceive(c *nodeConn) {
	n.runWG.Add(1)
	go func() {
		defer n.runWG.Done()
		n.receive(n.runCtx, c)
	}()
}

// startProbes starts the tracking goroutines the configuration needs; a
// reload stops them (probeCancel) and starts those of the new one.
func (n *Node) startProbes() {
	ctx, cancel := context.WithCancel(n.runCtx)
	n.probeCancel = cancel
	wg := n.runWG
	c := n.cfg.Config
	if n.cfg.RunScript != nil {
		used := map[string]bool{}
		for _, vi := range c.Instances {
			for _, t := range vi.TrackScripts {
				used[t.Name] = true
			}
		}
		for _, g := range c.SyncGroups {
			for _, t := range g.TrackScripts {
				used[t.Name] = true
			}
		}
		for _, s := range c.VRRPScripts {
			if !used[s.Name] || s.Script == nil {
				continue
			}
			tr := newScriptTracker(s, n.cfg.RunScript, func(name string, o scriptOutcome) {
				n.send(ScriptResult{Script: name, ExitStatus: o.ExitStatus, Signal: o.Signal, TimedOut: o.TimedOut})
			}, n.log)
			wg.Add(1)
			go func() { defer wg.Done(); tr.Run(ctx) }()
		}
	}
	if n.cfg.WatchLinks != nil {
		names := n.trackedLinks()
		initial := map[string]bool{}
		if n.cfg.LinkStates != nil {
			initial = n.cfg.LinkStates(names)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := n.cfg.WatchLinks(ctx, names, initial, func(name string, up bool) {
				n.send(InterfaceChanged{Name: name, Up: up})
			}); err != nil {
				n.log.Warn(err.Error())
			}
		}()
	}
	if n.cfg.WatchFiles && len(c.TrackFiles) > 0 {
		w := n.fileWatcher()
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.Run(ctx); err != nil {
				n.log.Warn(err.Error())
			}
		}()
	}
	if n.cfg.ProcDir != "" && len(c.TrackProcesses) > 0 {
		s := n.processScanner()
		initial := s.Counts()
		wg.Add(1)
		go func() { defer wg.Done(); s.Run(ctx, initial) }()
	}
}

func (n *Node) fileWatcher() *trackFileWatcher {
	files := map[string]string{}
	for _, f := range n.cfg.Config.TrackFiles {
		files[f.Name] = f.File
	}
	return &trackFileWatcher{files: files, log: n.log, report: func(name string, v int64) {
		n.send(TrackFileChanged{Name: name, Value: v})
	}}
}

func (n *Node) processScanner() *processScanner {
	iv := n.cfg.ProcessScanInterval
	if iv <= 0 {
		iv = time.Second
	}
	s := &processScanner{procDir: n.cfg.ProcDir, interval: iv, report: func(name string, count int) {
		n.send(ProcessCountChanged{Name: name, Count: count})
	}}
	for _, tp := range n.cfg.Config.TrackProcesses {
		s.matchers = append(s.matchers, newProcessMatcher(tp))
	}
	return s
}

// addrChanged follows the host's addresses: an instance without a
// configured source address follows its interface's (SourceAddrChanged),
// and a VIP or eVIP of ours that someone else removed makes a master
// resign (AddressLost), as keepalived does.
func (n *Node) addrChanged(u AddrUpdate) {
	// Our own VIPs never become a source address, so adding or removing
	// one cannot change it; other addresses are looked at once per update.
	ours := false
	for _, ni := range n.insts {
		for _, set := range []*installedSet{ni.vips, ni.evips} {
			for _, a := range set.addrs {
				if a.Prefix.Addr() == u.Prefix.Addr() {
					ours = true
				}
			}
		}
	}
	var src netip.Addr
	looked := false
	for _, vi := range n.cfg.Config.Instances {
		ni := n.insts[vi.Name]
		if !ours && !vi.SrcIP.IsValid() && vi.Interface == u.Dev && (vi.Family == 6) == u.Prefix.Addr().Is6() {
			if !looked {
				src, looked = n.sourceOf(vi), true
			}
			if src != n.srcs[vi.Name] {
				n.srcs[vi.Name] = src
				if ni.enc != nil && src.IsValid() {
					ni.enc.SetSource(src)
				}
				n.exec(n.m.Handle(time.Now(), SourceAddrChanged{Instance: vi.Name, Addr: src}))
			}
		}
		if u.New {
			continue
		}
		for _, set := range []*installedSet{ni.vips, ni.evips} {
			for _, a := range set.addrs {
				if a.Dev != u.Dev || a.Prefix.Addr() != u.Prefix.Addr() || !set.Owned(a) {
					continue
				}
				if h, ok := n.cfg.Addrs.(interface{ HasAddress(Address) (bool, error) }); ok {
					// A late notice of our own removal, the address being
					// back since: nothing was lost.
					if present, err := h.HasAddress(a); err == nil && present {
						continue
					}
				}
				set.disown(a)
				if a.NoTrack {
					continue
				}
				n.log.Info(fmt.Sprintf("(%s) ip address %s/%d dev %s, no longer exist", vi.Name, a.Prefix.Addr(),
					a.Prefix.Bits(), a.Dev))
				n.exec(n.m.Handle(time.Now(), AddressLost{Instance: vi.Name}))
			}
		}
	}
}
