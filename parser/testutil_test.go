package parser

import (
	"strings"
	"testing"
)

// fakeHost is a Host with a fixed set of interfaces.
type fakeHost struct{ ifaces []string }

func (h fakeHost) InterfaceExists(name string) bool {
	for _, i := range h.ifaces {
		if i == name {
			return true
		}
	}
	return false
}

func (fakeHost) Hostname() string { return "testhost" }

// testHost has the interfaces the decoder tests name.
var testHost = fakeHost{ifaces: []string{"lo", "eth0", "eth1", "eth2", "bond0"}}

// parseText runs the whole pipeline on a configuration held in a string.
func parseText(t testing.TB, text string) *Result {
	t.Helper()
	return LoadBytes("keepalived.conf", []byte(text), Options{Host: testHost, ReadOptions: ReadOptions{ConfigID: "testhost"}, noScriptCheck: true})
}

// messages returns the diagnostics' messages, for compact assertions.
func messages(r *Result) []string {
	var out []string
	for _, d := range r.Diagnostics {
		out = append(out, d.Message)
	}
	return out
}

// hasMessage tells whether some diagnostic contains the fragment.
func hasMessage(r *Result, fragment string) bool {
	for _, d := range r.Diagnostics {
		if strings.Contains(d.Message, fragment) {
			return true
		}
	}
	return false
}
