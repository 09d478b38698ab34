package check

import (
	"context"
	"io"
	"net/netip"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// reload is keepalived's reload of the checker process (lvs.md §9.3): every
// attempt in flight is abandoned, virtual and real servers that still exist
// keep their state, checkers with unchanged type-specific settings keep
// theirs, removed servers are taken out with notifications, and every task
// is re-armed with a fresh warmup.
func (s *Scheduler) reload(cfg *parser.Config, now time.Time) error {
	nm, pend, err := buildModel(cfg, false)
	if err != nil {
		return err
	}
	s.logf("Reloading")
	s.gen++
	for _, t := range s.m.tasks {
		if t.running && t.cancel != nil {
			t.cancel()
		}
	}
	s.timers, s.ready = nil, nil

	byMember := make(map[*member]*pending, len(pend))
	for _, p := range pend {
		byMember[p.m] = p
	}
	newByID := make(map[string]*vsState, len(nm.vss))
	for i, v := range nm.vss {
		newByID[nm.ids[i]] = v
	}
	reloaded := map[*rsState]bool{}
	kept := map[*vsState]bool{}
	old := s.m
	for i, v := range old.vss {
		nv := newByID[old.ids[i]]
		if nv == nil {
			if v.cfg.GroupName != "" {
				s.logf("Removing Virtual Server Group [%s]", v.cfg.GroupName)
			} else {
				s.logf("Removing Virtual Server %s", v.name)
			}
			for _, r := range v.rss {
				s.clearRS(r)
			}
			s.quorumLossCheck(v, false)
			continue
		}
		nv.quorumUp, nv.haCount = v.quorumUp, v.haCount
		kept[nv] = true
		nv.sorryActive = v.sorryActive && sameSorry(v.cfg.SorryServer, nv.cfg.SorryServer)
		if v.sorryActive && !nv.sorryActive {
			s.logf("Removing sorry server %s from VS %s", rsName(v.cfg, v.cfg.SorryServer.Addr, v.cfg.SorryServer.Port), v.name)
		}
		byAddr := make(map[netip.AddrPort]*rsState, len(nv.rss))
		for _, r := range nv.rss {
			if k := netip.AddrPortFrom(r.cfg.Addr, r.cfg.Port); byAddr[k] == nil {
				byAddr[k] = r
			}
		}
		for _, r := range v.rss {
			nr := byAddr[netip.AddrPortFrom(r.cfg.Addr, r.cfg.Port)]
			if nr == nil {
				s.logf("service %s no longer exist", r.name)
				s.clearRS(r)
				continue
			}
			// The kept server starts from its old weight; the new
			// configured one is applied below, with keepalived's log line.
			nr.alive, nr.effWeight = r.alive, r.effWeight
			reloaded[nr] = true
			s.migrate(r, nr, byMember)
		}
		s.quorumLossCheck(nv, false)
	}

	// New real servers with alpha checkers start down (check_new_rs_state).
	for _, v := range nm.vss {
		for _, r := range v.rss {
			if reloaded[r] {
				continue
			}
			for _, m := range r.members {
				p := byMember[m]
				if m.cfg.Alpha && p.st.isUp {
					p.st.isUp = false
					r.numFailed++
				}
			}
		}
	}

	oldProbes := map[checkKey][]oldProbe{}
	for _, t := range old.tasks {
		oldProbes[t.key] = append(oldProbes[t.key], oldProbe{probe: t.probe, rs: t.probeRS, vs: t.probeVS, weight: t.probeWeight})
	}
	s.m = nm
	s.makeTasks(nm, pend, oldProbes)
	for _, ops := range oldProbes {
		for _, p := range ops {
			if c, ok := p.probe.(io.Closer); ok {
				_ = c.Close()
			}
		}
	}
	s.setGlobals(cfg)
	s.initSuspend(func(v *vsState) bool { return !kept[v] })
	s.rereadFiles(context.Background())
	for _, v := range nm.vss {
		for _, r := range v.rss {
			if !reloaded[r] {
				continue
			}
			w := r.iweight
			for _, m := range r.members {
				w += m.curWeight
			}
			s.setWeight(r, w, false)
		}
		s.initVS(v)
	}
	// As at start, after the init pass; checkers that already ran are not
	// activated again.
	for _, v := range nm.vss {
		for _, r := range v.rss {
			for _, m := range r.members {
				if m.t != nil && !m.t.st.hasRun {
					s.logActivation(m)
				}
			}
		}
	}
	s.armAll(now)
	s.countTasks()
	s.changed = true
	return nil
}

func sameSorry(a, b *parser.SorryServer) bool {
	return a != nil && b != nil && a.Addr == b.Addr && a.Port == b.Port && a.Inhibit == b.Inhibit && a.Forwarding == b.Forwarding
}

// clearRS is keepalived's clear_service_rs for a server a reload removed.
func (s *Scheduler) clearRS(r *rsState) {
	in := r.inKernel()
	if in {
		inhibited := ""
		if r.cfg.Inhibit && !r.alive {
			inhibited = "(inhibited) "
		}
		s.logf("Removing %sservice %s from VS %s", inhibited, r.name, r.vs.name)
	}
	if !in || !r.alive {
		return
	}
	r.alive = false
	s.changed = true
	s.rsNotify(r, false)
	if r.cfg.SMTPAlert {
		s.notifier.Alert(Alert{VSName: r.vs.name, RSName: r.name, Up: false, Body: "=> Removing <="})
	}
}

// migrate is keepalived's migrate_checkers: each new checker of a kept
// real server takes over the state of an old checker of the same type and
// settings, then the server's failed count and presence are settled.
func (s *Scheduler) migrate(oldRS, nr *rsState, byMember map[*member]*pending) {
	for _, nm := range nr.members {
		p := byMember[nm]
		for _, om := range oldRS.members {
			if om.t == nil || om.cfg.Type != nm.cfg.Type || om.migKey != nm.migKey {
				continue
			}
			ost := om.t.st
			if ost.hasRun && ost.isUp != p.st.isUp {
				p.st.isUp = ost.isUp
			}
			p.st.hasRun = ost.hasRun
			if ost.retryIt > 0 && nm.cfg.Retry > 0 {
				p.st.retryIt = min(ost.retryIt, nm.cfg.Retry-1)
			}
			p.st.urlIt, p.st.failedURL = ost.urlIt, ost.failedURL
			nm.curWeight = om.curWeight
			if nm.cfg.Misc != nil && nm.cfg.Misc.Dynamic && om.curWeight != 0 {
				// misc_dynamic set the weight to exit status - 2: it stays
				// that whatever the new configured weight
				// (migrate_misc_check).
				nm.curWeight = om.curWeight + oldRS.iweight - nr.iweight
			}
			break
		}
	}
	nr.numFailed = 0
	anyRun := false
	for _, m := range nr.members {
		p := byMember[m]
		if p.st.hasRun && !p.st.isUp {
			nr.numFailed++
		}
		anyRun = anyRun || p.st.hasRun
	}
	if nr.numFailed > 0 || (!nr.alive && !anyRun) {
		for _, m := range nr.members {
			p := byMember[m]
			if p.st.hasRun {
				continue
			}
			if m.cfg.Alpha && p.st.isUp {
				p.st.isUp = false
				nr.numFailed++
			}
			p.st.retryIt = m.cfg.Retry
		}
	}
	if nr.numFailed == 0 && !nr.alive {
		s.setAlive(nr, true)
	}
}
