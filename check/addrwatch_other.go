//go:build !linux

package check

// defaultAddressSource is nil: without netlink, the checkers of an
// ha_suspend virtual server always run.
func defaultAddressSource() AddressSource { return nil }
