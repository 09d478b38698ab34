package parser

// validateScripts runs keepalived's script security check over every script
// the configuration kept, with global_defs' final settings.
func validateScripts(d *decoder) {
	if d.opts.noScriptCheck {
		return
	}
	g := &d.cfg.Global
	sec := ScriptSecurity{
		Enabled: g.EnableScriptSecurity,
		User:    g.ScriptUser, Group: g.ScriptGroup,
		UserSet: g.ScriptUserSet, UserPos: g.ScriptUserPos,
		NoVRRPInstances:  len(d.cfg.Instances) == 0,
		NoVirtualServers: len(d.cfg.VirtualServers) == 0,
	}
	sys := d.opts.Scripts
	if sys == nil {
		sys = OSScriptSystem()
	}
	for _, diag := range ApplyScriptSecurity(d.scripts, sec, sys) {
		diag.seq = d.seq
		d.diags = append(d.diags, diag)
	}
}
