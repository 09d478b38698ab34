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
	lintDuplicateTrackers(d)
}

// lintDuplicateTrackers flags a second vrrp_script, track_file or
// vrrp_track_process of the same name: keepalived accepts it silently but
// every track_* entry resolves to the first, so the second never runs for
// anyone.
func lintDuplicateTrackers(d *decoder) {
	type named struct {
		kind, name string
		pos        Pos
	}
	var all []named
	for _, x := range d.cfg.VRRPScripts {
		all = append(all, named{"vrrp_script", x.Name, x.Pos})
	}
	for _, x := range d.cfg.TrackFiles {
		all = append(all, named{"track_file", x.Name, x.Pos})
	}
	for _, x := range d.cfg.TrackProcesses {
		all = append(all, named{"vrrp_track_process", x.Name, x.Pos})
	}
	first := map[[2]string]Pos{}
	for _, n := range all {
		key := [2]string{n.kind, n.name}
		if p, dup := first[key]; dup {
			d.lintf(n.pos, "%s %s is already defined at %s; tracking entries use the first one", n.kind, n.name, p)
			continue
		}
		first[key] = n.pos
	}
}
