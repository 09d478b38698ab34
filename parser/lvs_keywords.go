package parser

// PLACEHOLDER: owned by the virtual_server work.

// SSLContext is the SSL block used by SSL_GET.
type SSLContext struct {
	Pos Pos `json:"pos"`
}

// VirtualServerGroup is a virtual_server_group block.
type VirtualServerGroup struct {
	Name string `json:"name"`
	Pos  Pos    `json:"pos"`
}

// VirtualServer is a virtual_server block in any of its three forms.
type VirtualServer struct {
	Pos         Pos           `json:"pos"`
	RealServers []*RealServer `json:"real_servers"`
}

// RealServer is a real_server block.
type RealServer struct {
	Pos      Pos        `json:"pos"`
	Checkers []*Checker `json:"checkers,omitempty"`
}

var lvsRootKeywords = table[Config]{}

func validateLVS(d *decoder) {}
