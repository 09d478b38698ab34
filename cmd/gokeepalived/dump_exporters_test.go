package main

// Parsers written from the documented behaviour of the two Prometheus
// exporters that read keepalived's dump files, mehdy/keepalived-exporter
// and gen2brain/keepalived_exporter (their line rules, not their code).
// The tests check that each exporter gets the same values from our files
// as from keepalived 2.2.7's for the same state, and the values expected.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

var exporterStates = map[string]int{"INIT": 0, "BACKUP": 1, "MASTER": 2, "FAULT": 3}

// exporterData is what mehdy's exporter keeps of an instance of
// keepalived.data.
type exporterData struct {
	Name      string
	State     int
	WantState int
	Intf      string
	GArpDelay int
	VRID      int
	VIPs      []string
}

// parseMehdyData follows mehdy/keepalived-exporter's keepalived.data
// rules: an instance starts at " VRRP Instance = NAME"; lines indented by
// 3 spaces are "key = value" or "key: value"; lines indented by 5 are
// values of the last key (VIPs after "Virtual IP (N):"); " VRRP Version"
// and " VRRP Script" lines are skipped; any other line ends the instance.
// Unknown state names are an error.
func parseMehdyData(text string) (map[string]*exporterData, error) {
	out := map[string]*exporterData{}
	var cur *exporterData
	key := ""
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, " VRRP Instance") && strings.Contains(l, "="):
			name := strings.TrimSpace(strings.SplitN(strings.TrimSpace(l), "=", 2)[1])
			cur = &exporterData{Name: name}
			out[name] = cur
		case strings.HasPrefix(l, "   ") && cur != nil:
			val := ""
			if strings.HasPrefix(l, "     ") {
				val = strings.TrimSpace(l)
			} else {
				var parts []string
				switch t := strings.TrimSpace(l); {
				case strings.Contains(t, "="):
					parts = strings.Split(t, "=")
				case strings.Contains(t, ":"):
					parts = strings.Split(t, ":")
				default:
					continue
				}
				key = strings.TrimSpace(parts[0])
				if key == "Virtual IP" {
					continue
				}
				val = strings.TrimSpace(parts[1])
			}
			if (strings.HasPrefix(key, "Virtual IP (") || key == "Virtual IP") && val != "" {
				cur.VIPs = append(cur.VIPs, val)
			}
			var err error
			switch key {
			case "State":
				st, ok := exporterStates[val]
				if !ok {
					return out, fmt.Errorf("unknown state %q", val)
				}
				cur.State = st
			case "Wantstate":
				st, ok := exporterStates[val]
				if !ok {
					return out, fmt.Errorf("unknown wantstate %q", val)
				}
				cur.WantState = st
			case "Interface", "Listening device":
				cur.Intf = val
			case "Gratuitous ARP delay":
				cur.GArpDelay, err = strconv.Atoi(val)
			case "Virtual Router ID":
				cur.VRID, err = strconv.Atoi(val)
			}
			if err != nil {
				return out, err
			}
		case strings.HasPrefix(l, " VRRP Version") || strings.HasPrefix(l, " VRRP Script"):
		default:
			cur = nil
		}
	}
	return out, nil
}

type exporterScript struct{ Name, Status, State string }

// parseMehdyScripts: a script starts at " VRRP Script = NAME"; its
// "   key = value" lines give Status and State; a line indented by less
// than 4 spaces ends it.
func parseMehdyScripts(text string) []exporterScript {
	var out []exporterScript
	var cur exporterScript
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, " VRRP Script") && strings.Contains(l, "="):
			if cur.Name != "" {
				out = append(out, cur)
				cur = exporterScript{}
			}
			cur.Name = strings.TrimSpace(strings.SplitN(strings.TrimSpace(l), "=", 2)[1])
		case strings.HasPrefix(l, "   ") && cur.Name != "":
			if !strings.Contains(l, "=") {
				continue
			}
			parts := strings.Split(strings.TrimSpace(l), "=")
			switch strings.TrimSpace(parts[0]) {
			case "Status":
				cur.Status = strings.TrimSpace(parts[1])
			case "State":
				cur.State = strings.TrimSpace(parts[1])
			}
		case !strings.HasPrefix(l, "    "):
			if cur.Name != "" {
				out = append(out, cur)
				cur = exporterScript{}
			}
		}
	}
	if cur.Name != "" {
		out = append(out, cur)
	}
	return out
}

// exporterStats are the 14 counters, keyed as the JSON names them.
type exporterStats map[string]int

var statsKeys = map[string]map[string]string{
	"Advertisements":        {"Received": "advert_rcvd", "Sent": "advert_sent"},
	"Packet Errors":         {"Length": "packet_len_err", "TTL": "ip_ttl_err", "Invalid Type": "invalid_type_rcvd", "Advertisement Interval": "advert_interval_err", "Address List": "addr_list_err"},
	"Authentication Errors": {"Invalid Type": "invalid_authtype", "Type Mismatch": "authtype_mismatch", "Failure": "auth_failure"},
	"Priority Zero":         {"Received": "pri_zero_rcvd", "Sent": "pri_zero_sent"},
	"":                      {"Became master": "become_master", "Released master": "release_master"},
}

// parseStatsFile follows both exporters' keepalived.stats rules:
// "VRRP Instance: NAME" starts an instance, "  Section:" a section,
// "    Key: N" a counter of the section, "  Key: N" a counter outside any
// section; a value that is not an integer is an error. It returns the
// instances in file order (gen2brain pairs them with the data by index)
// and by name (mehdy).
func parseStatsFile(text string) ([]string, map[string]exporterStats, error) {
	var order []string
	out := map[string]exporterStats{}
	inst, section := "", ""
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "VRRP Instance") && strings.Contains(l, ":"):
			inst = strings.TrimSpace(strings.Split(strings.TrimSpace(l), ":")[1])
			order = append(order, inst)
			out[inst] = exporterStats{}
		case strings.HasPrefix(l, "  ") && strings.HasSuffix(l, ":"):
			section = strings.TrimSpace(strings.Split(strings.TrimSpace(l), ":")[0])
		case strings.HasPrefix(l, "    ") && section != "":
			parts := strings.Split(strings.TrimSpace(l), ":")
			v, err := strconv.Atoi(strings.TrimSpace(parts[1]))
			if err != nil {
				return nil, nil, err
			}
			out[inst][statsKeys[section][strings.TrimSpace(parts[0])]] = v
		case strings.HasPrefix(l, "  ") && !strings.HasPrefix(l, "    "):
			parts := strings.Split(strings.TrimSpace(l), ":")
			section = ""
			v, err := strconv.Atoi(strings.TrimSpace(parts[1]))
			if err != nil {
				return nil, nil, err
			}
			out[inst][statsKeys[""][strings.TrimSpace(parts[0])]] = v
		}
	}
	return order, out, nil
}

// gen2brainData is what gen2brain's exporter keeps of an instance.
type gen2brainData struct {
	Name           string
	Intf           string
	LastTransition float64
	VRID           int
	State          int
	WantState      int
}

// parseGen2brainData follows gen2brain/keepalived_exporter: an instance
// starts at " VRRP Instance = NAME"; "   key = value" lines fill it;
// " VRRP Version" is skipped; any other line (the first "   Flags:" one
// already) closes the instance and it is recorded.
func parseGen2brainData(text string) ([]gen2brainData, error) {
	var out []gen2brainData
	var dt gen2brainData
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, " VRRP Instance") && strings.Contains(l, "="):
			dt.Name = strings.TrimSpace(strings.Split(strings.TrimSpace(l), "=")[1])
		case strings.HasPrefix(l, "   ") && strings.Contains(l, "=") && dt.Name != "":
			parts := strings.Split(strings.TrimSpace(l), "=")
			key, val := strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1])
			switch key {
			case "Interface":
				dt.Intf = val
			case "Last transition":
				f, err := strconv.ParseFloat(strings.Split(val, " ")[0], 64)
				if err != nil {
					return out, err
				}
				dt.LastTransition = f
			case "Virtual Router ID":
				id, err := strconv.Atoi(val)
				if err != nil {
					return out, err
				}
				dt.VRID = id
			case "State":
				if s, ok := exporterStates[val]; ok {
					dt.State = s
				}
			case "Wantstate":
				if s, ok := exporterStates[val]; ok {
					dt.WantState = s
				}
			}
		case strings.HasPrefix(l, " VRRP Version"):
		default:
			if dt.Name != "" {
				out = append(out, dt)
				dt = gen2brainData{}
			}
		}
	}
	return out, nil
}

// exporterJSON is the union of the fields both exporters decode from
// keepalived.json.
type exporterJSON struct {
	Data struct {
		Iname          string   `json:"iname"`
		State          int      `json:"state"`
		WantState      int      `json:"wantstate"`
		Intf           string   `json:"ifp_ifname"`
		GArpDelay      int      `json:"garp_delay"`
		VRID           int      `json:"vrid"`
		VIPs           []string `json:"vips"`
		LastTransition float64  `json:"last_transition"`
	} `json:"data"`
	Stats map[string]int `json:"stats"`
}

// exporterVIP is how mehdy's exporter splits a VIP: address is the first
// word, interface the third.
func exporterVIP(v string) (addr, intf string, ok bool) {
	f := strings.Split(v, " ")
	if len(f) < 3 {
		return "", "", false
	}
	return f[0], f[2], true
}

type exporterView struct {
	Mehdy      map[string]*exporterData
	Scripts    []exporterScript
	StatsOrder []string
	Stats      map[string]exporterStats
	Gen2brain  []gen2brainData
	JSON       []exporterJSON
}

func exporterParse(t *testing.T, data, stats, js string) exporterView {
	t.Helper()
	var v exporterView
	var err error
	if v.Mehdy, err = parseMehdyData(data); err != nil {
		t.Fatalf("mehdy data: %v", err)
	}
	v.Scripts = parseMehdyScripts(data)
	if v.StatsOrder, v.Stats, err = parseStatsFile(stats); err != nil {
		t.Fatalf("stats: %v", err)
	}
	if v.Gen2brain, err = parseGen2brainData(data); err != nil {
		t.Fatalf("gen2brain data: %v", err)
	}
	if err := json.NewDecoder(strings.NewReader(js)).Decode(&v.JSON); err != nil {
		t.Fatalf("json: %v", err)
	}
	return v
}

func ourFiles(t *testing.T, snap vrrpSnapshot) (data, stats, js string) {
	t.Helper()
	var d, s, j bytes.Buffer
	if err := writeVRRPData(&d, snap); err != nil {
		t.Fatal(err)
	}
	if err := writeVRRPStats(&s, snap); err != nil {
		t.Fatal(err)
	}
	if err := writeVRRPJSON(&j, snap); err != nil {
		t.Fatal(err)
	}
	return d.String(), s.String(), j.String()
}

// The exporters read the same values from our files as from keepalived's.
func TestExportersSeeWhatKeepalivedShows(t *testing.T) {
	for _, c := range []struct {
		dir  string
		snap func(*testing.T) vrrpSnapshot
	}{
		{capturedDir, capturedSnapshot},
		{capturedBackupDir, capturedBackupSnapshot},
	} {
		t.Run(filepath.Base(c.dir), func(t *testing.T) {
			read := func(name string) string {
				t.Helper()
				return readFileT(t, filepath.Join(c.dir, name))
			}
			theirs := exporterParse(t, read("keepalived.data"), read("keepalived.stats"), read("keepalived.json"))
			d, st, js := ourFiles(t, c.snap(t))
			ours := exporterParse(t, d, st, js)
			if !reflect.DeepEqual(ours, theirs) {
				t.Errorf("exporters read differently:\n ours: %+v\ntheirs: %+v", ours, theirs)
			}
		})
	}
}

// And the values are the expected ones, so that the comparison above is
// not between two empty results.
func TestExportersReadExpectedValues(t *testing.T) {
	snap := capturedSnapshot(t)
	snap.Instances[1].State = dumpStateBackup
	snap.Instances[1].Stats.AuthFailure = 7
	snap.Scripts[0].Result = 0
	d, st, js := ourFiles(t, snap)
	v := exporterParse(t, d, st, js)

	vi1 := v.Mehdy["VI_1"]
	if vi1 == nil || vi1.State != 2 || vi1.WantState != 2 || vi1.Intf != "veth0" || vi1.VRID != 52 || vi1.GArpDelay != 5 {
		t.Errorf("mehdy VI_1 = %+v", vi1)
	}
	wantVIPs := []string{"10.1.0.1/24 dev veth0 scope global set", "10.1.0.2/24 dev veth0 scope global label veth0:1 set"}
	if vi1 == nil || !reflect.DeepEqual(vi1.VIPs, wantVIPs) {
		t.Errorf("mehdy VI_1 VIPs = %q, want %q", vi1.VIPs, wantVIPs)
	}
	if addr, intf, ok := exporterVIP(vi1.VIPs[1]); !ok || addr != "10.1.0.2/24" || intf != "veth0" {
		t.Errorf("VIP split = %q %q %v", addr, intf, ok)
	}
	if vi2 := v.Mehdy["VI_2"]; vi2 == nil || vi2.State != 1 || vi2.VRID != 53 {
		t.Errorf("mehdy VI_2 = %+v", vi2)
	}
	if want := []exporterScript{{"chk_ok", "BAD", "idle"}}; !reflect.DeepEqual(v.Scripts, want) {
		t.Errorf("scripts = %+v, want %+v", v.Scripts, want)
	}
	if !reflect.DeepEqual(v.StatsOrder, []string{"VI_1", "VI_2"}) {
		t.Errorf("stats order = %q", v.StatsOrder)
	}
	if s := v.Stats["VI_2"]; s["auth_failure"] != 7 || s["advert_sent"] != 2 || s["become_master"] != 1 || len(s) != 14 {
		t.Errorf("stats VI_2 = %v", s)
	}
	if len(v.Gen2brain) != 2 || v.Gen2brain[1].Name != "VI_2" || v.Gen2brain[1].State != 1 {
		t.Errorf("gen2brain = %+v", v.Gen2brain)
	}
	if len(v.JSON) != 2 {
		t.Fatalf("json has %d instances", len(v.JSON))
	}
	j := v.JSON[1]
	if j.Data.Iname != "VI_2" || j.Data.State != 1 || j.Data.VRID != 53 || j.Data.Intf != "veth0" ||
		j.Data.LastTransition != 1795554581.671826 || j.Stats["auth_failure"] != 7 || len(j.Stats) != 14 {
		t.Errorf("json VI_2 = %+v", j)
	}
	if got := v.JSON[0].Data.VIPs; !reflect.DeepEqual(got, wantVIPs) {
		t.Errorf("json VIPs = %q", got)
	}
}
