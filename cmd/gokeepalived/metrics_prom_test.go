package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// promParsed is a parsed text exposition.
type promParsed struct {
	help, typ map[string]string
	// series maps "name{sorted labels}" to the value.
	series map[string]float64
}

var (
	promNameRE  = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	promLabelRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// parsePromText parses and checks the Prometheus text format (0.0.4): a
// HELP and a TYPE line before a family's samples, each family in one
// block, valid names, escaped label values, no duplicate series, counter
// names ending in _total, summary samples only as _sum/_count.
func parsePromText(text string) (promParsed, error) {
	p := promParsed{help: map[string]string{}, typ: map[string]string{}, series: map[string]float64{}}
	current := ""
	closed := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(text))
	n := 0
	for sc.Scan() {
		n++
		l := sc.Text()
		if strings.HasPrefix(l, "#") {
			f := strings.SplitN(l, " ", 4)
			if len(f) < 3 || (f[1] != "HELP" && f[1] != "TYPE") {
				continue
			}
			name := f[2]
			if !promNameRE.MatchString(name) {
				return p, fmt.Errorf("line %d: bad name %q", n, name)
			}
			if name != current {
				if closed[name] {
					return p, fmt.Errorf("line %d: family %s split", n, name)
				}
				if current != "" {
					closed[current] = true
				}
				current = name
			}
			rest := ""
			if len(f) == 4 {
				rest = f[3]
			}
			if f[1] == "HELP" {
				if _, dup := p.help[name]; dup {
					return p, fmt.Errorf("line %d: second HELP for %s", n, name)
				}
				if strings.Contains(strings.ReplaceAll(rest, `\\`, ""), `\`) && !strings.Contains(rest, `\n`) {
					return p, fmt.Errorf("line %d: bad escape in HELP", n)
				}
				p.help[name] = rest
			} else {
				switch rest {
				case "counter", "gauge", "summary", "histogram", "untyped":
				default:
					return p, fmt.Errorf("line %d: bad type %q", n, rest)
				}
				if _, dup := p.typ[name]; dup {
					return p, fmt.Errorf("line %d: second TYPE for %s", n, name)
				}
				p.typ[name] = rest
			}
			continue
		}
		if strings.TrimSpace(l) == "" {
			continue
		}
		name, labels, value, err := parsePromSample(l)
		if err != nil {
			return p, fmt.Errorf("line %d: %v", n, err)
		}
		family := name
		if t := p.typ[current]; t == "summary" || t == "histogram" {
			family = current
			suffix := strings.TrimPrefix(name, current)
			if suffix != "_sum" && suffix != "_count" && !(t == "histogram" && suffix == "_bucket") && !(t == "summary" && suffix == "") {
				return p, fmt.Errorf("line %d: %s not part of %s", n, name, current)
			}
		}
		if family != current {
			return p, fmt.Errorf("line %d: sample %s outside its family block (%s)", n, name, current)
		}
		if _, ok := p.help[family]; !ok || p.typ[family] == "" {
			return p, fmt.Errorf("line %d: %s has no HELP or TYPE", n, family)
		}
		if p.typ[family] == "counter" && !strings.HasSuffix(family, "_total") {
			return p, fmt.Errorf("line %d: counter %s does not end in _total", n, family)
		}
		key := name + "{" + labels + "}"
		if _, dup := p.series[key]; dup {
			return p, fmt.Errorf("line %d: duplicate series %s", n, key)
		}
		p.series[key] = value
	}
	return p, nil
}

// parsePromSample splits `name{a="x",b="y"} value`, unescaping label
// values, and returns the labels sorted as a="x",b="y".
func parsePromSample(l string) (name, labels string, value float64, err error) {
	i := strings.IndexAny(l, "{ ")
	if i < 0 {
		return "", "", 0, fmt.Errorf("no value in %q", l)
	}
	name = l[:i]
	if !promNameRE.MatchString(name) {
		return "", "", 0, fmt.Errorf("bad metric name %q", name)
	}
	rest := l[i:]
	var pairs []string
	if rest[0] == '{' {
		rest = rest[1:]
		seen := map[string]bool{}
		for {
			if rest == "" {
				return "", "", 0, fmt.Errorf("unterminated labels")
			}
			if rest[0] == '}' {
				rest = rest[1:]
				break
			}
			eq := strings.IndexByte(rest, '=')
			if eq < 0 || len(rest) < eq+2 || rest[eq+1] != '"' {
				return "", "", 0, fmt.Errorf("bad label in %q", l)
			}
			ln := rest[:eq]
			if !promLabelRE.MatchString(ln) || seen[ln] {
				return "", "", 0, fmt.Errorf("bad or repeated label name %q", ln)
			}
			seen[ln] = true
			rest = rest[eq+2:]
			var v strings.Builder
			for {
				if rest == "" {
					return "", "", 0, fmt.Errorf("unterminated label value")
				}
				c := rest[0]
				rest = rest[1:]
				if c == '"' {
					break
				}
				if c == '\n' {
					return "", "", 0, fmt.Errorf("raw newline")
				}
				if c == '\\' {
					if rest == "" {
						return "", "", 0, fmt.Errorf("dangling escape")
					}
					switch rest[0] {
					case '\\':
						v.WriteByte('\\')
					case '"':
						v.WriteByte('"')
					case 'n':
						v.WriteByte('\n')
					default:
						return "", "", 0, fmt.Errorf("bad escape \\%c", rest[0])
					}
					rest = rest[1:]
					continue
				}
				v.WriteByte(c)
			}
			pairs = append(pairs, ln+"="+strconv.Quote(v.String()))
			if strings.HasPrefix(rest, ",") {
				rest = rest[1:]
			}
		}
	}
	if !strings.HasPrefix(rest, " ") {
		return "", "", 0, fmt.Errorf("no space before value in %q", l)
	}
	f := strings.Fields(rest)
	if len(f) < 1 || len(f) > 2 {
		return "", "", 0, fmt.Errorf("bad value part %q", rest)
	}
	switch f[0] {
	case "+Inf", "-Inf", "NaN":
	}
	value, err = strconv.ParseFloat(f[0], 64)
	if err != nil {
		return "", "", 0, err
	}
	sortStrings(pairs)
	return name, strings.Join(pairs, ","), value, nil
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func series(name string, labels ...string) string {
	var pairs []string
	for i := 0; i+1 < len(labels); i += 2 {
		pairs = append(pairs, labels[i]+"="+strconv.Quote(labels[i+1]))
	}
	sortStrings(pairs)
	return name + "{" + strings.Join(pairs, ",") + "}"
}

func collectAll(t *testing.T) promParsed {
	t.Helper()
	m := newPromSet()
	vs := capturedBackupSnapshot(t)
	vs.Instances[0].Stats.AuthFailure = 4
	vs.Instances[0].Stats.AdvertSent = 17
	collectVRRPMetrics(m, vs)
	golden := goldenSnapshot(t)
	collectVRRPMetrics(m, vrrpSnapshot{Scripts: golden.Scripts})
	cs := checkGoldenSnapshot(t)
	cs.VirtualServers[0].IPVS = &dumpIPVSStats{Connections: 10, InPackets: 20, OutPackets: 30, InBytes: 40, OutBytes: 50}
	cs.VirtualServers[0].RealServers[0].IPVS = &dumpIPVSStats{Connections: 6, ActiveConns: 2, InactiveConns: 1}
	cs.VirtualServers[0].RealServers[0].Checkers[0].DurationSum = 18 * time.Millisecond
	collectCheckMetrics(m, cs)
	var buf bytes.Buffer
	if err := m.write(&buf); err != nil {
		t.Fatal(err)
	}
	p, err := parsePromText(buf.String())
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	return p
}

func TestMetricsExpositionValues(t *testing.T) {
	p := collectAll(t)
	want := map[string]float64{
		series("gokeepalived_vrrp_state", "instance", "VI_U", "interface", "vB", "vrid", "61", "state", "BACKUP"):                                                                  1,
		series("gokeepalived_vrrp_state", "instance", "VI_U", "interface", "vB", "vrid", "61", "state", "MASTER"):                                                                  0,
		series("gokeepalived_vrrp_priority", "instance", "VI_M", "interface", "vB", "vrid", "62"):                                                                                  100,
		series("gokeepalived_vrrp_master_priority", "instance", "VI_M", "interface", "vB", "vrid", "62"):                                                                           200,
		series("gokeepalived_vrrp_advert_interval_seconds", "instance", "VI_M", "interface", "vB", "vrid", "62"):                                                                   0.5,
		series("gokeepalived_vrrp_adverts_received_total", "instance", "VI_M", "interface", "vB", "vrid", "62"):                                                                    9,
		series("gokeepalived_vrrp_adverts_sent_total", "instance", "VI_U", "interface", "vB", "vrid", "61"):                                                                        17,
		series("gokeepalived_vrrp_advert_errors_total", "instance", "VI_U", "interface", "vB", "vrid", "61", "reason", "auth_failure"):                                             4,
		series("gokeepalived_vrrp_advert_errors_total", "instance", "VI_U", "interface", "vB", "vrid", "61", "reason", "packet_length"):                                            0,
		series("gokeepalived_vrrp_last_transition_timestamp_seconds", "instance", "VI_U", "interface", "vB", "vrid", "61"):                                                         1795554903.212891,
		series("gokeepalived_vrrp_sync_group_state", "group", "G1", "state", "BACKUP"):                                                                                             1,
		series("gokeepalived_vrrp_script_up", "script", "chk_web"):                                                                                                                 0,
		series("gokeepalived_vrrp_script_running", "script", "chk_web"):                                                                                                            1,
		series("gokeepalived_virtual_server_up", "virtual_server", "[192.0.2.10]:tcp:80"):                                                                                          1,
		series("gokeepalived_ipvs_destinations", "virtual_server", "[192.0.2.10]:tcp:80"):                                                                                          1,
		series("gokeepalived_ipvs_service_in_bytes_total", "virtual_server", "[192.0.2.10]:tcp:80"):                                                                                40,
		series("gokeepalived_real_server_weight", "virtual_server", "[192.0.2.10]:tcp:80", "real_server", "[10.0.0.1]:tcp:8080"):                                                   3,
		series("gokeepalived_real_server_up", "virtual_server", "[192.0.2.10]:tcp:80", "real_server", "[10.0.0.2]:tcp:8080"):                                                       0,
		series("gokeepalived_ipvs_destination_active_connections", "virtual_server", "[192.0.2.10]:tcp:80", "real_server", "[10.0.0.1]:tcp:8080"):                                  2,
		series("gokeepalived_checker_failures_total", "virtual_server", "[192.0.2.10]:tcp:80", "real_server", "[10.0.0.2]:tcp:8080", "checker", "HTTP_GET", "index", "0"):          3,
		series("gokeepalived_checker_last_duration_seconds", "virtual_server", "[192.0.2.10]:tcp:80", "real_server", "[10.0.0.1]:tcp:8080", "checker", "TCP_CHECK", "index", "0"):  0.0015,
		series("gokeepalived_checker_duration_seconds_sum", "virtual_server", "[192.0.2.10]:tcp:80", "real_server", "[10.0.0.1]:tcp:8080", "checker", "TCP_CHECK", "index", "0"):   0.018,
		series("gokeepalived_checker_duration_seconds_count", "virtual_server", "[192.0.2.10]:tcp:80", "real_server", "[10.0.0.1]:tcp:8080", "checker", "TCP_CHECK", "index", "0"): 12,
		series("gokeepalived_checker_up", "virtual_server", "FWM 7", "real_server", "[10.0.0.3]:none:0", "checker", "MISC_CHECK", "index", "0"):                                    0,
	}
	for k, v := range want {
		got, ok := p.series[k]
		if !ok {
			t.Errorf("missing series %s", k)
			continue
		}
		if got != v {
			t.Errorf("%s = %v, want %v", k, got, v)
		}
	}
	for name, typ := range map[string]string{
		"gokeepalived_vrrp_state": "gauge", "gokeepalived_vrrp_adverts_received_total": "counter",
		"gokeepalived_checker_duration_seconds": "summary",
	} {
		if p.typ[name] != typ {
			t.Errorf("TYPE %s = %q, want %q", name, p.typ[name], typ)
		}
	}
	// exactly one state is 1 per instance
	for _, inst := range []string{"VI_U", "VI_M"} {
		sum := 0.0
		for k, v := range p.series {
			if strings.HasPrefix(k, "gokeepalived_vrrp_state{") && strings.Contains(k, `instance="`+inst+`"`) {
				sum += v
			}
		}
		if sum != 1 {
			t.Errorf("%s: states sum to %v", inst, sum)
		}
	}
}

func TestMetricsLabelEscaping(t *testing.T) {
	m := newPromSet()
	nasty := "a\\b\"c\nd}e,f=g"
	m.gauge("x_value", "Help with \\ and\nnewline.", 1, lbl("name", nasty))
	m.counter("x_total", "c", 2, lbl("name", "plain"))
	var buf bytes.Buffer
	m.write(&buf)
	text := buf.String()
	if !strings.Contains(text, `# HELP x_value Help with \\ and\nnewline.`) {
		t.Errorf("HELP not escaped:\n%s", text)
	}
	p, err := parsePromText(text)
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	if v, ok := p.series[series("x_value", "name", nasty)]; !ok || v != 1 {
		t.Errorf("label value does not round-trip:\n%s\n%v", text, p.series)
	}
}

// The checks in parsePromText can fail: broken expositions are refused.
func TestPromParserRejects(t *testing.T) {
	for _, bad := range []string{
		"x 1\n", // no HELP/TYPE
		"# HELP x h\n# TYPE x gauge\nx{a=\"1\"} 1\nx{a=\"1\"} 2\n",                         // duplicate
		"# HELP x h\n# TYPE x counter\nx 1\n",                                              // counter without _total
		"# HELP x h\n# TYPE x gauge\nx 1\n# HELP y h\n# TYPE y gauge\ny 1\nx{a=\"2\"} 1\n", // split family
		"# HELP x h\n# TYPE x gauge\nx{a=\"1\\q\"} 1\n",                                    // bad escape
		"# HELP x h\n# TYPE x gauge\nx{a=\"1} 1\n",                                         // unterminated
		"# HELP x h\n# TYPE x gauge\nx{1a=\"1\"} 1\n",                                      // bad label name
		"# HELP x h\n# TYPE x wibble\nx 1\n",                                               // bad type
		"# HELP x h\n# TYPE x gauge\nx one\n",                                              // bad value
	} {
		if _, err := parsePromText(bad); err == nil {
			t.Errorf("accepted:\n%s", bad)
		}
	}
	if _, err := parsePromText("# HELP x h\n# TYPE x gauge\nx{a=\"\\\"q\\\\\\n\"} +Inf\n"); err != nil {
		t.Errorf("rejected a valid exposition: %v", err)
	}
}

func TestMetricsHandlerServes(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skipf("no loopback listener: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	snap := capturedSnapshot(t)
	h := metricsHandler(func(m *promSet) { collectVRRPMetrics(m, snap) })
	errc := make(chan error, 1)
	go func() { errc <- serveMetricsOn(ctx, ln, h, nil) }()
	url := "http://" + ln.Addr().String() + "/metrics"
	resp, err := http.Get(url)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != promContentType {
		t.Errorf("Content-Type = %q", ct)
	}
	p, err := parsePromText(string(body))
	if err != nil {
		t.Fatal(err)
	}
	if v := p.series[series("gokeepalived_vrrp_effective_priority", "instance", "VI_1", "interface", "veth0", "vrid", "52")]; v != 160 {
		t.Errorf("effective priority = %v", v)
	}
	resp, err = http.Post(url, "text/plain", nil)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("POST status %d", resp.StatusCode)
		}
	}
	if resp, err := http.Get("http://" + ln.Addr().String() + "/other"); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("/other status %d", resp.StatusCode)
		}
	}
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("server did not stop")
	}
}

func TestServeMetricsListenError(t *testing.T) {
	if err := serveMetrics(context.Background(), "256.0.0.1:bad", http.NotFoundHandler(), nil); err == nil {
		t.Error("no error for a bad address")
	}
}

func TestMetricsOptions(t *testing.T) {
	for _, name := range []string{"metrics-listen", "metrics-listen-checker"} {
		cl := parseCommandLine([]string{"--" + name + "=127.0.0.1:9650"}, keepalivedOptions)
		if len(cl.problems) > 0 {
			t.Fatalf("--%s: %v", name, cl.problems)
		}
		if v, _ := cl.value(name); v != "127.0.0.1:9650" {
			t.Errorf("--%s value %q", name, v)
		}
		if !strings.Contains(metricsHelp, "--"+name+" ") {
			t.Errorf("help does not mention --%s", name)
		}
	}
	d := daemonSettingsFrom(parseCommandLine([]string{"--metrics-listen", "a:1", "--metrics-listen-checker", "b:2"}, keepalivedOptions), nil, io.Discard)
	if d.MetricsVRRP != "a:1" || d.MetricsChecker != "b:2" {
		t.Errorf("settings %q %q", d.MetricsVRRP, d.MetricsChecker)
	}
}
