package parser

// authKeywords is the `authentication` block of a vrrp_instance.
var authKeywords = table[Authentication]{
	"auth_type": {handle: decodeAuthType},
	"auth_pass": {handle: decodeAuthPass},
}

// authPassLen is the size of the VRRPv2 authentication data field.
const authPassLen = 8

func decodeAuthentication(s *stmt, vi *VRRPInstance) {
	if vi.Auth == nil {
		vi.Auth = &Authentication{Pos: s.Pos()}
	}
	decodeBlock(s.d, s.Body(), authKeywords, vi.Auth)
}

func decodeAuthType(s *stmt, a *Authentication) {
	v, ok := s.Need(1)
	if !ok {
		return
	}
	switch v {
	case "AH", "PASS":
		a.Type = v
	default:
		s.ErrorAt(1, ClassGeneral, "(%s) unknown authentication type '%s'", instanceOf(s).Name, v)
	}
}

func decodeAuthPass(s *stmt, a *Authentication) {
	v, ok := s.Need(1)
	if !ok {
		return
	}
	if len(v) > authPassLen {
		s.ErrorAt(1, ClassGeneral, "Truncating auth_pass to %d characters", authPassLen)
		v = v[:authPassLen]
	}
	a.Pass = v
}

// instanceOf returns the instance being decoded: keepalived's handlers
// name it in their messages even inside sub-blocks.
func instanceOf(s *stmt) *VRRPInstance {
	is := s.d.cfg.Instances
	return is[len(is)-1]
}
