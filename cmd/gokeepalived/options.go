package main

import (
	"fmt"
	"strings"
)

// argKind says whether an option takes an argument, getopt style.
type argKind int

const (
	noArg argKind = iota
	requiredArg
	optionalArg // must be attached: -tFILE, --config-test=FILE
)

type optionSpec struct {
	short byte
	long  string
	arg   argKind
	// own marks options keepalived does not have.
	own bool
}

// keepalivedOptions is keepalived 2.2.7's option table (cli-and-daemon.md
// §2) plus gokeepalived's additions.
var keepalivedOptions = []optionSpec{
	{'f', "use-file", requiredArg, false},
	{'P', "vrrp", noArg, false},
	{'C', "check", noArg, false},
	{'B', "no_bfd", noArg, false},
	{0, "all", noArg, false},
	{'l', "log-console", noArg, false},
	{'D', "log-detail", noArg, false},
	{'S', "log-facility", requiredArg, false},
	{'g', "log-file", optionalArg, false},
	{0, "flush-log-file", noArg, false},
	{'G', "no-syslog", noArg, false},
	{'u', "umask", requiredArg, false},
	{'X', "release-vips", noArg, false},
	{'V', "dont-release-vrrp", noArg, false},
	{'I', "dont-release-ipvs", noArg, false},
	{'R', "dont-respawn", noArg, false},
	{'n', "dont-fork", noArg, false},
	{'d', "dump-conf", noArg, false},
	{'p', "pid", requiredArg, false},
	{'r', "vrrp_pid", requiredArg, false},
	{'c', "checkers_pid", requiredArg, false},
	{'b', "bfd_pid", requiredArg, false},
	{'a', "address-monitoring", noArg, false},
	{'x', "snmp", noArg, false},
	{'A', "snmp-agent-socket", requiredArg, false},
	{'s', "namespace", requiredArg, false},
	{'m', "core-dump", noArg, false},
	{'M', "core-dump-pattern", optionalArg, false},
	{'e', "all-config", noArg, false},
	{'i', "config-id", requiredArg, false},
	{0, "signum", requiredArg, false},
	{'t', "config-test", optionalArg, false},
	{0, "config-fd", requiredArg, false},
	{'v', "version", noArg, false},
	{'h', "help", noArg, false},
	{0, "format", requiredArg, true},
	{0, "strict", noArg, true},
	{0, "metrics-listen", requiredArg, true},
	{0, "metrics-listen-checker", requiredArg, true},
}

// parsedOption is one option as given, named by its long name.
type parsedOption struct {
	name  string
	value string
	set   bool // an optional argument was given
}

type commandLine struct {
	opts       []parsedOption
	positional []string
	problems   []string
}

func (c *commandLine) has(name string) bool {
	for _, o := range c.opts {
		if o.name == name {
			return true
		}
	}
	return false
}

// value returns the last value given for an option, as getopt users do.
func (c *commandLine) value(name string) (string, bool) {
	v, ok := "", false
	for _, o := range c.opts {
		if o.name == name {
			v, ok = o.value, true
		}
	}
	return v, ok
}

func (c *commandLine) count(name string) int {
	n := 0
	for _, o := range c.opts {
		if o.name == name {
			n++
		}
	}
	return n
}

// parseCommandLine follows getopt_long: grouped short options, long options
// abbreviated to a unique prefix, `--opt=value` or `--opt value` for required
// arguments, optional arguments only when attached. Problems are collected,
// as keepalived reports them all before exiting 1.
func parseCommandLine(args []string, table []optionSpec) *commandLine {
	c := &commandLine{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			c.positional = append(c.positional, args[i+1:]...)
			return c
		case strings.HasPrefix(a, "--"):
			name, val, hasVal := strings.Cut(a[2:], "=")
			spec, problem := findLong(table, name)
			if problem != "" {
				c.problems = append(c.problems, problem)
				continue
			}
			o := parsedOption{name: spec.long}
			switch spec.arg {
			case noArg:
				if hasVal {
					c.problems = append(c.problems, fmt.Sprintf("Option --%s takes no parameter", spec.long))
					continue
				}
			case requiredArg:
				if !hasVal {
					if i+1 >= len(args) {
						c.problems = append(c.problems, fmt.Sprintf("Missing parameter for option --%s", spec.long))
						continue
					}
					i++
					val = args[i]
				}
				if val == "" {
					c.problems = append(c.problems, fmt.Sprintf("Missing parameter for option --%s", spec.long))
					continue
				}
				o.value = val
			case optionalArg:
				o.value, o.set = val, hasVal
			}
			c.opts = append(c.opts, o)
		case strings.HasPrefix(a, "-") && len(a) > 1:
			for j := 1; j < len(a); j++ {
				spec := findShort(table, a[j])
				if spec == nil {
					c.problems = append(c.problems, fmt.Sprintf("Unknown option -%c", a[j]))
					continue
				}
				o := parsedOption{name: spec.long}
				rest := a[j+1:]
				switch spec.arg {
				case requiredArg:
					if rest == "" {
						if i+1 >= len(args) {
							c.problems = append(c.problems, fmt.Sprintf("Missing parameter for option -%c", spec.short))
							j = len(a)
							continue
						}
						i++
						rest = args[i]
					}
					o.value = rest
					j = len(a)
				case optionalArg:
					o.value, o.set = rest, rest != ""
					j = len(a)
				}
				c.opts = append(c.opts, o)
			}
		default:
			c.positional = append(c.positional, a)
		}
	}
	return c
}

func findLong(table []optionSpec, name string) (*optionSpec, string) {
	var matches []*optionSpec
	for i := range table {
		if table[i].long == name {
			return &table[i], ""
		}
		if strings.HasPrefix(table[i].long, name) && name != "" {
			matches = append(matches, &table[i])
		}
	}
	switch len(matches) {
	case 1:
		return matches[0], ""
	case 0:
		return nil, fmt.Sprintf("Unknown option --%s", name)
	}
	return nil, fmt.Sprintf("Option --%s is ambiguous", name)
}

func findShort(table []optionSpec, c byte) *optionSpec {
	for i := range table {
		if table[i].short == c && c != 0 {
			return &table[i]
		}
	}
	return nil
}
