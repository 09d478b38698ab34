package notify

import (
	"net/netip"
	"strconv"
)

// InstanceLine is the notify FIFO line for a VRRP instance event:
// INSTANCE "<name>" <STATE> <priority>, ending with its newline and no NUL.
// keepalived keeps the priority in a byte, so it is printed modulo 256.
func InstanceLine(name string, s State, priority int) []byte {
	return vrrpLine("INSTANCE", name, s, priority)
}

// GroupLine is the notify FIFO line for a sync group: GROUP "<name>"
// <STATE> 0.
func GroupLine(name string, s State) []byte {
	return vrrpLine("GROUP", name, s, 0)
}

func vrrpLine(typ, name string, s State, priority int) []byte {
	b := make([]byte, 0, len(typ)+len(name)+len(s)+10)
	b = append(b, typ...)
	b = append(b, ` "`...)
	b = append(b, name...)
	b = append(b, `" `...)
	b = append(b, s...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(uint8(priority)), 10)
	return append(b, '\n')
}

// VSLine is the FIFO line for a virtual server's quorum change:
// VS <vs> UP|DOWN. vs is written as keepalived formats it (see VSName).
func VSLine(vs string, up bool) []byte {
	b := make([]byte, 0, len(vs)+10)
	b = append(b, "VS "...)
	b = append(b, vs...)
	b = append(b, ' ')
	b = append(b, upDown(up)...)
	return append(b, '\n')
}

// RSLine is the FIFO line for a real server's alive change:
// RS <rs> <vs> UP|DOWN.
func RSLine(rs, vs string, up bool) []byte {
	b := make([]byte, 0, len(rs)+len(vs)+10)
	b = append(b, "RS "...)
	b = append(b, rs...)
	b = append(b, ' ')
	b = append(b, vs...)
	b = append(b, ' ')
	b = append(b, upDown(up)...)
	return append(b, '\n')
}

func upDown(up bool) string {
	if up {
		return "UP"
	}
	return "DOWN"
}

// ServiceName formats a real or virtual server as keepalived's messages,
// FIFO lines and mails do: [ADDR]:PROTO:PORT, PROTO one of tcp, udp, sctp
// or none (for 0). IPv6 addresses are written without a zone.
func ServiceName(addr netip.Addr, proto string, port uint16) string {
	if proto == "" {
		proto = "none"
	}
	return "[" + addr.WithZone("").String() + "]:" + proto + ":" + strconv.Itoa(int(port))
}

// GroupServiceName formats a virtual server that uses a
// virtual_server_group: [GROUP]:N.
func GroupServiceName(group string, n int) string {
	return "[" + group + "]:" + strconv.Itoa(n)
}

// FWMServiceName formats a firewall-mark virtual server: FWM <mark>.
func FWMServiceName(mark uint32) string {
	return "FWM " + strconv.FormatUint(uint64(mark), 10)
}
