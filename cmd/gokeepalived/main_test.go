package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseCommandLine(t *testing.T) {
	cases := []struct {
		args     []string
		opts     []parsedOption
		problems []string
	}{
		{[]string{"-t", "-f", "x.conf"}, []parsedOption{{name: "config-test"}, {name: "use-file", value: "x.conf"}}, nil},
		{[]string{"-tlog", "-fx.conf"}, []parsedOption{{name: "config-test", value: "log", set: true}, {name: "use-file", value: "x.conf"}}, nil},
		{[]string{"-nlD"}, []parsedOption{{name: "dont-fork"}, {name: "log-console"}, {name: "log-detail"}}, nil},
		{[]string{"--config-test=/tmp/l", "--use-file", "a"}, []parsedOption{{name: "config-test", value: "/tmp/l", set: true}, {name: "use-file", value: "a"}}, nil},
		{[]string{"--use=a"}, []parsedOption{{name: "use-file", value: "a"}}, nil},
		{[]string{"--config-t"}, []parsedOption{{name: "config-test"}}, nil},
		{[]string{"-Z"}, nil, []string{"Unknown option -Z"}},
		{[]string{"--foo"}, nil, []string{"Unknown option --foo"}},
		{[]string{"-f"}, nil, []string{"Missing parameter for option -f"}},
		{[]string{"--use-file="}, nil, []string{"Missing parameter for option --use-file"}},
		{[]string{"--dont"}, nil, []string{"Option --dont is ambiguous"}},
	}
	for _, c := range cases {
		cl := parseCommandLine(c.args, keepalivedOptions)
		if !reflect.DeepEqual(cl.opts, c.opts) || !reflect.DeepEqual(cl.problems, c.problems) {
			t.Errorf("%q: got %+v %q, want %+v %q", c.args, cl.opts, cl.problems, c.opts, c.problems)
		}
	}
}

func runCLI(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

func TestSignum(t *testing.T) {
	for name, want := range map[string]string{"STOP": "15", "RELOAD": "1", "DATA": "10", "STATS": "12", "STATS_CLEAR": "63", "JSON": "36"} {
		if code, out, _ := runCLI("--signum=" + name); code != 0 || strings.TrimSpace(out) != want {
			t.Errorf("--signum=%s: exit %d, %q", name, code, out)
		}
	}
	if code, _, errOut := runCLI("--signum=NOPE"); code != 1 || !strings.Contains(errOut, "Unknown sigfunc NOPE") {
		t.Errorf("--signum=NOPE: exit %d, %q", code, errOut)
	}
}

func TestBadFlagsExit1(t *testing.T) {
	for _, args := range [][]string{{"-Z"}, {"-t", "--format=xml"}, {"-t", "-i", ""}, {"-t", "-i", "a b"}} {
		if code, _, errOut := runCLI(args...); code != 1 || errOut == "" {
			t.Errorf("%q: exit %d, stderr %q", args, code, errOut)
		}
	}
}

func TestHelpAndVersionExit0(t *testing.T) {
	for _, a := range []string{"-h", "-v"} {
		if code, _, errOut := runCLI(a); code != 0 || errOut == "" {
			t.Errorf("%s: exit %d, stderr %q", a, code, errOut)
		}
	}
}

func writeConf(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "keepalived.conf")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigTestMissingFileIsAnError(t *testing.T) {
	code, _, errOut := runCLI("-t", "-f", filepath.Join(t.TempDir(), "nope.conf"))
	if code == 0 || !strings.Contains(errOut, "Config files missing") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

func TestConfigTestJSON(t *testing.T) {
	p := writeConf(t, "foo_bar\n")
	code, _, errOut := runCLI("-t", "--format=json", "-f", p)
	if code != 5 {
		t.Fatalf("exit %d, want 5; %s", code, errOut)
	}
	var got struct {
		ExitCode    int `json:"exit_code"`
		Diagnostics []struct {
			Message string `json:"message"`
			Class   string `json:"class"`
		} `json:"diagnostics"`
	}
	if err := json.Unmarshal([]byte(errOut), &got); err != nil {
		t.Fatalf("%v: %s", err, errOut)
	}
	if got.ExitCode != 5 || len(got.Diagnostics) == 0 || got.Diagnostics[0].Message != "Unknown keyword 'foo_bar'" || got.Diagnostics[0].Class != "unknown-keyword" {
		t.Errorf("got %+v", got)
	}
}

func TestConfigTestLogFile(t *testing.T) {
	p := writeConf(t, "foo_bar\n")
	log := filepath.Join(t.TempDir(), "t.log")
	code, _, errOut := runCLI("-t"+log, "-f", p)
	b, _ := os.ReadFile(log)
	if code != 5 || errOut != "" || !strings.Contains(string(b), "Unknown keyword 'foo_bar'") {
		t.Errorf("exit %d, stderr %q, log %q", code, errOut, b)
	}
}

func TestDumpConf(t *testing.T) {
	p := writeConf(t, "global_defs {\n router_id R1\n}\n")
	code, out, errOut := runCLI("-t", "--dump-conf", "-f", p)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var cfg map[string]any
	if err := json.Unmarshal([]byte(out), &cfg); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if g, _ := cfg["global_defs"].(map[string]any); g["router_id"] != "R1" {
		t.Errorf("router_id: %v", cfg["global_defs"])
	}
}
