// Package vrrp will hold the VRRP engine: advert codec, per-instance state
// machine, tracking, VIPs and gratuitous ARP. Not built yet (see README).
package vrrp
