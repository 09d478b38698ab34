package parser

import (
	"net"
	"os"
	"strings"
	"sync"
)

// Config is the typed configuration: plain data with keepalived's defaults
// applied, positions kept for diagnostics. Engines read only this.
type Config struct {
	// Source file of the main configuration.
	File string `json:"file"`
	// Files lists every file read, main file first.
	Files []string `json:"files"`

	Global GlobalDefs   `json:"global_defs"`
	Root   RootSettings `json:"root"`

	// VRRP side.
	VRRPScripts     []*VRRPScript      `json:"vrrp_scripts,omitempty"`
	TrackFiles      []*TrackFile       `json:"track_files,omitempty"`
	TrackProcesses  []*TrackProcess    `json:"track_processes,omitempty"`
	SyncGroups      []*SyncGroup       `json:"vrrp_sync_groups,omitempty"`
	Instances       []*VRRPInstance    `json:"vrrp_instances,omitempty"`
	GarpGroups      []*GarpGroup       `json:"garp_groups,omitempty"`
	StaticAddresses []*IPAddress       `json:"static_ipaddress,omitempty"`
	StaticRoutes    []*Route           `json:"static_routes,omitempty"`
	StaticRules     []*Rule            `json:"static_rules,omitempty"`
	TrackGroups     []*TrackGroup      `json:"track_groups,omitempty"`
	LinkbeatIfaces  []*LinkbeatIface   `json:"linkbeat_interfaces,omitempty"`
	InterfaceDelays []*InterfaceDelays `json:"interface_up_down_delays,omitempty"`
	BFDInstances    []*BFDInstance     `json:"bfd_instances,omitempty"`

	// Checker (LVS) side.
	SSL                 *SSLContext           `json:"ssl,omitempty"`
	VirtualServerGroups []*VirtualServerGroup `json:"virtual_server_groups,omitempty"`
	VirtualServers      []*VirtualServer      `json:"virtual_servers,omitempty"`
}

// Options steers a parse the way keepalived's command line and host do.
type Options struct {
	ReadOptions
	// Host answers questions about the machine (interfaces). Nil means
	// this machine.
	Host Host
	// Scripts answers the script security check's questions (users, file
	// modes). Nil means this machine.
	Scripts ScriptSystem
	// Strict counts gokeepalived's own lint checks as errors.
	Strict bool

	// noScriptCheck lets tests of other blocks leave out the script
	// security pass, whose verdicts depend on the machine's files and users.
	noScriptCheck bool
}

// Host is what validation asks of the machine it runs on.
type Host interface {
	// InterfaceExists tells whether a network interface of that name exists.
	InterfaceExists(name string) bool
	// Hostname is the node name (uname), used for router_id and mail defaults.
	Hostname() string
}

// osHost answers from this machine. The interface list is read once per
// host value: a large configuration asks about the same few interfaces
// thousands of times, and each lookup would be a netlink dump.
type osHost struct {
	once   *sync.Once
	ifaces map[string]bool
}

func (h osHost) InterfaceExists(name string) bool {
	h.once.Do(func() {
		list, err := net.Interfaces()
		if err != nil {
			return
		}
		for _, i := range list {
			h.ifaces[i.Name] = true
		}
	})
	return h.ifaces[name]
}

func (osHost) Hostname() string {
	h, _ := os.Hostname()
	return h
}

// OSHost is the Host of the machine the program runs on.
func OSHost() Host { return osHost{once: &sync.Once{}, ifaces: map[string]bool{}} }

// Result is everything one parse produced.
type Result struct {
	Config      *Config
	Diagnostics Diagnostics
	Source      *Source
}

// ExitCode is keepalived -t's exit status for this result.
func (r *Result) ExitCode(strict bool) int { return ExitCode(r.Diagnostics, strict) }

// Load reads, parses, decodes and validates a configuration file.
func Load(path string, opts Options) *Result {
	src, diags := Read(path, opts.ReadOptions)
	return decodeSource(path, src, diags, opts)
}

// LoadBytes is Load for a main file held in memory.
func LoadBytes(name string, data []byte, opts Options) *Result {
	src, diags := ReadBytes(name, data, opts.ReadOptions)
	return decodeSource(name, src, diags, opts)
}

func decodeSource(name string, src *Source, diags Diagnostics, opts Options) *Result {
	if opts.Host == nil {
		opts.Host = OSHost()
	}
	if opts.Scripts == nil {
		opts.Scripts = OSScriptSystem()
	}
	if opts.ConfigID == "" {
		opts.ConfigID, _, _ = strings.Cut(opts.Host.Hostname(), ".")
	}
	res := &Result{Source: src, Diagnostics: diags}
	cfg := &Config{File: name}
	if src != nil {
		cfg.Files = src.Files
	}
	res.Config = cfg
	if src == nil {
		return res
	}
	g, err := NewGrammar()
	if err != nil {
		res.Diagnostics = append(res.Diagnostics, Diagnostic{Class: ClassFatal, Message: err.Error()})
		return res
	}
	ast, err := g.parseTop(src)
	if err != nil {
		res.Diagnostics = append(res.Diagnostics, Diagnostic{Class: ClassFatal, Message: err.Error()})
		return res
	}
	d := &decoder{src: src, cfg: cfg, opts: &opts, diags: res.Diagnostics}
	applyDefaults(d)
	for i, n := range ast.Nodes {
		buildNode(src.Lines, n)
		decodeBlock(d, ast.Nodes[i:i+1], rootKeywords, cfg)
		ast.Nodes[i] = nil
	}
	validate(d)
	res.Diagnostics = d.diags
	return res
}

// rootKeywords is the top level of keepalived.conf, assembled from each
// family's keywords.
var rootKeywords = mergeTables(globalRootKeywords, vrrpRootKeywords, trackingRootKeywords, lvsRootKeywords)

func mergeTables[T any](tables ...table[T]) table[T] {
	out := table[T]{}
	for _, t := range tables {
		for k, v := range t {
			if _, dup := out[k]; dup {
				panic("parser: keyword " + k + " defined twice at the top level")
			}
			out[k] = v
		}
	}
	return out
}

// applyDefaults sets keepalived's defaults before any keyword is read.
func applyDefaults(d *decoder) {
	applyGlobalDefaults(d)
}

// validate runs keepalived's post-parse checks, in keepalived's order:
// the parent's global checks, then the checker's, VRRP's and BFD's.
func validate(d *decoder) {
	d.seq = len(d.src.Lines)
	d.pass = PassParent
	validateGlobal(d)
	d.pass = PassChecker
	validateLVS(d)
	d.pass = PassVRRP
	validateTracking(d)
	validateVRRP(d)
	d.pass = PassBFD
	validateBFD(d)
	validateScripts(d)
}
