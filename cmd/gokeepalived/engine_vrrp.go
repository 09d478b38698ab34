package main

import (
	"context"
	"encoding/json"
	"errors"
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

	// Notifications outlive ctx briefly so that STOP scripts run.
	nctx, ncancel := context.WithCancel(context.WithoutCancel(ctx))
	defer ncancel()
	queue := notify.NewQueue(nctx, notify.QueueOptions{Logger: v.log})
	fifos := openVRRPFIFOs(nctx, cfg, v.log)
	defer fifos.Close()
	nc.Notifier = vrrp.NewScriptNotifier(cfg, queue, fifos)

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
	return runErr
}

// errReloadUnsupported is what a VRRP reload reports when the new
// configuration changes the VRRP side: carrying instance state across such
// a reload is not built yet, and restarting the instances would drop the
// VIPs, so the running configuration is kept.
var errReloadUnsupported = errors.New("changing the VRRP configuration on reload is not supported yet; restart gokeepalived to apply it")

func (v *vrrpEngine) Reload(cfg *parser.Config) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	same, err := sameVRRPConfig(v.cfg, cfg)
	if err != nil {
		return err
	}
	if !same {
		return errReloadUnsupported
	}
	return nil
}

// sameVRRPConfig compares what the VRRP child runs from, ignoring source
// positions (an unchanged file re-read is identical).
func sameVRRPConfig(a, b *parser.Config) (bool, error) {
	pa, err := vrrpPart(a)
	if err != nil {
		return false, err
	}
	pb, err := vrrpPart(b)
	if err != nil {
		return false, err
	}
	return string(pa) == string(pb), nil
}

func vrrpPart(c *parser.Config) ([]byte, error) {
	return json.Marshal(struct {
		G                              parser.GlobalDefs
		S, F, P, SG, I, GG, SA, SR, SU any
	}{c.Global, c.VRRPScripts, c.TrackFiles, c.TrackProcesses, c.SyncGroups, c.Instances, c.GarpGroups, c.StaticAddresses, c.StaticRoutes, c.StaticRules})
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

// snapshot is the configured view with the node's running state.
func (v *vrrpEngine) snapshot(clearStats bool) vrrpSnapshot {
	v.mu.Lock()
	cfg, node := v.cfg, v.node
	v.mu.Unlock()
	snap := vrrpSnapshotFromConfig(cfg)
	if node == nil {
		return snap
	}
	states := node.States()
	for i := range snap.Instances {
		if st, ok := states[snap.Instances[i].Name]; ok {
			snap.Instances[i].applyStatus(vrrp.InstanceStatus{Name: snap.Instances[i].Name, State: st, WantState: st,
				BasePriority: snap.Instances[i].Priority, EffectivePriority: snap.Instances[i].Priority, VIPsSet: st == vrrp.StateMaster})
		}
	}
	return snap
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
