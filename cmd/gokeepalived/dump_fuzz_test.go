package main

import (
	"bytes"
	"encoding/json"
	"testing"
)

// Whatever the names and scripts, keepalived.json is valid JSON and the
// strings come back unchanged.
func FuzzDumpJSONStrings(f *testing.F) {
	f.Add("VI_1", "eth0", "'/usr/bin/true' 'x'")
	f.Add("a/b\\c\"d", "\t\n\r\f\b", "\x00\x01\x1f\x7f")
	f.Add("é", "", "</script>")
	f.Fuzz(func(t *testing.T, name, iface, cmd string) {
		snap := vrrpSnapshot{Instances: []dumpVRRPInstance{{
			Name: name, Interface: iface, Version: 2,
			NotifyScripts: []dumpNotifyScript{{Kind: "Master", Cmd: cmd}},
			TrackScript:   []dumpTrack{{Name: "s", Cmd: cmd}},
		}}}
		var buf bytes.Buffer
		if err := writeVRRPJSON(&buf, snap); err != nil {
			t.Fatal(err)
		}
		var out []struct {
			Data struct {
				Iname        string   `json:"iname"`
				Ifp          string   `json:"ifp_ifname"`
				ScriptMaster string   `json:"script_master"`
				TrackScript  []string `json:"track_script"`
			} `json:"data"`
		}
		if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
			t.Fatalf("invalid JSON %q: %v", buf.String(), err)
		}
		if !json.Valid(buf.Bytes()) || len(out) != 1 {
			t.Fatalf("bad JSON %q", buf.String())
		}
		// encoding/json replaces invalid UTF-8; compare through it
		norm := func(s string) string {
			b, _ := json.Marshal(s)
			var r string
			json.Unmarshal(b, &r)
			return r
		}
		d := out[0].Data
		if d.Iname != norm(name) || d.ScriptMaster != norm(cmd) || len(d.TrackScript) != 1 || d.TrackScript[0] != norm(cmd) {
			t.Errorf("round trip: %+v from %q %q", d, name, cmd)
		}
		if iface != "" && d.Ifp != norm(iface) {
			t.Errorf("ifp_ifname %q from %q", d.Ifp, iface)
		}
	})
}

// Whatever the label values and help, the exposition parses and the
// values come back unchanged.
func FuzzPromEscaping(f *testing.F) {
	f.Add("plain", "help")
	f.Add("a\\b\"c\nd", "x\\y\nz")
	f.Add("}{,= ", "")
	f.Add("0", "\r")
	f.Fuzz(func(t *testing.T, value, help string) {
		m := newPromSet()
		m.gauge("f_value", help, 3, lbl("v", value))
		var buf bytes.Buffer
		if err := m.write(&buf); err != nil {
			t.Fatal(err)
		}
		p, err := parsePromText(buf.String())
		if err != nil {
			t.Fatalf("%v in %q", err, buf.String())
		}
		if v, ok := p.series[series("f_value", "v", value)]; !ok || v != 3 {
			t.Errorf("value %q lost: %q", value, buf.String())
		}
	})
}
