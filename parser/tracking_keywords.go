package parser

// trackingRootKeywords are the root blocks that define tracked objects and
// groups of instances. They belong to the VRRP process, except track_file,
// which the checker process reads first (it serves real servers too), and
// bfd_instance, which belongs to the BFD process.
var trackingRootKeywords = table[Config]{
	"vrrp_script":              {kind: subBlock, pass: PassVRRP, handle: decodeVRRPScript},
	"track_file":               {kind: subBlock, pass: PassChecker, handle: decodeTrackFile},
	"vrrp_track_file":          {kind: subBlock, pass: PassChecker, handle: decodeTrackFile},
	"vrrp_track_process":       {kind: subBlock, pass: PassVRRP, handle: decodeTrackProcess},
	"vrrp_sync_group":          {kind: subBlock, pass: PassVRRP, handle: decodeSyncGroup},
	"garp_group":               {kind: subBlock, pass: PassVRRP, handle: decodeGarpGroup},
	"track_group":              {kind: subBlock, pass: PassVRRP, handle: decodeTrackGroup},
	"linkbeat_interfaces":      {kind: valueBlock, pass: PassVRRP, handle: decodeLinkbeat},
	"interface_up_down_delays": {kind: valueBlock, pass: PassVRRP, handle: decodeUpDownDelays},
	"bfd_instance":             {kind: subBlock, pass: PassBFD, handle: decodeBFDInstance},
}

// validateTracking runs the checks keepalived's VRRP process makes on these
// blocks after parsing: most were already made at the end of each block, as
// keepalived does; what needs the instances is left for here.
func validateTracking(d *decoder) {
	validateSyncGroups(d)
	validateTrackGroups(d)
}
