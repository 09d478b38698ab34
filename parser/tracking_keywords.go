package parser

// PLACEHOLDER: owned by the tracking work.

// VRRPScript is a vrrp_script block.
type VRRPScript struct {
	Name   string `json:"name"`
	Pos    Pos    `json:"pos"`
	Weight int    `json:"weight"`
}

// TrackFile is a track_file block.
type TrackFile struct {
	Name   string `json:"name"`
	Pos    Pos    `json:"pos"`
	Weight int    `json:"weight"`
}

// TrackProcess is a vrrp_track_process block.
type TrackProcess struct {
	Name   string `json:"name"`
	Pos    Pos    `json:"pos"`
	Weight int    `json:"weight"`
}

// SyncGroup is a vrrp_sync_group block.
type SyncGroup struct {
	Name string `json:"name"`
	Pos  Pos    `json:"pos"`
}

// GarpGroup is a garp_group block.
type GarpGroup struct {
	Pos Pos `json:"pos"`
}

// TrackGroup is a track_group block.
type TrackGroup struct {
	Name string `json:"name"`
	Pos  Pos    `json:"pos"`
}

// LinkbeatIface is one linkbeat_interfaces entry.
type LinkbeatIface struct {
	Name string `json:"name"`
	Pos  Pos    `json:"pos"`
}

// InterfaceDelays is one interface_up_down_delays entry.
type InterfaceDelays struct {
	Name string `json:"name"`
	Pos  Pos    `json:"pos"`
}

// BFDInstance is a bfd_instance block.
type BFDInstance struct {
	Name   string `json:"name"`
	Pos    Pos    `json:"pos"`
	Weight int    `json:"weight"`
}

var trackingRootKeywords = table[Config]{}

func validateTracking(d *decoder) {}

func validateBFD(d *decoder) {}
