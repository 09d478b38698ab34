package vrrp

import "strconv"

// testHost is a parser.Host with the interfaces the unit tests name.
type testHost struct{}

func (testHost) InterfaceExists(name string) bool {
	switch name {
	case "eth0", "eth1", "lo":
		return true
	}
	return false
}

func (testHost) Hostname() string { return "testhost" }

func itoa(n int) string { return strconv.Itoa(n) }
