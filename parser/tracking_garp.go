package parser

// GarpGroup is a garp_group block: gratuitous ARP / unsolicited NA rate
// limits for one interface, or an aggregate budget for several.
type GarpGroup struct {
	Pos Pos `json:"pos"`
	// GarpInterval and GnaInterval are garp_interval and gna_interval; nil
	// when not set (0 is a valid setting).
	GarpInterval *Micros `json:"garp_interval,omitempty"`
	GnaInterval  *Micros `json:"gna_interval,omitempty"`
	// Interfaces are the interfaces given with `interface` and
	// `interfaces { ... }` that the group was applied to.
	Interfaces []string `json:"interfaces,omitempty"`
	// AggregationGroup numbers the groups that have an `interfaces` block
	// from 1; 0 for a group without one (keepalived's messages use it).
	AggregationGroup int `json:"aggregation_group,omitempty"`
}

// maxGarpInterval is keepalived's INT_MAX µs.
const maxGarpInterval = 2147483647

func decodeGarpGroup(s *stmt, c *Config) {
	g := &GarpGroup{Pos: s.Pos()}
	// Appended first so that its own interfaces count as taken.
	c.GarpGroups = append(c.GarpGroups, g)
	decodeBlock(s.d, s.Body(), garpGroupKeywords, g)
	if g.GarpInterval == nil && g.GnaInterval == nil {
		s.Errorf(ClassGeneral, "garp group %d does not have any delay set - removing", g.AggregationGroup)
		c.GarpGroups = c.GarpGroups[:len(c.GarpGroups)-1]
	}
}

var garpGroupKeywords = table[GarpGroup]{
	"garp_interval": {handle: func(s *stmt, g *GarpGroup) { g.GarpInterval = garpInterval(s, "garp_interval", g.GarpInterval) }},
	"gna_interval":  {handle: func(s *stmt, g *GarpGroup) { g.GnaInterval = garpInterval(s, "gna_interval", g.GnaInterval) }},
	"interface": {handle: func(s *stmt, g *GarpGroup) {
		name, ok := s.Need(1)
		if !ok {
			return
		}
		if !s.d.interfaceKnown(name) {
			s.ErrorAt(1, ClassGeneral, "WARNING - interface %s specified for garp_group doesn't exist", name)
			return
		}
		if s.d.garpGroupOf(name) != nil {
			s.ErrorAt(1, ClassGeneral, "garp_group already specified for %s - ignoring", name)
			return
		}
		g.Interfaces = append(g.Interfaces, name)
	}},
	"interfaces": {kind: valueBlock, handle: func(s *stmt, g *GarpGroup) {
		words := s.words()
		if len(words) == 0 {
			s.Errorf(ClassGeneral, "Warning - empty garp_group interfaces block")
			return
		}
		g.AggregationGroup = 1
		for _, o := range s.d.cfg.GarpGroups {
			if o != g && o.AggregationGroup != 0 {
				g.AggregationGroup++
			}
		}
		for _, w := range words {
			if !s.d.interfaceKnown(w.Text) {
				s.d.report(Diagnostic{Pos: w.Pos, Class: ClassGeneral,
					Message: "WARNING - interface " + w.Text + " specified for garp_group doesn't exist"})
				continue
			}
			if s.d.garpGroupOf(w.Text) != nil {
				// keepalived names the block's second word here, whichever
				// interface was the duplicate.
				second := w.Text
				if len(words) > 1 {
					second = words[1].Text
				}
				s.d.report(Diagnostic{Pos: w.Pos, Class: ClassGeneral,
					Message: "garp_group already specified for " + second + " - ignoring"})
				continue
			}
			g.Interfaces = append(g.Interfaces, w.Text)
		}
	}},
}

func garpInterval(s *stmt, kw string, prev *Micros) *Micros {
	text, ok := s.Need(1)
	if !ok {
		return prev
	}
	v, ok := s.parseDecimal(1, text, 0, maxGarpInterval, 6)
	if !ok {
		s.ErrorAt(1, ClassGeneral, "garp_group %s '%s' invalid", kw, text)
		return prev
	}
	if v >= 1000000 {
		s.Logf("The %s is very large - %s seconds", kw, text)
	}
	m := Micros(v)
	return &m
}

// garpGroupOf returns the garp_group an interface already belongs to.
func (d *decoder) garpGroupOf(name string) *GarpGroup {
	for _, g := range d.cfg.GarpGroups {
		for _, i := range g.Interfaces {
			if i == name {
				return g
			}
		}
	}
	return nil
}
