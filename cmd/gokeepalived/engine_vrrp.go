package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/gokeepalived/gokeepalived/notify"
	"github.com/gokeepalived/gokeepalived/parser"
	"github.com/gokeepalived/gokeepalived/vrrp"
)

// vrrpEngine is the VRRP child: the instances, their addresses and their
// notifications.
type vrrpEngine struct {
	d    daemonSettings
	log  *slog.Logger
	node *vrrp.Node

	mu  sync.Mutex
	cfg *parser.Config
}

func newVRRPEngine(cfg *parser.Config, d daemonSettings, log *slog.Logger) (*vrrpEngine, error) {
	// Building a node checks the instances against the host before the
	// child reports ready; Run builds the one that runs.
	nc, edges, err := vrrp.NewLinuxNodeConfig(cfg, log)
	if err != nil {
		return nil, err
	}
	defer edges.Close()
	nc.Notifier = vrrp.LogNotifier{Logger: log}
	if _, err := vrrp.NewNode(nc); err != nil {
		return nil, err
	}
	return &vrrpEngine{d: d, log: log, cfg: cfg}, nil
}

func (v *vrrpEngine) Run(ctx context.Context) error {
	v.mu.Lock()
	cfg := v.cfg
	v.mu.Unlock()
	nc, edges, err := vrrp.NewLinuxNodeConfig(cfg, v.log)
	if err != nil {
		return err
	}
	defer edges.Close()
	nc.LogDetail = v.d.LogDetail > 0
	nc.ReleaseVIPs, nc.DontReleaseVRRP = v.d.ReleaseVIPs, v.d.DontReleaseVRRP

	// Notifications outlive ctx briefly so that STOP scripts run.
	nctx, ncancel := context.WithCancel(context.WithoutCancel(ctx))
	defer ncancel()
	queue := notify.NewQueue(nctx, notify.QueueOptions{Logger: v.log})
	sn := vrrp.NewScriptNotifier(cfg, queue, nil)
	// The notifier opens the FIFOs, and opens them again when a reload
	// changes them.
	sn.ManageFIFOs(func(c *parser.Config) notify.FIFOs { return openVRRPFIFOs(nctx, c, v.log) })
	defer func() { _ = sn.CloseFIFOs() }()
	var mailMu sync.Mutex
	var mailers []*notify.Mailer
	sn.EnableMail(func(mc notify.MailConfig) vrrp.MailSender {
		m := notify.NewMailer(nctx, mc, notify.MailerOptions{Logger: v.log})
		mailMu.Lock()
		mailers = append(mailers, m)
		mailMu.Unlock()
		return m
	})
	nc.Notifier = sn

	node, err := vrrp.NewNode(nc)
	if err != nil {
		return err
	}
	v.mu.Lock()
	v.node = node
	v.mu.Unlock()
	if v.d.MetricsVRRP != "" {
		go func() {
			h := metricsHandler(func(m *promSet) { collectVRRPMetrics(m, v.snapshot(false)) })
			if err := serveMetrics(ctx, v.d.MetricsVRRP, h, v.log); err != nil {
				v.log.Error(err.Error())
			}
		}()
	}
	runErr := node.Run(ctx)
	dctx, dcancel := context.WithTimeout(nctx, 2*time.Second)
	defer dcancel()
	if err := queue.Drain(dctx); err != nil {
		_ = queue.Close(dctx)
	}
	// The STOP mails get the same time as the scripts.
	mailMu.Lock()
	defer mailMu.Unlock()
	for _, m := range mailers {
		_ = m.Wait(dctx)
		_ = m.Close(dctx)
	}
	return runErr
}

// Reload applies a new configuration to the running instances, keeping
// the state of those that did not change (vrrp.Node.Reload); when it
// cannot be applied the old one runs on and the error is returned. Before
// Run has started the node, the configuration is only stored.
func (v *vrrpEngine) Reload(cfg *parser.Config) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.node != nil {
		if err := v.node.Reload(cfg); err != nil {
			return err
		}
	}
	v.cfg = cfg
	return nil
}

func (v *vrrpEngine) Dump(kind dumpKind) error {
	v.mu.Lock()
	cfg := v.cfg
	v.mu.Unlock()
	d := vrrpDumper{Naming: dumpNamingFromConfig(cfg, os.Getenv), PID: os.Getpid(), Log: v.log, Snapshot: v.snapshot}
	switch kind {
	case dumpData:
		return d.Data()
	case dumpStats:
		return d.Stats(false)
	case dumpStatsClear:
		return d.Stats(true)
	case dumpJSON:
		return d.JSON()
	}
	return fmt.Errorf("unknown dump %d", kind)
}

// snapshot is the configured view with the node's running state: each
// instance's status, counters and last transition, the scripts' results
// and the sync groups' states. clearStats zeroes the counters once read.
func (v *vrrpEngine) snapshot(clearStats bool) vrrpSnapshot {
	v.mu.Lock()
	cfg, node := v.cfg, v.node
	v.mu.Unlock()
	snap := vrrpSnapshotFromConfig(cfg)
	if node != nil {
		applyNodeSnapshot(&snap, node.Snapshot(clearStats))
	}
	return snap
}

// applyNodeSnapshot fills the running fields of a configured snapshot.
func applyNodeSnapshot(snap *vrrpSnapshot, ns vrrp.NodeSnapshot) {
	insts := map[string]vrrp.InstanceSnapshot{}
	for _, is := range ns.Instances {
		insts[is.Status.Name] = is
	}
	for i := range snap.Instances {
		d := &snap.Instances[i]
		is, ok := insts[d.Name]
		if !ok {
			continue
		}
		d.applyStatus(is.Status)
		d.ScriptsInit = is.Status.ScriptsInit
		d.Stats = dumpStatsOf(is.Stats)
		d.LastTransition = is.LastTransition
	}
	scripts := map[string]vrrp.ScriptStatus{}
	for _, s := range ns.Scripts {
		scripts[s.Name] = s
	}
	for i := range snap.Scripts {
		d := &snap.Scripts[i]
		if s, ok := scripts[d.Name]; ok {
			d.Result = s.Result
			d.InitState = s.InitState
		}
	}
	groups := map[string]vrrp.SyncGroupStatus{}
	for _, g := range ns.SyncGroups {
		groups[g.Name] = g
	}
	for i := range snap.SyncGroups {
		d := &snap.SyncGroups[i]
		if g, ok := groups[d.Name]; ok {
			d.State = dumpStateOf(g.State)
			d.NumMemberFault = g.NumMemberFault
			d.NumMemberInit = g.NumMemberInit
		}
	}
}

// dumpStatsOf converts the node's counters to the dumps' vrrp_stats.
func dumpStatsOf(s vrrp.InstanceStats) dumpVRRPStats {
	r := s.Rx
	return dumpVRRPStats{
		AdvertRcvd: r.AdvertRcvd, AdvertSent: uint64(s.AdvertSent),
		BecomeMaster: uint64(s.BecomeMaster), ReleaseMaster: uint64(s.ReleaseMaster),
		PacketLenErr: r.PacketLenErr, IPTTLErr: r.IPTTLErr, InvalidTypeRcvd: r.InvalidTypeRcvd,
		AdvertIntervalErr: r.AdvertIntervalErr, AddrListErr: r.AddrListErr, InvalidAuthType: r.InvalidAuthType,
		AuthTypeMismatch: r.AuthTypeMismatch, AuthFailure: r.AuthFailure, PriZeroRcvd: r.PriZeroRcvd,
		PriZeroSent: s.PriZeroSent,
	}
}

// openVRRPFIFOs opens notify_fifo and vrrp_notify_fifo; one that cannot be
// opened is logged and left out, as keepalived carries on without it.
func openVRRPFIFOs(ctx context.Context, cfg *parser.Config, log *slog.Logger) notify.FIFOs {
	var out notify.FIFOs
	for _, f := range []struct {
		nf   parser.NotifyFIFO
		kind string
	}{{cfg.Global.NotifyFIFO, ""}, {cfg.Global.VRRPNotifyFIFO, "vrrp_"}} {
		if f.nf.Name == "" {
			continue
		}
		fc := notify.FIFOConfig{Path: f.nf.Name, UID: -1, GID: -1, Kind: f.kind}
		if s := f.nf.Script; s != nil && !s.Disabled && len(s.Argv) > 0 {
			fc.Script = &notify.Command{Argv: s.Argv, UID: s.UID, GID: s.GID, Name: f.kind + "notify_fifo_script"}
		}
		fifo, err := notify.OpenFIFO(ctx, fc, nil, log)
		if err != nil {
			log.Error(err.Error())
			continue
		}
		out = append(out, fifo)
	}
	return out
}
