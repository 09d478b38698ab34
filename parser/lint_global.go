package parser

import "os"

// NetnsChecker is an optional Host capability: whether a named network
// namespace (/run/netns/NAME) exists.
type NetnsChecker interface {
	NetnsExists(name string) bool
}

// NetnsStopsTest tells whether keepalived -t would stop at net_namespace:
// -t enters the namespace and, when it does not exist, exits 0 right after
// the parent's parse, so only a terminal diagnostic of that parse (a
// missing parameter) still decides the exit code.
func NetnsStopsTest(cfg *Config, host Host) bool {
	name := cfg.Root.NetNamespace
	if name == "" {
		return false
	}
	if c, ok := host.(NetnsChecker); ok {
		return !c.NetnsExists(name)
	}
	if _, ok := host.(osHost); ok {
		_, err := os.Stat("/run/netns/" + name)
		return err != nil
	}
	return false
}

// lintGlobal is gokeepalived's own advice on the global settings.
func lintGlobal(d *decoder) {
	cfg, g := d.cfg, &d.cfg.Global
	if NetnsStopsTest(cfg, d.opts.Host) {
		d.lintf(cfg.Root.NetNamespacePos, "network namespace %s does not exist: keepalived -t would stop here and check nothing else (exit 0)",
			cfg.Root.NetNamespace)
	}
	if g.SMTPServer == nil && len(g.NotificationEmail) > 0 {
		d.lintf(g.Pos, "notification_email is set but there is no smtp_server: no mail will be sent")
	}
	if g.SMTPServer != nil && len(g.NotificationEmail) == 0 {
		d.lintf(g.SMTPServer.Pos, "smtp_server is set but notification_email is empty: no mail will be sent")
	}
}
