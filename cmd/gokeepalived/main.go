// Command gokeepalived is a drop-in replacement for keepalived: the daemon
// (a parent supervising a VRRP child and a checker child), keepalived's
// configuration test (-t), and dr-realserver for LVS-DR real servers.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gokeepalived/gokeepalived/parser"
)

const (
	version           = "gokeepalived v0.1.0 (configuration language of keepalived v2.2.7)"
	defaultConfigFile = "/etc/keepalived/keepalived.conf"
	exitUsage         = 1
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "dr-realserver" {
		return drRealServerMain(args[1:], stdout, stderr)
	}
	cl := parseCommandLine(args, keepalivedOptions)
	if len(cl.problems) > 0 {
		for _, p := range cl.problems {
			fmt.Fprintln(stderr, p)
		}
		return exitUsage
	}
	if cl.has("log-file") {
		// Debian's keepalived is built without --enable-log-file.
		fmt.Fprintln(stderr, "-g requires configure option --enable-log-file")
		return exitUsage
	}
	if len(cl.positional) > 0 {
		// keepalived prints this on stdout and carries on.
		fmt.Fprintf(stdout, "Unexpected argument(s): %s\n", strings.Join(cl.positional, " "))
	}
	switch {
	case cl.has("help"):
		usage(stderr)
		return 0
	case cl.has("version"):
		fmt.Fprintln(stderr, version)
		return 0
	case cl.has("signum"):
		name, _ := cl.value("signum")
		n, ok := signalNumbers[name]
		if !ok {
			fmt.Fprintf(stderr, "Unknown sigfunc %s\n", name)
			return exitUsage
		}
		fmt.Fprintln(stdout, n)
		return 0
	case cl.has("config-test"):
		return configTest(cl, stdout, stderr)
	}
	return runDaemon(cl, args, stderr)
}

func configTest(cl *commandLine, stdout, stderr io.Writer) int {
	format, _ := cl.value("format")
	if format == "" {
		format = "text"
	}
	if format != "text" && format != "json" {
		fmt.Fprintf(stderr, "gokeepalived: --format must be text or json, not %q\n", format)
		return exitUsage
	}
	out := stderr
	if o := lastOption(cl, "config-test"); o.set {
		f, err := os.OpenFile(o.value, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			fmt.Fprintf(stderr, "gokeepalived: cannot open config test log %s: %v\n", o.value, err)
			return exitUsage
		}
		defer f.Close()
		out = f
	}
	opts := parser.Options{Strict: cl.has("strict")}
	opts.AllIncludeChecks = cl.has("all-config")
	if id, ok := cl.value("config-id"); ok {
		if strings.TrimSpace(id) == "" || strings.ContainsAny(id, " \t") {
			fmt.Fprintf(stderr, "gokeepalived: invalid --config-id %q: it must be one word\n", id)
			return exitUsage
		}
		opts.ConfigID = id
	}
	file, ok := cl.value("use-file")
	if !ok {
		file = defaultConfigFile
	}
	res := parser.Load(file, opts)
	code := res.ExitCode(opts.Strict)
	switch format {
	case "json":
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		diags := res.Diagnostics
		if diags == nil {
			diags = parser.Diagnostics{}
		}
		_ = enc.Encode(struct {
			File        string             `json:"file"`
			ExitCode    int                `json:"exit_code"`
			Diagnostics parser.Diagnostics `json:"diagnostics"`
		}{file, code, diags})
	default:
		for _, d := range res.Diagnostics {
			fmt.Fprintln(out, d.String())
		}
	}
	if cl.has("dump-conf") {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res.Config); err != nil {
			fmt.Fprintf(stderr, "gokeepalived: dumping the configuration: %v\n", err)
			return exitUsage
		}
	}
	return code
}

func lastOption(cl *commandLine, name string) parsedOption {
	var last parsedOption
	for _, o := range cl.opts {
		if o.name == name {
			last = o
		}
	}
	return last
}

func usage(w io.Writer) {
	fmt.Fprintf(w, `Usage: gokeepalived [OPTION...]
  -f, --use-file=FILE          Use the specified configuration file
  -t, --config-test[=LOG_FILE] Check the configuration for obvious errors, output
                               to stderr by default, and exit with keepalived's
                               codes: 0 ok, 2 missing parameter, 4 cannot run,
                               5 errors, 6 script security or failed include
  -i, --config-id=ID           Skip any configuration lines beginning '@' that
                               don't match ID (default: host name up to '.')
  -e, --all-config             Every include must find its files
      --format=text|json       (gokeepalived) how -t prints diagnostics
      --strict                 (gokeepalived) gokeepalived's own warnings make
                               -t fail too
  -d, --dump-conf              With -t: print the typed configuration as JSON
      --signum=SIGFUNC         Print the signal number of STOP, RELOAD, DATA,
                               STATS, STATS_CLEAR or JSON
  -v, --version                Display the version number
  -h, --help                   Display this help message
  gokeepalived dr-realserver start|stop|status [--vip ADDR]... [--state FILE]
                               (gokeepalived) set up or undo an LVS-DR real
                               server: VIP on lo, arp_ignore/arp_announce
Without -t gokeepalived runs as keepalived's daemon and takes keepalived 2.2.7's
other options (-P -C -l -D -S -n -R -X -V -I -p -r -c ...); see the README.
`)
	fmt.Fprint(w, metricsHelp)
}
