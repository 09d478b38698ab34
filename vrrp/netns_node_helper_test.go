//go:build linux

package vrrp

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"syscall"
	"testing"
	"time"

	"github.com/gokeepalived/gokeepalived/notify"
	"github.com/gokeepalived/gokeepalived/parser"
)

// nodeConfEnv names the configuration file when this test binary is
// re-executed as a gokeepalived VRRP node (the daemon is a later issue).
const nodeConfEnv = "GKV_VRRP_TEST_NODE_CONF"

func TestMain(m *testing.M) {
	if conf := os.Getenv(nodeConfEnv); conf != "" {
		os.Exit(runTestNode(conf))
	}
	os.Exit(m.Run())
}

// kaTimeHandler writes "Mon Jan  2 15:04:05 2006: message" lines as
// keepalived -l does, with the attributes after the message.
type kaTimeHandler struct{ w io.Writer }

func (h kaTimeHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h kaTimeHandler) Handle(_ context.Context, r slog.Record) error {
	line := r.Time.Format("Mon Jan _2 15:04:05.000 2006") + ": " + r.Message
	r.Attrs(func(a slog.Attr) bool { line += " " + a.String(); return true })
	_, err := io.WriteString(h.w, line+"\n")
	return err
}
func (h kaTimeHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h kaTimeHandler) WithGroup(string) slog.Handler      { return h }

// runTestNode is the node process: it loads the configuration, runs a
// Node in the current network namespace and stops on SIGTERM or SIGINT.
func runTestNode(path string) int {
	log := slog.New(kaTimeHandler{os.Stderr})
	res := parser.Load(path, parser.Options{})
	for _, d := range res.Diagnostics {
		log.Info(d.String())
	}
	if res.Config == nil || res.ExitCode(false) != 0 {
		log.Error("configuration rejected")
		return 1
	}
	nc, edges, err := NewLinuxNodeConfig(res.Config, log)
	if err != nil {
		log.Error(err.Error())
		return 1
	}
	defer edges.Close()
	nc.LogDetail = true
	q := notify.NewQueue(context.Background(), notify.QueueOptions{Logger: log})
	nc.Notifier = NewScriptNotifier(res.Config, q, nil)
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = q.Drain(ctx)
	}()
	n, err := NewNode(nc)
	if err != nil {
		log.Error(err.Error())
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if path := os.Getenv("GKV_VRRP_TEST_NODE_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			_ = pprof.StartCPUProfile(f)
			defer func() { pprof.StopCPUProfile(); f.Close() }()
		}
	}
	log.Info("Starting VRRP node (gokeepalived test helper)")
	if err := n.Run(ctx); err != nil {
		log.Error(err.Error())
		return 1
	}
	log.Info("Stopped")
	return 0
}

// goNodeDaemon is this test binary re-executed as a VRRP node inside a
// host namespace.
type goNodeDaemon struct {
	ns, dir, conf string
	p             *procHandle
}

func newGoNode(t *testing.T, ns, conf string) *goNodeDaemon {
	t.Helper()
	dir := t.TempDir()
	d := &goNodeDaemon{ns: ns, dir: dir, conf: filepath.Join(dir, "keepalived.conf")}
	if err := os.WriteFile(d.conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if d.p != nil && d.p.running() {
			_ = syscall.Kill(d.p.cmd.Process.Pid, syscall.SIGKILL)
			<-d.p.done
		}
	})
	return d
}

func makeGoNode(t *testing.T, ns, conf string) vrrpDaemon { return newGoNode(t, ns, conf) }

func (d *goNodeDaemon) Kind() string { return "gokeepalived" }

func (d *goNodeDaemon) Start(t *testing.T) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	d.p = startProc(t, filepath.Join(d.dir, "log"), []string{nodeConfEnv + "=" + d.conf},
		"ip", "netns", "exec", d.ns, exe)
}

func (d *goNodeDaemon) Term(t *testing.T) { _ = d.p.cmd.Process.Signal(syscall.SIGTERM) }

func (d *goNodeDaemon) Wait(t *testing.T) { t.Helper(); d.p.wait(t, 10*time.Second) }

func (d *goNodeDaemon) Crash(t *testing.T) {
	t.Helper()
	_ = syscall.Kill(d.p.cmd.Process.Pid, syscall.SIGKILL)
	d.p.wait(t, 5*time.Second)
}

func (d *goNodeDaemon) Log() string {
	b, _ := os.ReadFile(filepath.Join(d.dir, "log"))
	return string(b)
}
