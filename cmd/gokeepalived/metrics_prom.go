package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// gokeepalived's own addition, off unless asked for: a Prometheus
// text-format endpoint. keepalived has none (sites scrape its dump files
// with an exporter, which keeps working). Each child serves what it owns:
// the VRRP child VRRP instances, sync groups and scripts on
// --metrics-listen, the checker child virtual/real servers, checkers and
// IPVS counters on --metrics-listen-checker.

// metricsHelp is the --help text for them.
const metricsHelp = `      --metrics-listen ADDR    Serve Prometheus metrics of the VRRP process on
                               ADDR (host:port), path /metrics
      --metrics-listen-checker ADDR
                               Same for the checker process
`

const promContentType = "text/plain; version=0.0.4; charset=utf-8"

// promLabel is one label pair.
type promLabel struct{ Name, Value string }

type promSample struct {
	suffix string // "", "_sum", "_count"
	labels []promLabel
	value  float64
}

type promFamily struct {
	name, help, typ string
	samples         []promSample
}

// promSet collects metric families; families are written in the order
// they were first declared, each with its HELP and TYPE line and all its
// samples together, as the text format requires.
type promSet struct {
	order    []string
	families map[string]*promFamily
}

func newPromSet() *promSet { return &promSet{families: map[string]*promFamily{}} }

func (s *promSet) family(name, typ, help string) *promFamily {
	f := s.families[name]
	if f == nil {
		f = &promFamily{name: name, help: help, typ: typ}
		s.families[name] = f
		s.order = append(s.order, name)
	}
	return f
}

// gauge, counter add one sample to a family (declaring it if needed).
func (s *promSet) gauge(name, help string, v float64, labels ...promLabel) {
	f := s.family(name, "gauge", help)
	f.samples = append(f.samples, promSample{labels: labels, value: v})
}

func (s *promSet) counter(name, help string, v float64, labels ...promLabel) {
	f := s.family(name, "counter", help)
	f.samples = append(f.samples, promSample{labels: labels, value: v})
}

// summary adds a summary without quantiles: its _sum and _count.
func (s *promSet) summary(name, help string, sum float64, count uint64, labels ...promLabel) {
	f := s.family(name, "summary", help)
	f.samples = append(f.samples,
		promSample{suffix: "_sum", labels: labels, value: sum},
		promSample{suffix: "_count", labels: labels, value: float64(count)})
}

// escapeHelp escapes a HELP text: backslash and newline.
func escapeHelp(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(s)
}

// escapeLabel escapes a label value: backslash, double quote, newline.
func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func formatPromValue(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// write writes the text exposition format.
func (s *promSet) write(w io.Writer) error {
	bw := bufio.NewWriter(w)
	for _, name := range s.order {
		f := s.families[name]
		fmt.Fprintf(bw, "# HELP %s %s\n", f.name, escapeHelp(f.help))
		fmt.Fprintf(bw, "# TYPE %s %s\n", f.name, f.typ)
		for _, smp := range f.samples {
			bw.WriteString(f.name + smp.suffix)
			if len(smp.labels) > 0 {
				bw.WriteByte('{')
				for i, l := range smp.labels {
					if i > 0 {
						bw.WriteByte(',')
					}
					bw.WriteString(l.Name + `="` + escapeLabel(l.Value) + `"`)
				}
				bw.WriteByte('}')
			}
			bw.WriteByte(' ')
			bw.WriteString(formatPromValue(smp.value))
			bw.WriteByte('\n')
		}
	}
	return bw.Flush()
}

func lbl(name, value string) promLabel { return promLabel{name, value} }

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

var metricsStates = []dumpVRRPState{dumpStateInit, dumpStateBackup, dumpStateMaster, dumpStateFault, dumpStateStop}

// collectVRRPMetrics adds the VRRP child's metrics.
func collectVRRPMetrics(m *promSet, snap vrrpSnapshot) {
	for _, vi := range snap.Instances {
		base := []promLabel{lbl("instance", vi.Name), lbl("interface", vi.Interface), lbl("vrid", strconv.Itoa(vi.VRID))}
		with := func(extra ...promLabel) []promLabel {
			return append(append([]promLabel(nil), base...), extra...)
		}
		for _, st := range metricsStates {
			m.gauge("gokeepalived_vrrp_state", "VRRP instance state: 1 for the current state, 0 for the others.",
				b2f(vi.State == st), with(lbl("state", st.String()))...)
		}
		m.gauge("gokeepalived_vrrp_priority", "Configured (base) priority of the VRRP instance.", float64(vi.Priority), base...)
		m.gauge("gokeepalived_vrrp_effective_priority", "Priority after tracking weights, as sent in adverts.", float64(vi.EffectivePriority), base...)
		m.gauge("gokeepalived_vrrp_master_priority", "Priority in the last advert accepted from the master (0 when none).", float64(vi.MasterPriority), base...)
		m.gauge("gokeepalived_vrrp_advert_interval_seconds", "Configured advert interval.", vi.AdvertInt.Seconds(), base...)
		lt := 0.0
		if !vi.LastTransition.IsZero() {
			lt = float64(vi.LastTransition.Unix()) + float64(vi.LastTransition.Nanosecond())/1e9
		}
		m.gauge("gokeepalived_vrrp_last_transition_timestamp_seconds", "Time of the last state change, Unix seconds.", lt, base...)
		m.gauge("gokeepalived_vrrp_vips", "Virtual addresses configured on the instance.", float64(len(vi.VIPs)), base...)
		m.gauge("gokeepalived_vrrp_vips_installed", "1 when the instance's virtual addresses are installed.", b2f(vi.VIPSet), base...)
		m.gauge("gokeepalived_vrrp_faults", "Interface and track script faults currently active.", float64(vi.Faults), base...)
		s := vi.Stats
		m.counter("gokeepalived_vrrp_adverts_received_total", "Adverts received that passed the checks.", float64(s.AdvertRcvd), base...)
		m.counter("gokeepalived_vrrp_adverts_sent_total", "Adverts sent.", float64(s.AdvertSent), base...)
		m.counter("gokeepalived_vrrp_became_master_total", "Transitions to MASTER.", float64(s.BecomeMaster), base...)
		m.counter("gokeepalived_vrrp_released_master_total", "Transitions out of MASTER.", float64(s.ReleaseMaster), base...)
		m.counter("gokeepalived_vrrp_priority_zero_received_total", "Priority 0 adverts received.", float64(s.PriZeroRcvd), base...)
		m.counter("gokeepalived_vrrp_priority_zero_sent_total", "Priority 0 adverts sent.", float64(s.PriZeroSent), base...)
		for _, e := range []struct {
			reason string
			v      uint64
		}{
			{"packet_length", s.PacketLenErr}, {"ip_ttl", s.IPTTLErr}, {"invalid_type", s.InvalidTypeRcvd},
			{"advert_interval", s.AdvertIntervalErr}, {"address_list", s.AddrListErr},
			{"invalid_auth_type", s.InvalidAuthType}, {"auth_type_mismatch", s.AuthTypeMismatch},
			{"auth_failure", s.AuthFailure},
		} {
			m.counter("gokeepalived_vrrp_advert_errors_total", "Adverts rejected, by reason (the keepalived.stats error counters).",
				float64(e.v), with(lbl("reason", e.reason))...)
		}
	}
	for _, g := range snap.SyncGroups {
		for _, st := range metricsStates {
			m.gauge("gokeepalived_vrrp_sync_group_state", "Sync group state: 1 for the current state, 0 for the others.",
				b2f(g.State == st), lbl("group", g.Name), lbl("state", st.String()))
		}
	}
	for _, sc := range snap.Scripts {
		l := lbl("script", sc.Name)
		m.gauge("gokeepalived_vrrp_script_up", "1 when the vrrp_script is GOOD (result >= rise), 0 when BAD.", b2f(sc.Good()), l)
		m.gauge("gokeepalived_vrrp_script_result", "The vrrp_script's rise/fall counter, as keepalived's Result.", float64(sc.Result), l)
		m.gauge("gokeepalived_vrrp_script_running", "1 while the vrrp_script runs.", b2f(sc.State == "running"), l)
		m.gauge("gokeepalived_vrrp_script_last_duration_seconds", "Duration of the last run of the vrrp_script.", sc.LastDuration.Seconds(), l)
	}
}

// collectCheckMetrics adds the checker child's metrics.
func collectCheckMetrics(m *promSet, snap checkSnapshot) {
	for _, vs := range snap.VirtualServers {
		vl := lbl("virtual_server", vs.name())
		m.gauge("gokeepalived_virtual_server_up", "1 when the virtual server is alive (quorum reached).", b2f(vs.Alive), vl)
		m.gauge("gokeepalived_virtual_server_quorum", "Configured quorum of the virtual server.", float64(vs.Quorum), vl)
		up, set := 0, 0
		for _, rs := range vs.RealServers {
			if rs.Alive {
				up++
			}
			if rs.Set {
				set++
			}
		}
		m.gauge("gokeepalived_virtual_server_real_servers_up", "Real servers whose checkers all pass.", float64(up), vl)
		m.gauge("gokeepalived_ipvs_destinations", "Real servers of the virtual server present in the IPVS table.", float64(set), vl)
		if st := vs.IPVS; st != nil {
			ipvsCounters(m, "service", *st, vl)
		}
		for _, rs := range vs.RealServers {
			rl := []promLabel{vl, lbl("real_server", trio(rs.Addr, vs.Protocol, rs.Port))}
			m.gauge("gokeepalived_real_server_up", "1 when every checker of the real server passes.", b2f(rs.Alive), rl...)
			m.gauge("gokeepalived_real_server_weight", "Effective weight of the real server (IPVS weight when alive).", float64(rs.EffectiveWeight), rl...)
			m.gauge("gokeepalived_real_server_in_ipvs", "1 when the real server is in the IPVS table.", b2f(rs.Set), rl...)
			m.gauge("gokeepalived_real_server_failed_checkers", "Checkers of the real server currently failing.", float64(rs.FailedCheckers), rl...)
			if st := rs.IPVS; st != nil {
				ipvsCounters(m, "destination", *st, rl...)
				m.gauge("gokeepalived_ipvs_destination_active_connections", "Active connections to the destination.", float64(st.ActiveConns), rl...)
				m.gauge("gokeepalived_ipvs_destination_inactive_connections", "Inactive connections to the destination.", float64(st.InactiveConns), rl...)
			}
			for i, c := range rs.Checkers {
				cl := append(append([]promLabel(nil), rl...), lbl("checker", c.Type), lbl("index", strconv.Itoa(i)))
				m.gauge("gokeepalived_checker_up", "1 when the checker's last verdict is up.", b2f(c.Up), cl...)
				m.counter("gokeepalived_checker_checks_total", "Checks completed.", float64(c.Checks), cl...)
				m.counter("gokeepalived_checker_failures_total", "Checks that failed.", float64(c.Failures), cl...)
				m.gauge("gokeepalived_checker_last_duration_seconds", "Duration of the last check.", c.LastDuration.Seconds(), cl...)
				m.summary("gokeepalived_checker_duration_seconds", "Time taken by checks.", c.DurationSum.Seconds(), c.Checks, cl...)
			}
		}
	}
}

func ipvsCounters(m *promSet, what string, st dumpIPVSStats, labels ...promLabel) {
	p := "gokeepalived_ipvs_" + what + "_"
	m.counter(p+"connections_total", "Connections scheduled by IPVS to the "+what+".", float64(st.Connections), labels...)
	m.counter(p+"in_packets_total", "Incoming packets of the "+what+".", float64(st.InPackets), labels...)
	m.counter(p+"out_packets_total", "Outgoing packets of the "+what+".", float64(st.OutPackets), labels...)
	m.counter(p+"in_bytes_total", "Incoming bytes of the "+what+".", float64(st.InBytes), labels...)
	m.counter(p+"out_bytes_total", "Outgoing bytes of the "+what+".", float64(st.OutBytes), labels...)
}

// metricsHandler serves /metrics; collect fills a fresh set on each
// scrape (the engine takes its snapshot there).
func metricsHandler(collect func(*promSet)) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		m := newPromSet()
		collect(m)
		w.Header().Set("Content-Type", promContentType)
		if r.Method == http.MethodHead {
			return
		}
		m.write(w)
	})
	return mux
}

// serveMetrics listens on addr and serves h until ctx ends. It returns
// once the listener is closed; a listen error is returned at once.
func serveMetrics(ctx context.Context, addr string, h http.Handler, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	return serveMetricsOn(ctx, ln, h, log)
}

func serveMetricsOn(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-ctx.Done():
		case <-stop:
		}
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if log != nil {
		log.Info(fmt.Sprintf("Serving metrics on http://%s/metrics", ln.Addr()))
	}
	err := srv.Serve(ln)
	close(stop)
	<-done
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
