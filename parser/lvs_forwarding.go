package parser

// forwarding reads `lb_kind`/`lvs_method`/`sorry_server_lvs_method`:
// NAT|DR|TUN [type ipip|gue|gre] [port N] [nocsum|csum|remcsum]. kind is
// "virtual", "real" or "sorry" for the messages. As in keepalived, the
// method sticks as soon as it is recognised, while any error in the tunnel
// options leaves the previous tunnel settings alone. It tells whether the
// method was recognised.
func (s *stmt) forwarding(f *Forwarding, kind string) bool {
	method, ok := s.Need(1)
	if !ok {
		return false
	}
	switch method {
	case "NAT", "DR", "TUN":
	default:
		s.ErrorAt(1, ClassGeneral, "PARSER : unknown [%s] routing method for %s server.", method, kind)
		return false
	}
	f.Method = method
	s.forwardingOptions(f, kind)
	return true
}

// forwardingOptions reads the tunnel options after the method word.
func (s *stmt) forwardingOptions(f *Forwarding, kind string) {
	tunType, csum := "ipip", "nocsum"
	var port uint64
	args := s.Args()
	for i := 1; i < len(args); i++ {
		w := i + 1 // word index of args[i]
		switch args[i] {
		case "type":
			if i+1 == len(args) {
				s.Errorf(ClassGeneral, "Missing tunnel type for %s server.", kind)
				return
			}
			switch args[i+1] {
			case "ipip", "gue", "gre":
				tunType = args[i+1]
			default:
				s.ErrorAt(w+1, ClassGeneral, "Unknown tunnel type %s for %s server.", args[i+1], kind)
				return
			}
			i++
		case "port":
			if i+1 == len(args) {
				s.Errorf(ClassGeneral, "Missing port for %s server gue tunnel.", kind)
				return
			}
			p, good := s.parseUint(w+1, args[i+1], 1, 65535, 10)
			if !good {
				s.ErrorAt(w+1, ClassGeneral, "Invalid gue tunnel port %s for %s server.", args[i+1], kind)
				return
			}
			port = p
			i++
		case "nocsum", "csum", "remcsum":
			csum = args[i]
		default:
			s.ErrorAt(w, ClassGeneral, "Invalid tunnel option %s for %s server.", args[i], kind)
			return
		}
	}
	if (tunType == "gue") != (port != 0) {
		s.Errorf(ClassGeneral, "gue tunnels require port, otherwise cannot have port.")
		return
	}
	if tunType == "ipip" && csum != "nocsum" {
		s.Errorf(ClassGeneral, "ipip tunnels do not support checksum option.")
		return
	}
	if tunType == "gre" && csum == "remcsum" {
		s.Errorf(ClassGeneral, "gre tunnels do not support remote checksum option.")
		return
	}
	if f.Method != "TUN" {
		// keepalived keeps tunnel settings on every server but only sends
		// them for TUN; an empty value says "not a tunnel" more plainly.
		tunType, csum = "", ""
	}
	f.TunnelType, f.TunnelPort, f.Checksum = tunType, uint16(port), csum
}
