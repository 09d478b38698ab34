package parser

import (
	"fmt"
	"strings"
)

func decodeUseVMAC(s *stmt, vi *VRRPInstance) {
	vi.UseVMAC = true
	for i := 1; i <= s.NArgs() && i <= 2; i++ {
		arg := s.Word(i).Text
		if strings.Contains(arg, ":") {
			decodeVMACAddr(s, i, vi)
			continue
		}
		switch {
		case vi.VMACName != "":
			s.ErrorAt(i, ClassGeneral, "VMAC interface name already specified")
		case !validDevName(arg):
			s.ErrorAt(i, ClassGeneral, "VMAC interface name '%s' too long or invalid characters - ignoring", arg)
		default:
			if other := vmacNameUser(s.d, arg, vi); other != nil {
				s.ErrorAt(i, ClassGeneral, "(%s) VRRP instance %s is already using %s - ignoring name", vi.Name, other.Name, arg)
				continue
			}
			vi.VMACName = arg
			// An existing interface of that name is taken to be an ordinary
			// one: Host does not say whether it is a private macvlan.
			if s.d.opts.Host.InterfaceExists(arg) {
				s.ErrorAt(i, ClassGeneral, "(%s) interface %s already exists and is not a private macvlan; ignoring vmac if_name", vi.Name, arg)
				vi.VMACName = ""
			}
		}
	}
}

func vmacNameUser(d *decoder, name string, self *VRRPInstance) *VRRPInstance {
	for _, o := range d.cfg.Instances {
		if o != self && (o.VMACName == name || o.IPVLANName == name) {
			return o
		}
	}
	return nil
}

// decodeVMACAddr reads use_vmac's MAC argument: six octets, or five with
// the VRID supplied as the last.
func decodeVMACAddr(s *stmt, i int, vi *VRRPInstance) {
	text := s.Word(i).Text
	if vi.set.vmacMACSet {
		s.ErrorAt(i, ClassGeneral, "VMAC interface address already specified")
		return
	}
	if strings.Trim(text, "0123456789ABCDEFabcdef:") != "" {
		s.ErrorAt(i, ClassGeneral, "VMAC invalid MAC address %s", text)
		return
	}
	mac, useVRID, ok := parseVMAC(text)
	switch {
	case !ok:
		s.ErrorAt(i, ClassGeneral, "VMAC invalid MAC address %s - ignored", text)
	case mac[0]&1 != 0:
		s.ErrorAt(i, ClassGeneral, "VMAC MAC address is multicast %s - ignoring", text)
	case mac[0] == 0 && mac[1] == 0 && mac[2] == 0x5e && mac[3] == 0 && (mac[4] == 1 || mac[4] == 2):
		s.ErrorAt(i, ClassGeneral, "VMAC MAC address not allowed to be RFC5798 address (%s) - ignoring", text)
	default:
		vi.set.vmacMACSet = true
		if useVRID {
			vi.VMACAddr = fmt.Sprintf("%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4])
		} else {
			vi.VMACAddr = fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5])
		}
	}
}

func parseVMAC(text string) (mac [6]byte, useVRID, ok bool) {
	p := text
	for j := 0; j < 6; j++ {
		v, _, rest, overflow := cStrtoul(p, 16)
		n := len(p) - len(rest)
		if overflow || n == 0 || n > 2 {
			return mac, false, false
		}
		if !strings.HasPrefix(rest, ":") && (rest != "" || j < 4) {
			return mac, false, false
		}
		mac[j] = byte(v)
		if j == 4 && (rest == "" || rest == ":") {
			return mac, true, true
		}
		if rest == "" {
			break
		}
		p = rest[1:]
		if p == "" && j < 5 {
			return mac, false, false
		}
	}
	return mac, false, true
}

// validDevName is the kernel's dev_valid_name.
func validDevName(name string) bool {
	if name == "" || len(name) >= ifNameSize || name == "." || name == ".." {
		return false
	}
	return !strings.ContainsAny(name, "/: \t\n\v\f\r")
}

func decodeUseIPVLAN(s *stmt, vi *VRRPInstance) {
	if vi.UseIPVLAN {
		s.Errorf(ClassGeneral, "(%s) use_ipvlan already specified", vi.Name)
		return
	}
	vi.UseIPVLAN = true
	hadMode := false
	for i := 1; i <= s.NArgs(); i++ {
		arg := s.Word(i).Text
		switch arg {
		case "bridge", "private", "vepa":
			if hadMode {
				s.ErrorAt(i, ClassGeneral, "(%s) ipvlan type already specified - ignoring '%s'", vi.Name, arg)
			} else {
				vi.IPVLANMode, hadMode = arg, true
			}
			continue
		}
		if a, _, ok, _ := parsePrefix(arg); ok {
			if vi.IPVLANAddr.IsValid() {
				s.ErrorAt(i, ClassGeneral, "(%s) ipvlan address already specified - ignoring '%s'", vi.Name, arg)
				continue
			}
			fam := addrFamily(a)
			if vi.Family == 0 {
				vi.Family = fam
			} else if fam != vi.Family {
				s.ErrorAt(i, ClassGeneral, "(%s) ipvlan address[%s] MUST match vrrp instance family !!! Skipping...", vi.Name, arg)
				continue
			}
			vi.IPVLANAddr = a
			if !vi.SrcIP.IsValid() {
				vi.SrcIP, vi.set.saddrFromConfig = a, true
			}
			continue
		}
		switch {
		case vi.IPVLANName != "":
			s.ErrorAt(i, ClassGeneral, "(%s) IPVLAN interface already specified - ignoring '%s'", vi.Name, arg)
		case len(arg) >= ifNameSize:
			s.ErrorAt(i, ClassGeneral, "(%s) IPVLAN interface name '%s' too long - ignoring", vi.Name, arg)
		default:
			if other := vmacNameUser(s.d, arg, vi); other != nil {
				s.ErrorAt(i, ClassGeneral, "(%s) VRRP instance %s is already using %s - ignoring name", vi.Name, other.Name, arg)
				continue
			}
			vi.IPVLANName = arg
			if s.d.opts.Host.InterfaceExists(arg) {
				s.ErrorAt(i, ClassGeneral, "(%s) interface %s already exists and is not an l2 ipvlan; ignoring ipvlan if_name", vi.Name, arg)
				vi.IPVLANName = ""
			}
		}
	}
}
