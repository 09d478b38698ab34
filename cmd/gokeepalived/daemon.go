package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"log/syslog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// daemonSettings is what the command line tells the daemon (cli-and-daemon.md §2).
type daemonSettings struct {
	ConfigFile      string
	Args            []string // the command line, for the children
	VRRPOnly        bool     // -P
	CheckOnly       bool     // -C
	All             bool     // --all
	LogConsole      bool     // -l
	LogDetail       int      // -D, counted
	NoSyslog        bool     // -G
	Facility        syslog.Priority
	DontFork        bool // -n
	DontRespawn     bool // -R
	DumpConf        bool // -d
	ReleaseVIPs     bool // -X
	DontReleaseVRRP bool // -V
	DontReleaseIPVS bool // -I
	ConfigID        string
	AllConfig       bool // -e
	Namespace       string
	Pids            pidPaths // explicit -p -r -c -b, "" for the default
	RunDir          string   // where default pid files go (/run)
	Umask           string   // -u, "" for the configuration's
	// MetricsVRRP and MetricsChecker are where the children serve
	// Prometheus metrics (gokeepalived's --metrics-listen options).
	MetricsVRRP, MetricsChecker string
}

// daemonSettingsFrom reads the daemon's options; problems are printed
// the way keepalived prints them and do not stop the daemon.
func daemonSettingsFrom(cl *commandLine, args []string, stderr io.Writer) daemonSettings {
	d := daemonSettings{Args: args, Facility: syslog.LOG_DAEMON, RunDir: "/run"}
	d.ConfigFile, _ = cl.value("use-file")
	if d.ConfigFile == "" {
		d.ConfigFile = defaultConfigFile
	}
	d.VRRPOnly, d.CheckOnly, d.All = cl.has("vrrp"), cl.has("check"), cl.has("all")
	d.LogConsole, d.LogDetail, d.NoSyslog = cl.has("log-console"), cl.count("log-detail"), cl.has("no-syslog")
	if f, ok := cl.value("log-facility"); ok {
		if p, err := parseFacility(f); err != nil {
			fmt.Fprintln(stderr, err)
		} else {
			d.Facility = p
		}
	}
	d.DontFork, d.DontRespawn, d.DumpConf = cl.has("dont-fork"), cl.has("dont-respawn"), cl.has("dump-conf")
	d.ReleaseVIPs, d.DontReleaseVRRP, d.DontReleaseIPVS = cl.has("release-vips"), cl.has("dont-release-vrrp"), cl.has("dont-release-ipvs")
	d.ConfigID, _ = cl.value("config-id")
	d.AllConfig = cl.has("all-config")
	d.Namespace, _ = cl.value("namespace")
	d.Pids.Parent, _ = cl.value("pid")
	d.Pids.VRRP, _ = cl.value("vrrp_pid")
	d.Pids.Checker, _ = cl.value("checkers_pid")
	d.Pids.BFD, _ = cl.value("bfd_pid")
	d.Umask, _ = cl.value("umask")
	d.MetricsVRRP, _ = cl.value("metrics-listen")
	d.MetricsChecker, _ = cl.value("metrics-listen-checker")
	return d
}

// pidPathsFor fills in keepalived's default pid files for what the
// command line left unset.
func (d daemonSettings) pidPathsFor(cfg *parser.Config) pidPaths {
	def := defaultPidPaths(d.RunDir, cfg.Root.Instance, cfg.Root.UsePIDDir || cfg.Root.NetNamespace != "" || d.Namespace != "")
	p := d.Pids
	for _, f := range []struct {
		got *string
		def string
	}{
		{&p.Parent, def.Parent}, {&p.VRRP, def.VRRP}, {&p.Checker, def.Checker}, {&p.BFD, def.BFD},
	} {
		if *f.got == "" {
			*f.got = f.def
		}
	}
	return p
}

// childrenFor is which children keepalived starts for a configuration:
// the checker when there is LVS configuration, VRRP when there are VRRP
// instances or static addresses, routes or rules; --all starts both and
// -P/-C suppress one.
func (d daemonSettings) childrenFor(cfg *parser.Config) []childKind {
	var kinds []childKind
	hasVRRP := len(cfg.Instances) > 0 || len(cfg.StaticAddresses) > 0 || len(cfg.StaticRoutes) > 0 || len(cfg.StaticRules) > 0
	hasLVS := len(cfg.VirtualServers) > 0
	if (hasLVS || d.All) && !d.VRRPOnly {
		kinds = append(kinds, checkerChild)
	}
	if (hasVRRP || d.All) && !d.CheckOnly {
		kinds = append(kinds, vrrpChild)
	}
	return kinds
}

// newLogger builds the process's logger: syslog under ident unless -G,
// and the console with -l (or when syslog cannot be reached in the
// foreground, so that nothing is lost silently).
func (d daemonSettings) newLogger(ident string, stderr io.Writer) *slog.Logger {
	h := &lineHandler{level: slog.LevelInfo}
	if d.LogDetail > 0 {
		h.level = slog.LevelDebug
	}
	if !d.NoSyslog {
		if s, err := newSyslogSink(d.Facility, ident); err == nil {
			h.sinks = append(h.sinks, s)
		} else if !d.LogConsole && d.DontFork {
			fmt.Fprintf(stderr, "gokeepalived: %v; logging to the console\n", err)
			d.LogConsole = true
		}
	}
	if d.LogConsole {
		h.sinks = append(h.sinks, &consoleSink{w: stderr})
	}
	return slog.New(h)
}

// identFor is keepalived's syslog ident with the namespace and instance
// suffixes.
func identFor(base string, root parser.RootSettings) string {
	var parts []string
	if root.NetNamespace != "" {
		parts = append(parts, root.NetNamespace)
	}
	if root.Instance != "" {
		parts = append(parts, root.Instance)
	}
	if len(parts) == 0 {
		return base
	}
	return base + "_" + strings.Join(parts, "_")
}

const daemonizedEnv = "GOKEEPALIVED_DAEMONIZED"

// daemonize re-executes the binary in a new session with its standard
// files on /dev/null and its working directory at /, which is what
// keepalived's fork-based xdaemon leaves; the caller then exits 0.
func daemonize(args []string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer null.Close()
	attr := &os.ProcAttr{
		Dir:   "/",
		Env:   append(os.Environ(), daemonizedEnv+"=1"),
		Files: []*os.File{null, null, null},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	}
	p, err := os.StartProcess(self, append([]string{os.Args[0]}, args...), attr)
	if err != nil {
		return err
	}
	return p.Release()
}

// runDaemon is gokeepalived without -t: keepalived's parent process.
func runDaemon(cl *commandLine, args []string, stderr io.Writer) int {
	d := daemonSettingsFrom(cl, args, stderr)
	if role := os.Getenv(childRoleEnv); role != "" {
		return runChild(d, role, stderr)
	}
	if !d.DontFork && os.Getenv(daemonizedEnv) == "" {
		if err := daemonize(args); err != nil {
			fmt.Fprintf(stderr, "gokeepalived: cannot go to the background: %v\n", err)
			return exitFatal
		}
		return 0
	}
	heap := startLeanHeap()
	res := parser.Load(d.ConfigFile, d.parseOptions())
	heap.settle()
	cfg := res.Config
	log := d.newLogger(identFor("Keepalived", cfg.Root), stderr)
	log.Info("Starting " + version)
	log.Info("Command line: '" + strings.Join(append([]string{os.Args[0]}, args...), "' '") + "'")
	log.Info("Configuration file " + d.ConfigFile)
	if code := startupProblem(res, parser.PassParent, log); code >= 0 {
		return code
	}
	ns := d.Namespace
	if ns == "" {
		ns = cfg.Root.NetNamespace
	}
	if err := enterNamespace(ns, args); err != nil {
		log.Info(err.Error())
		log.Error(fmt.Sprintf("Unable to set network namespace %s - exiting", ns))
		return exitFatal
	}
	d.applyUmask(cfg, log)
	if d.DumpConf {
		logConfig(cfg, log)
	}
	pids := d.pidPathsFor(cfg)
	kinds := d.childrenFor(cfg)
	for _, p := range append([]string{pids.Parent}, childPidFiles(pids, kinds)...) {
		if pidFileLive(p, os.Getpid()) {
			log.Info("daemon is already running")
			return 0
		}
	}
	if err := writePidFile(pids.Parent, os.Getpid()); err != nil {
		log.Error(err.Error())
		return exitFatal
	}
	defer removePidFile(pids.Parent, os.Getpid())
	if len(kinds) == 0 {
		log.Info("Warning - keepalived has no configuration to run")
	}

	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2, sigJSON, sigStatsClear)
	defer signal.Stop(sigs)
	signal.Ignore(syscall.SIGPIPE)
	self, err := os.Executable()
	if err != nil {
		log.Error(err.Error())
		return exitFatal
	}
	s := &supervisor{
		kinds:       kinds,
		launch:      execLauncher(self, args),
		log:         log,
		dontRespawn: d.DontRespawn,
		childWait:   time.Duration(cfg.Root.ChildWaitTime) * time.Microsecond,
		onReady: func() {
			_ = notifySystemd(fmt.Sprintf("READY=1\nMAINPID=%d", os.Getpid()))
		},
	}
	status := s.run(context.Background(), sigs)
	log.Info("Stopped " + version)
	return status
}

func childPidFiles(p pidPaths, kinds []childKind) []string {
	var out []string
	for _, k := range kinds {
		switch k.Role {
		case vrrpChild.Role:
			out = append(out, p.VRRP)
		case checkerChild.Role:
			out = append(out, p.Checker)
		}
	}
	return out
}

func (d daemonSettings) parseOptions() parser.Options {
	opts := parser.Options{}
	opts.AllIncludeChecks = d.AllConfig
	opts.ConfigID = d.ConfigID
	return opts
}

// startupProblem logs the configuration's diagnostics as keepalived's
// daemon does and returns the exit status when it cannot start, or -1.
func startupProblem(res *parser.Result, pass parser.Pass, log *slog.Logger) int {
	for _, diag := range res.Diagnostics {
		if diag.Process() == pass {
			log.Info(diag.String())
		}
	}
	if res.Source == nil || len(res.Config.Files) == 0 {
		return 6 // the configuration file could not be read
	}
	switch code := res.ExitCode(false); code {
	case 2, 6:
		return code
	}
	return -1
}
