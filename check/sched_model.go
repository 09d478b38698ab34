package check

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"

	"github.com/gokeepalived/gokeepalived/parser"
)

// ProbeFactory makes the probe for one checker block of one real server.
// The scheduler calls it once per distinct check: when several blocks are
// identical (see Options.NoDedupe) only the first one's arguments are passed.
// The weights the probe reports (Outcome.Weight, see NewProbe) are taken as
// that server's configured weight plus the checker's contribution. The
// probes must see the configuration being built or reloaded: a FILE_CHECK
// finds its track_file and an SSL_GET the SSL block in the ProbeEnv.
type ProbeFactory func(vs *parser.VirtualServer, rs *parser.RealServer, c *parser.Checker) (Probe, error)

// model is the scheduler's view of one configuration.
type model struct {
	cfg   *parser.Config
	vss   []*vsState
	vsIdx map[*parser.VirtualServer]*vsState
	rsIdx map[*parser.RealServer]*rsState
	tasks []*task
	// ids are the virtual servers' reload identities, in vss order.
	ids []string
}

// pending is a checker block waiting to be grouped into tasks: its own
// state (after migration on a reload) decides whether it may share a task.
type pending struct {
	m       *member
	st      ckState
	fullKey checkKey // every parameter of the check, for sharing
	migKey  checkKey // type-specific parameters only, for reload migration
}

// checkKey identifies a checker block's parameters: the first 128 bits of
// the SHA-256 of their JSON. A key is kept per block and per task for
// reloads; the JSON itself, about 200 bytes, was a sixth of the checker's
// memory at 50,000 real servers.
type checkKey [16]byte

func keyOf(json string) checkKey {
	sum := sha256.Sum256([]byte(json))
	return checkKey(sum[:16])
}

// checkerKeys returns the sharing key (type, target and every parameter,
// plus the Host defaults an HTTP probe takes from its servers) and the
// migration key (the same without the timing keywords a reload may change
// while the checker keeps its state, as keepalived's compare functions
// ignore them). Positions are left out: moving a block in the file changes
// nothing.
//
// The sharing key also holds what the probe takes from outside the block:
// a FILE_CHECK's tracked file path (from its track_file block), the
// virtual server's delay_loop (a MISC_CHECK's default timeout), the real
// server an SMTP_CHECK's messages name, the global SSL block of SSL_GET,
// and, for a MISC_CHECK with misc_dynamic, the real server's configured
// weight. That
// checker sets the weight to exit status - 2 whatever the configured one,
// while exit 0 keeps the configured one; the probe reports both as a weight
// of its own server (Outcome.Weight), so only servers of the same
// configured weight can share its result. FILE_CHECK adds the same amount
// to every server and shares across weights (see applyDynamicWeight).
func checkerKeys(cfg *parser.Config, vs *parser.VirtualServer, rs *parser.RealServer, c *parser.Checker) (full, mig checkKey, err error) {
	type keyed struct {
		C        *parser.Checker
		RSVHost  string `json:",omitempty"`
		VSVHost  string `json:",omitempty"`
		RSFamily bool
		// Suspend names the ha_suspend virtual server, whose checkers
		// start and stop with it.
		Suspend string `json:",omitempty"`
		// DynWeight is the configured weight of a misc_dynamic server.
		DynWeight *uint32 `json:",omitempty"`
		// TrackPath is the file a FILE_CHECK reads.
		TrackPath string `json:",omitempty"`
		// VSDelayLoop is the virtual server's delay_loop, a MISC_CHECK's
		// timeout when misc_timeout is not set.
		VSDelayLoop parser.Micros `json:",omitempty"`
		// RS is the real server an SMTP_CHECK names in its messages.
		RS string `json:",omitempty"`
		// SSL is the global SSL block an SSL_GET client uses.
		SSL *parser.SSLContext `json:",omitempty"`
	}
	k := keyed{C: c, RSFamily: rs.Addr.Is4()}
	if vs.HASuspend {
		k.Suspend = vsIdentity(vs, 0)
	}
	if c.Type == "HTTP_GET" || c.Type == "SSL_GET" {
		k.RSVHost, k.VSVHost = rs.EffectiveVirtualHost(), vs.VirtualHost
	}
	if c.Type == "MISC_CHECK" && c.Misc != nil && c.Misc.Dynamic {
		w := rs.Weight
		k.DynWeight = &w
	}
	if c.Type == "MISC_CHECK" && c.Misc != nil && c.Misc.Timeout == 0 {
		k.VSDelayLoop = vs.DelayLoop
	}
	if c.Type == "SMTP_CHECK" {
		k.RS = netip.AddrPortFrom(rs.Addr, rs.Port).String()
	}
	if c.Type == "SSL_GET" {
		k.SSL = cfg.SSL
	}
	if c.Type == "FILE_CHECK" && c.File != nil {
		for _, tf := range cfg.TrackFiles {
			if tf.Name == c.File.TrackFile {
				k.TrackPath = tf.File
			}
		}
	}
	f, err := json.Marshal(k)
	if err != nil {
		return checkKey{}, checkKey{}, fmt.Errorf("check: key of %s: %w", c.Type, err)
	}
	untimed := *c
	untimed.Retry, untimed.DelayBeforeRetry, untimed.Warmup, untimed.DelayLoop = 0, 0, 0, 0
	untimed.Alpha, untimed.LogAllFailures = false, false
	k.C = &untimed
	// A reload keeps a checker's state whatever the server's weight and
	// the tracked file's path (keepalived compares the block only).
	k.DynWeight, k.TrackPath, k.VSDelayLoop, k.RS, k.SSL = nil, "", 0, "", nil
	m, err := json.Marshal(k)
	if err != nil {
		return checkKey{}, checkKey{}, fmt.Errorf("check: key of %s: %w", c.Type, err)
	}
	return keyOf(stripPos(f)), keyOf(stripPos(m)), nil
}

// stripPos drops the position objects ("pos" or "Pos", which hold no
// nested object) from the JSON of a configuration block.
func stripPos(b []byte) string {
	out := make([]byte, 0, len(b))
	for len(b) > 0 {
		i := bytes.Index(b, []byte(`os":{`))
		if i < 2 || b[i-2] != '"' || (b[i-1] != 'p' && b[i-1] != 'P') {
			if i < 0 {
				break
			}
			out = append(out, b[:i+5]...)
			b = b[i+5:]
			continue
		}
		end := bytes.IndexByte(b[i:], '}')
		if end < 0 {
			break
		}
		out = append(out, b[:i-2]...)
		b = b[i+end+1:]
		switch {
		case len(b) > 0 && b[0] == ',':
			b = b[1:]
		case len(out) > 0 && out[len(out)-1] == ',':
			out = out[:len(out)-1] // it was the last member
		}
	}
	return string(append(out, b...))
}

// vsIdentity is what a reload matches virtual servers on: group name and
// ordinal, fwmark and family, or protocol, address and port.
func vsIdentity(vs *parser.VirtualServer, ordinal int) string {
	switch {
	case vs.GroupName != "":
		return fmt.Sprintf("g|%s|%d", vs.GroupName, ordinal)
	case vs.HasFWMark:
		return fmt.Sprintf("f|%s|%d", vs.Family, vs.FWMark)
	}
	return fmt.Sprintf("a|%d|%s|%d", vs.Protocol, vs.Addr, vs.Port)
}

// buildModel turns a configuration into virtual and real server states and
// pending checkers, without probes or tasks yet. coldStart pre-loads every
// checker's failure count (one failure is enough at start) and puts alpha
// checkers down, as keepalived does at start but not on a reload.
func buildModel(cfg *parser.Config, coldStart bool) (*model, []*pending, error) {
	m := &model{cfg: cfg, vsIdx: map[*parser.VirtualServer]*vsState{}, rsIdx: map[*parser.RealServer]*rsState{}}
	var pend []*pending
	ordinals := map[string]int{}
	for _, vs := range cfg.VirtualServers {
		ord := 0
		if vs.GroupName != "" {
			ord = ordinals[vs.GroupName]
			ordinals[vs.GroupName]++
		}
		v := &vsState{cfg: vs, name: vsName(vs, ord), quorum: int64(vs.Quorum), hyst: int64(vs.Hysteresis)}
		m.vss = append(m.vss, v)
		m.vsIdx[vs] = v
		m.ids = append(m.ids, vsIdentity(vs, ord))
		for _, rs := range vs.RealServers {
			r := &rsState{vs: v, cfg: rs, name: rsName(vs, rs.Addr, rs.Port), iweight: int64(rs.Weight), effWeight: int64(rs.Weight)}
			v.rss = append(v.rss, r)
			m.rsIdx[rs] = r
			for _, c := range rs.Checkers {
				full, mig, err := checkerKeys(cfg, vs, rs, c)
				if err != nil {
					return nil, nil, err
				}
				p := &pending{m: &member{rs: r, cfg: c, migKey: mig}, fullKey: full, migKey: mig,
					st: ckState{isUp: true, urlIt: 0, failedURL: -1}}
				if coldStart {
					if c.Alpha {
						p.st.isUp = false
						r.numFailed++
					}
					if kindOf(c.Type) != kindSMTP {
						p.st.retryIt = c.Retry
					}
				}
				r.members = append(r.members, p.m)
				pend = append(pend, p)
			}
		}
	}
	return m, pend, nil
}

// makeTasks groups pending checkers into tasks: with dedupe, blocks with
// the same key and the same state share one; probes of an old model with
// the same key are reused so a reload does not re-create them.
func (s *Scheduler) makeTasks(m *model, pend []*pending, old map[checkKey][]oldProbe) {
	type taskKey struct {
		full checkKey
		st   ckState
		n    int // the block's index when sharing is off
	}
	byKey := map[taskKey]*task{}
	for i, p := range pend {
		key := taskKey{full: p.fullKey, st: p.st}
		if !s.dedupe {
			key.n = i
		}
		if t := byKey[key]; t != nil {
			p.m.t = t
			t.members = append(t.members, p.m)
			continue
		}
		var probe Probe
		var probeRS, probeVS string
		var probeWeight int64
		if ops := old[p.fullKey]; len(ops) > 0 {
			// A probe serves one task: identical checks in different
			// states run as different tasks, each with its own probe.
			probe, probeRS, probeVS, probeWeight = ops[0].probe, ops[0].rs, ops[0].vs, ops[0].weight
			old[p.fullKey] = ops[1:]
		} else {
			probeRS, probeVS, probeWeight = p.m.rs.name, p.m.rs.vs.cfg.String(), p.m.rs.iweight
			var err error
			probe, err = s.newProbe(p.m.rs.vs.cfg, p.m.rs.cfg, p.m.cfg)
			if err != nil {
				// keepalived drops a checker it cannot run at config time;
				// the real server then behaves as if the block was absent.
				// A disabled MISC_CHECK script was already reported, in
				// keepalived's words, when the configuration was read.
				level := slog.LevelError
				if errors.Is(err, ErrDisabled) {
					level = slog.LevelDebug
				}
				s.log.Log(context.Background(), level, "cannot create checker - ignoring", slog.String("type", p.m.cfg.Type),
					slog.String("rs", p.m.rs.name), slog.String("vs", p.m.rs.vs.name), slog.Any("error", err))
				s.dropMember(p.m, p.st)
				continue
			}
		}
		t := &task{key: p.fullKey, kind: kindOf(p.m.cfg.Type), cfg: p.m.cfg, probe: probe, st: p.st, heapIdx: -1,
			probeRS: probeRS, probeVS: probeVS, probeWeight: probeWeight}
		t.members = []*member{p.m}
		p.m.t = t
		byKey[key] = t
		m.tasks = append(m.tasks, t)
	}
}

// oldProbe is a probe of the configuration a reload replaces, with the
// names of the server it was made for.
type oldProbe struct {
	probe  Probe
	rs, vs string
	weight int64 // the configured weight of that server
}

// dropMember removes a checker that could not be created from its real
// server.
func (s *Scheduler) dropMember(m *member, st ckState) {
	r := m.rs
	for i, x := range r.members {
		if x == m {
			r.members = append(r.members[:i:i], r.members[i+1:]...)
			break
		}
	}
	if !st.isUp && r.numFailed > 0 {
		r.numFailed--
	}
}
