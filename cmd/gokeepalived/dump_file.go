package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gokeepalived/gokeepalived/parser"
)

// The files keepalived 2.2.7 writes on its dump signals, by process.
const (
	dumpFileVRRPData   = "keepalived.data"        // VRRP child, SIGUSR1
	dumpFileCheckData  = "keepalived_check.data"  // checker child, SIGUSR1
	dumpFileParentData = "keepalived_parent.data" // parent, SIGUSR1
	dumpFileVRRPStats  = "keepalived.stats"       // VRRP child, SIGUSR2 and STATS_CLEAR
	dumpFileVRRPJSON   = "keepalived.json"        // VRRP child, SIGRTMIN+2
)

// dumpDir is keepalived's tmp_dir: $TMPDIR when it is an absolute path,
// else /tmp. getenv is os.Getenv outside tests.
func dumpDir(getenv func(string) string) string {
	if d := getenv("TMPDIR"); strings.HasPrefix(d, "/") {
		return d
	}
	return "/tmp"
}

// dumpNaming is what decides a dump file's name besides its base name:
// data_use_instance with the network namespace and instance names.
type dumpNaming struct {
	Dir             string // dumpDir(os.Getenv)
	DataUseInstance bool
	NetNamespace    string
	Instance        string
}

// dumpNamingFromConfig takes the naming settings from the configuration
// (data_use_instance, net_namespace, instance) and the environment.
func dumpNamingFromConfig(cfg *parser.Config, getenv func(string) string) dumpNaming {
	return dumpNaming{
		Dir:             dumpDir(getenv),
		DataUseInstance: cfg.Global.DataUseInstance,
		NetNamespace:    cfg.Root.NetNamespace,
		Instance:        cfg.Root.Instance,
	}
}

// dumpPath is the full path of dump file base (one of the dumpFile*
// names). With data_use_instance and a namespace or instance name, the
// ".data" files (only those: keepalived 2.2.7 builds the stats and JSON
// names without them) become e.g. keepalived.NS_INST.data.
func (n dumpNaming) dumpPath(base string) string {
	dir := n.Dir
	if dir == "" {
		dir = "/tmp"
	}
	if n.DataUseInstance && strings.HasSuffix(base, ".data") && (n.NetNamespace != "" || n.Instance != "") {
		stem := strings.TrimSuffix(base, ".data")
		tag := n.NetNamespace
		if n.NetNamespace != "" && n.Instance != "" {
			tag += "_"
		}
		tag += n.Instance
		base = stem + "." + tag + ".data"
	}
	return filepath.Join(dir, base)
}

// dumpPath is the path of the file that dump kind k is written to.
func dumpPath(k dumpFileKind, n dumpNaming) string { return n.dumpPath(k.base()) }

// dumpFileKind names a dump file independently of the process.
type dumpFileKind int

const (
	dumpKindVRRPData dumpFileKind = iota
	dumpKindCheckData
	dumpKindParentData
	dumpKindVRRPStats
	dumpKindVRRPJSON
)

func (k dumpFileKind) base() string {
	switch k {
	case dumpKindVRRPData:
		return dumpFileVRRPData
	case dumpKindCheckData:
		return dumpFileCheckData
	case dumpKindParentData:
		return dumpFileParentData
	case dumpKindVRRPStats:
		return dumpFileVRRPStats
	case dumpKindVRRPJSON:
		return dumpFileVRRPJSON
	}
	return "keepalived.unknown"
}

// writeDumpFile writes a dump as keepalived's fopen_safe does: into a new
// file of mode 0600 beside path, renamed over path when complete, so that
// no reader ever sees a half-written dump and nobody who had the old file
// open can read the new content. A symlink at path is replaced, not
// followed.
func writeDumpFile(path string, write func(io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("Can't open dump file %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	// CreateTemp already uses 0600; make it so whatever the umask.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("dump file %s: %w", path, err)
	}
	bw := bufio.NewWriter(f)
	werr := write(bw)
	if werr == nil {
		werr = bw.Flush()
	}
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		return fmt.Errorf("writing dump file %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("dump file %s: %w", path, err)
	}
	return nil
}

// dumpLogMessage is the line a process logs when it writes dump k, in
// keepalived's words; clear is STATS_CLEAR.
func dumpLogMessage(k dumpFileKind, clear bool, pid int) string {
	switch k {
	case dumpKindVRRPData:
		return fmt.Sprintf("Printing VRRP data for process(%d) on signal", pid)
	case dumpKindCheckData:
		return fmt.Sprintf("Printing checker data for process(%d) on signal", pid)
	case dumpKindParentData:
		return fmt.Sprintf("Printing parent data for process(%d) on signal", pid)
	case dumpKindVRRPStats:
		if clear {
			return fmt.Sprintf("Printing and clearing VRRP stats for process(%d) on signal", pid)
		}
		return fmt.Sprintf("Printing VRRP stats for process(%d) on signal", pid)
	case dumpKindVRRPJSON:
		return fmt.Sprintf("Printing VRRP as json for process(%d) on signal", pid)
	}
	return fmt.Sprintf("Printing data for process(%d) on signal", pid)
}
