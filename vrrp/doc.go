// Package vrrp is gokeepalived's VRRP engine: it speaks VRRP with the same
// bytes, checks and timing as keepalived 2.2.7, so that gokeepalived and
// keepalived nodes can share a virtual router.
//
// The package is split as the house style asks:
//
//   - The codec (advert*.go, auth.go, validate.go) is pure: ParseAdvert and
//     Advert.Marshal for VRRPv2 (RFC 3768) and VRRPv3 (RFC 5798) over IPv4
//     and IPv6 with their checksums; MarshalIPv4 and Encoder build the whole
//     IPv4 datagram keepalived sends with IP_HDRINCL, including the IPsec AH
//     header of auth_type AH; Validator applies keepalived's receive checks
//     in keepalived's order and counts each failure under keepalived's
//     statistics name. GARPFrame and NAFrame build keepalived's gratuitous
//     ARP and unsolicited neighbour advertisement frames.
//   - The state machine (fsm*.go, priority.go, syncgroup.go, garpsched.go)
//     takes events and returns actions, with time injected.
//   - The edges own the operating system: AdvertConn (raw advert sockets),
//     NeighborAnnouncer (packet sockets for GARP/NA), the address manager
//     and the trackers, each behind a small interface with a Linux
//     implementation in *_linux.go; Node ties them together.
//
// Golden captures of what keepalived itself sent are in
// testdata/adverts, with the configurations that produced them and the
// script that records them again.
package vrrp
