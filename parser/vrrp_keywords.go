package parser

// PLACEHOLDER: owned by the vrrp_instance work.

// VRRPInstance is a vrrp_instance block.
type VRRPInstance struct {
	Name string `json:"name"`
	Pos  Pos    `json:"pos"`
}

// IPAddress is one virtual_ipaddress / static_ipaddress entry.
type IPAddress struct {
	Pos Pos `json:"pos"`
}

// Route is one virtual_routes / static_routes entry.
type Route struct {
	Pos Pos `json:"pos"`
}

// Rule is one virtual_rules / static_rules entry.
type Rule struct {
	Pos Pos `json:"pos"`
}

var vrrpRootKeywords = table[Config]{}

func validateVRRP(d *decoder) {}
