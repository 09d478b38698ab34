package parser

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// globalWantDiag is one expected diagnostic: a message fragment and its class.
type globalWantDiag struct {
	msg   string
	class Class
}

// checkDiags asserts that every wanted diagnostic is present with its class
// and that nothing else but notes and lint was reported.
func globalCheckDiags(t *testing.T, r *Result, want []globalWantDiag) {
	t.Helper()
	used := make([]bool, len(r.Diagnostics))
	for _, w := range want {
		found := false
		for i, d := range r.Diagnostics {
			if !used[i] && strings.Contains(d.Message, w.msg) {
				if d.Class != w.class {
					t.Errorf("%q: class %v, want %v", d.Message, d.Class, w.class)
				}
				used[i], found = true, true
				break
			}
		}
		if !found {
			t.Errorf("missing %q in %q", w.msg, messages(r))
		}
	}
	for i, d := range r.Diagnostics {
		if !used[i] && !d.Own && d.Severity != SeverityNote {
			t.Errorf("unexpected diagnostic %v", d)
		}
	}
}

func globalDefs(lines string) string { return "global_defs {\n" + lines + "\n}\n" }

func TestGlobalDefaults(t *testing.T) {
	r := parseText(t, "")
	g := r.Config.Global
	checks := []struct {
		name      string
		got, want any
	}{
		{"router_id", g.RouterID, "testhost"},
		{"notification_email_from", g.NotificationEmailFrom, ""},
		{"smtp_connect_timeout", g.SMTPConnectTimeout, Micros(0)},
		{"vrrp_garp_master_delay", g.GarpMasterDelay, 5 * second},
		{"vrrp_garp_master_repeat", g.GarpMasterRepeat, uint32(5)},
		{"vrrp_garp_master_refresh_repeat", g.GarpMasterRefreshRepeat, uint32(1)},
		{"vrrp_garp_lower_prio_delay", g.GarpLowerPrioDelay, 5 * second},
		{"vrrp_garp_lower_prio_repeat", g.GarpLowerPrioRepeat, uint32(5)},
		{"vrrp_down_timer_adverts", g.DownTimerAdverts, uint32(3)},
		{"vrrp_version", g.VRRPVersion, 2},
		{"vrrp_mcast_group4", g.VRRPMcastGroup4, netip.MustParseAddr("224.0.0.18")},
		{"vrrp_mcast_group6", g.VRRPMcastGroup6, netip.MustParseAddr("ff02::12")},
		{"default_interface", g.DefaultInterface, "eth0"},
		{"vmac_prefix", g.VMACPrefix, "vrrp"},
		{"vmac_addr_prefix", g.VMACAddrPrefix, "vrrp"},
		{"umask", g.Umask, uint32(0o177)},
		{"min_auto_priority_delay", g.MinAutoPriorityDelay, Micros(1000000)},
		{"vrrp_rlimit_rttime", g.VRRPProcess.RLimitRTTime, uint64(10000)},
		{"vrrp_rx_bufs_multiplier", g.VRRPRxBufsMultiplier, uint32(3)},
		{"nftables_priority", g.NFTablesPriority, -1},
		{"nftables_ipvs_start_fwmark", g.NFTablesIPVSStartFwmark, uint32(1000)},
		{"dbus_service_name", g.DBusServiceName, "org.keepalived.Vrrp1"},
		{"snmp_socket", g.SNMPSocket, "unix:/var/agentx/master"},
		{"startup_script_timeout", g.StartupScriptTimeout, 10 * second},
		{"child_wait_time", r.Config.Root.ChildWaitTime, 5 * second},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if r.ExitCode(false) != ExitOK {
		t.Errorf("exit %d: %q", r.ExitCode(false), messages(r))
	}
}

func TestGlobalMailDefaults(t *testing.T) {
	r := parseText(t, globalDefs("smtp_server 192.168.200.1\nnotification_email {\na@b c@d\ne@f }"))
	g := r.Config.Global
	if g.NotificationEmailFrom != "root@testhost" || g.SMTPHeloName != "testhost" || g.SMTPConnectTimeout != 30*second {
		t.Errorf("mail defaults: from %q helo %q timeout %v", g.NotificationEmailFrom, g.SMTPHeloName, g.SMTPConnectTimeout)
	}
	if want := []string{"a@b", "c@d", "e@f"}; !reflect.DeepEqual(g.NotificationEmail, want) {
		t.Errorf("notification_email = %q", g.NotificationEmail)
	}
	if g.SMTPServer.Port != 25 || g.SMTPServer.Addr != netip.MustParseAddr("192.168.200.1") {
		t.Errorf("smtp_server = %+v", g.SMTPServer)
	}
	globalCheckDiags(t, r, nil)
}

// TestGlobalDefsErrors checks keepalived 2.2.7's messages and classes, as
// its -t printed them for these lines.
func TestGlobalDefsErrors(t *testing.T) {
	gen := ClassGeneral
	num := ClassInvalidNumber
	cases := []struct {
		line string
		want []globalWantDiag
	}{
		{"router_id", []globalWantDiag{{"routerid name missing - ignoring", gen}}},
		{"notification_email_from", []globalWantDiag{{"emailfrom missing - ignoring", gen}}},
		{"notification_email {\n}", []globalWantDiag{{"Warning - empty notification_email block", gen}}},
		{"smtp_server 10.0.0.1 99999", []globalWantDiag{{"number '99999' outside range [1, 65535]", num},
			{"number '99999' outside range [1, 65535]", num}, {"Invalid smtp server 10.0.0.1 99999", gen}}},
		{"smtp_server mail.example.invalid", []globalWantDiag{{"Invalid smtp server mail.example.invalid 25", gen}}},
		{"smtp_server 10.0.0.1-3", []globalWantDiag{{"Invalid smtp server 10.0.0.1-3 25", gen}}},
		{"smtp_server localhost 587", nil},
		{"smtp_connect_timeout 0", []globalWantDiag{{"smtp_conect_timeout must be greater than 0, setting to 1", gen}}},
		{"smtp_connect_timeout 5000", []globalWantDiag{{"number '5000' outside range [0, 4294]", num},
			{"smtp_connect_timeout '5000' must be in [0, 4294] - ignoring", gen}}},
		{"smtp_alert maybe", []globalWantDiag{{"Invalid value 'maybe' for global smtp_alert specified", gen}}},
		{"checker_log_all_failures x", []globalWantDiag{{"Invalid value for checker_log_all_failures specified", gen}}},
		{"process_name abcdefghijklmnopq", []globalWantDiag{{"Process name abcdefghijklmnopq more than 15 characters, truncating", gen}}},
		{"startup_script", []globalWantDiag{{"startup script missing", gen}}},
		{"startup_script_timeout", []globalWantDiag{{"startup_script_timeout requires value", gen}}},
		{"shutdown_script_timeout 1001", []globalWantDiag{{"number '1001' outside range [1, 1000]", num},
			{"shutdown_script_timeout '1001' must be in [1, 1000] - ignoring", gen}}},
		{"max_auto_priority 100", []globalWantDiag{{"number '100' outside range [-1, 99]", num},
			{"max_auto_priority '100' must be in [0, 99] (or -1 to disable) - ignoring", gen}}},
		{"min_auto_priority_delay", []globalWantDiag{{"min_auto_priority_delay requires delay time", gen}}},
		{"umask 0800", []globalWantDiag{{"invalid umask value 0800", gen}}},
		{"umask 077 extra", []globalWantDiag{{"Extra parameter(s) to umask option", gen}}},
		{"umask IRUSR|IWFOO", []globalWantDiag{{"Unknown umask bit IWFOO", gen}}},
		{"umask IRUSR|", []globalWantDiag{{"umask missing bit value", gen}}},
		{"umask IRUSRIWGRP", []globalWantDiag{{"Invalid umask syntax IRUSRIWGRP", gen}}},
		{"dynamic_interfaces foo", []globalWantDiag{{"Unknown dynamic_interfaces option 'foo'", gen}}},
		{"default_interface", []globalWantDiag{{"default_interface requires interface name", gen}}},
		{"vrrp_mcast_group4 ff02::1", []globalWantDiag{{"vrrp_mcast_group4 [ff02::1] is not IPv4. Skipping", gen}}},
		{"vrrp_mcast_group4 10.0.0.1", []globalWantDiag{{"vrrp_mcast_group4 [10.0.0.1] is not multicast. Skipping", gen}}},
		{"vrrp_mcast_group4 1", []globalWantDiag{{"Can't parse vrrp_mcast_group4 [1]. Skipping", gen}}},
		{"vrrp_mcast_group6 ff05::1", []globalWantDiag{{"vrrp_mcast_group6 [ff05::1] should be link-local multicast.", ClassWarning}}},
		{"vrrp_garp_master_delay 5000", []globalWantDiag{{"number '5000' outside range [0, 4294]", num},
			{"vrrp_garp_master_delay '5000' invalid - ignoring", gen}}},
		{"vrrp_garp_master_repeat 0", []globalWantDiag{{"vrrp_garp_master_repeat must be greater than 0, setting to 1", gen}}},
		{"vrrp_garp_master_refresh x", []globalWantDiag{{"invalid number 'x'", num}, {"Invalid vrrp_garp_master_refresh 'x' - ignoring", gen}}},
		{"vrrp_garp_lower_prio_repeat 2147483648", []globalWantDiag{{"number '2147483648' outside range [0, 2147483647]", num},
			{"Invalid vrrp_garp_lower_prio_repeat '2147483648'", gen}}},
		{"vrrp_down_timer_adverts 0", []globalWantDiag{{"number '0' outside range [1, 100]", num}, {"Invalid vrrp_down_timer_adverts [1:100] '0'", gen}}},
		{"vrrp_garp_interval 0", []globalWantDiag{{"number '0' outside range [0.000001, 4294.967295]", num}, {"vrrp_garp_interval '0' is invalid", gen}}},
		{"vrrp_gna_interval 0", []globalWantDiag{{"number '0' outside range [0.000001, 4294.967295]", num}, {"vrrp_gna_interval '0' is invalid", gen}}},
		{"vrrp_garp_extra_if all", []globalWantDiag{{"vrrp_garp_extra_if specified without time - ignoring", gen}}},
		{"vrrp_garp_extra_if all 10 x", []globalWantDiag{{"invalid number 'x'", num}, {"vrrp_garp_extra_if 'x' invalid - ignoring", gen}}},
		{"vrrp_vmac_garp_intvl 10", []globalWantDiag{{`Keyword "vrrp_vmac_garp_intvl" is deprecated - please use "vrrp_garp_extra_if"`, ClassDeprecated}}},
		{"vrrp_version 4", []globalWantDiag{{"number '4' outside range [2, 3]", num}, {"VRRP Error: Version must be either 2 or 3", gen}}},
		{"vrrp_iptables IN OUT", []globalWantDiag{{"iptables not supported, using nftables instead. Please replace 'vrrp_iptables and 'vrrp_ipsets' with 'nftables' config option", gen}}},
		{"vrrp_iptables\nnftables", []globalWantDiag{{"iptables not supported", gen}, {"nftables already specified - ignoring", gen}}},
		{"vrrp_ipsets", []globalWantDiag{{"Unknown keyword 'vrrp_ipsets'", ClassUnknownKeyword}}},
		{"nftables_priority x", []globalWantDiag{{"invalid number 'x'", num}, {"invalid nftables chain priority 'x'", num}}},
		{"nftables_ipvs_start_fwmark 0", []globalWantDiag{{"number '0' outside range [1, 4294967295]", num},
			{"invalid ipvs nftables start_fwmark priority '0'", num}}},
		{"vrrp_priority 20", []globalWantDiag{{"number '20' outside range [-20, 19]", num}, {"Invalid vrrp process priority specified", gen}}},
		{"checker_priority", []globalWantDiag{{"No checker process priority specified", gen}}},
		{"vrrp_rt_priority 27asdf", []globalWantDiag{{"invalid number '27asdf'", num}, {"vrrp process real-time priority '27asdf' invalid", gen}}},
		{"checker_rt_priority 130", []globalWantDiag{{"checker process real-time priority 130 greater than maximum 99 - setting to maximum", gen}}},
		{"bfd_rt_priority 0", []globalWantDiag{{"bfd process real-time priority 0 less than minimum 1 - setting to minimum", gen}}},
		{"vrrp_cpu_affinity 0 x", []globalWantDiag{{"invalid number 'x'", num}, {"Invalid cpu_id:0 specified for vrrp process", gen}}},
		{"bfd_cpu_affinity", []globalWantDiag{{"No bfd cpu_id set specified", gen}}},
		{"vrrp_rlimit_rttime 0", []globalWantDiag{{"number '0' outside range [1, 4294967295]", num}, {"Invalid vrrp real-time limit - 0", gen}}},
		{"notify_fifo", []globalWantDiag{{"No notify_fifo name specified", gen}}},
		{"vrrp_notify_fifo /a\nvrrp_notify_fifo /b", []globalWantDiag{{"vrrp_notify_fifo already specified - ignoring /b", gen}}},
		{"lvs_notify_fifo_script", []globalWantDiag{{"No lvs_notify_fifo_script specified", gen}}},
		{"snmp_socket a b", []globalWantDiag{{"Too many parameters specified for snmp_socket - ignoring", gen}}},
		{"snmp_socket a\nsnmp_socket b", []globalWantDiag{{"SNMP socket already set to a - ignoring", gen}}},
		{"dbus_service_name", []globalWantDiag{{"dbus_service_name missing - ignoring", gen}}},
		{"script_user", []globalWantDiag{{"No script username specified", gen}}},
		{"vrrp_netlink_cmd_rcv_bufs x", []globalWantDiag{{"invalid number 'x'", num}, {"vrrp_netlink_cmd_rcv_bufs size (x) invalid", gen}}},
		{"process_monitor_rcv_bufs", []globalWantDiag{{"process_monitor_rcv_bufs size missing", gen}}},
		{"lvs_netlink_cmd_rcv_bufs_force x", []globalWantDiag{{"Invalid value 'x' for global lvs_netlink_cmd_rcv_bufs_force specified", gen}}},
		{"vrrp_rx_bufs_policy MTU ADVERT", []globalWantDiag{{"Cannot set both vrrp_rx_bufs_policy MTU and ADVERT, ignoring ADVERT", gen}}},
		{"vrrp_rx_bufs_policy 100 MTU", []globalWantDiag{{"Cannot set vrrp_rx_bufs_policy size and policy, ignoring policy", gen}}},
		{"vrrp_rx_bufs_policy mtu x", []globalWantDiag{{"invalid number 'mtu'", num}, {"Invalid vrrp_rx_bufs_policy x", gen}}},
		{"vrrp_rx_bufs_multiplier 1 2", []globalWantDiag{{"Invalid vrrp_rx_bufs_multiplier", gen}}},
		{"vrrp_startup_delay 0", []globalWantDiag{{"number '0' outside range [0.001000, 4294.967295]", num}, {"vrrp_startup_delay '0' is invalid", gen}}},
		{"vmac_prefix a\nvmac_prefix b", []globalWantDiag{{"vmac prefix has already been specified - ignoring b", gen}}},
		{"random_seed x", []globalWantDiag{{"invalid number 'x'", num}, {"random_seed x invalid", gen}}},
		{"reload_time_file a b", []globalWantDiag{{"reload_time_file invalid", gen}}},
		{"include_check readable", []globalWantDiag{{"Unknown include_check type 'readable' - ignoring", gen}}},
		{"include_check read match", []globalWantDiag{{"Duplicate include_check 'match' specified - ignoring", gen}}},
		{"include_check +foo", []globalWantDiag{{"Unknown include_check type 'foo' - ignoring", gen}}},
		{"tmp_config_directory", []globalWantDiag{{"tmp_config_directory missing directory name", gen}}},
		{"config_save_dir /nonexistent-gokeepalived/x", []globalWantDiag{
			{"Unable to create config_save_dir /nonexistent-gokeepalived/x (error 2 - No such file or directory)", gen}}},
		{"lvs_timeouts tcp", []globalWantDiag{{"lvs_timeouts requires at least one option", gen}}},
		{"lvs_timeouts tcp 10 udp", []globalWantDiag{{"No value specified for lvs_timeout udp - ignoring", gen}}},
		{"lvs_timeouts tcp x foo 3", []globalWantDiag{{"invalid number 'x'", num}, {"Invalid lvs_timeout tcp (x) - ignoring", gen},
			{"Unknown option foo specified for lvs_timeouts", gen}, {"Unknown option 3 specified for lvs_timeouts", gen}}},
		{"lvs_flush_on_stop vs", []globalWantDiag{{"Unknown lvs_flush_on_stop type vs", gen}}},
		{"lvs_sync_daemon", []globalWantDiag{{"lvs_sync_daemon requires interface", gen}}},
		{"lvs_sync_daemon abcdefghijklmnopq", []globalWantDiag{{"lvs_sync_daemon interface name 'abcdefghijklmnopq' too long - ignoring", gen}}},
		{"lvs_sync_daemon eth0\nlvs_sync_daemon eth1", []globalWantDiag{{"lvs_sync_daemon has already been specified as eth0  - ignoring", gen}}},
		{"lvs_sync_daemon eth0 id", []globalWantDiag{{"No value specified for lvs_sync_daemon id, defaulting to vrid", gen}}},
		{"lvs_sync_daemon eth0 VI_1 7 maxlen 0 group 1.2.3.4 foo", []globalWantDiag{
			{`Please use keyword "id" before lvs_sync_daemon SYNCID`, gen},
			{"number '0' outside range [1, 65507]", num}, {"Invalid lvs_sync_daemon maxlen (0) - ignoring", gen},
			{"lvs_sync_daemon group address 1.2.3.4 is not multicast - ignoring", gen},
			{"Unknown option foo specified for lvs_sync_daemon", gen}}},
		{"lvs_sync_daemon eth0 inst A inst B", []globalWantDiag{{"lvs_sync_daemon vrrp instance has already been specified as A - ignoring", gen}}},
		{"data_use_instance x", []globalWantDiag{{"Invalid value 'x' for global date_use_instance specified", gen}}},
		// Root keywords are unknown inside global_defs.
		{"child_wait_time 5\nnet_namespace x\ninstance y\nuse_pid_dir", []globalWantDiag{
			{"Unknown keyword 'child_wait_time'", ClassUnknownKeyword}, {"Unknown keyword 'net_namespace'", ClassUnknownKeyword},
			{"Unknown keyword 'instance'", ClassUnknownKeyword}, {"Unknown keyword 'use_pid_dir'", ClassUnknownKeyword}}},
		{"priority 100", []globalWantDiag{{"Unknown keyword 'priority'", ClassUnknownKeyword}}},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.line, "\n", ";"), func(t *testing.T) {
			r := parseText(t, globalDefs(c.line))
			globalCheckDiags(t, r, c.want)
			want := ExitOK
			if len(c.want) > 0 {
				want = ExitErrors
			}
			if got := r.ExitCode(false); got != want {
				t.Errorf("exit %d, want %d", got, want)
			}
		})
	}
}

// TestGlobalMissingParameter lists the handlers that read their argument
// without checking for it: keepalived exits 2 on them.
func TestGlobalMissingParameter(t *testing.T) {
	for _, kw := range []string{"process_name", "vrrp_process_name", "checker_process_name", "lvs_process_name",
		"bfd_process_name", "smtp_server", "smtp_connect_timeout", "vrrp_mcast_group4", "vrrp_mcast_group6",
		"vrrp_garp_master_delay", "vrrp_garp_master_repeat", "vrrp_garp_master_refresh",
		"vrrp_garp_master_refresh_repeat", "vrrp_garp_lower_prio_delay", "vrrp_garp_lower_prio_repeat",
		"vrrp_down_timer_adverts", "vrrp_garp_interval", "vrrp_gna_interval", "vrrp_version", "nftables_priority",
		"nftables_ipvs_priority", "nftables_ipvs_start_fwmark", "vrrp_rlimit_rttime", "checker_rlimit_rtime",
		"bfd_rlimit_rttime", "vrrp_startup_delay", "vmac_prefix", "vmac_addr_prefix", "umask", "random_seed",
		"config_save_dir"} {
		r := parseText(t, globalDefs(kw))
		if got := r.ExitCode(false); got != ExitMissingParameter {
			t.Errorf("%s: exit %d, want 2 (%q)", kw, got, messages(r))
		}
		want := "*** Configuration line starting `" + kw + "` is missing a parameter after keyword `" + kw + "` at word position 2"
		if !hasMessage(r, want) {
			t.Errorf("%s: got %q", kw, messages(r))
		}
	}
	r := parseText(t, globalDefs("lvs_sync_daemon eth0 inst"))
	if r.ExitCode(false) != ExitMissingParameter || !hasMessage(r, "after keyword `inst` at word position 4") {
		t.Errorf("lvs_sync_daemon inst: %q", messages(r))
	}
}

// TestGlobalFlagsAlone are the keywords that are fine with no argument.
func TestGlobalFlagsAlone(t *testing.T) {
	for _, kw := range []string{"process_names", "smtp_helo_name", "smtp_alert", "max_auto_priority", "smtp_alert_vrrp",
		"smtp_alert_checker", "checker_log_all_failures", "dynamic_interfaces", "no_email_faults", "disable_local_igmp",
		"lvs_flush", "lvs_flush_on_stop", "lvs_flush_onstop", "vrrp_min_garp", "vrrp_lower_prio_no_advert",
		"vrrp_higher_prio_send_advert", "nftables", "nftables_ifindex", "nftables_ipvs", "nftables_counters",
		"vrrp_check_unicast_src", "vrrp_skip_check_adv_addr", "vrrp_strict", "vrrp_no_swap", "checker_no_swap",
		"bfd_no_swap", "vrrp_notify_priority_changes", "fifo_write_vrrp_states_on_reload", "enable_traps",
		"enable_snmp_vrrp", "enable_snmp_keepalived", "enable_snmp_rfc", "enable_snmp_rfcv2", "enable_snmp_rfcv3",
		"enable_snmp_checker", "enable_dbus", "enable_script_security", "vrrp_netlink_cmd_rcv_bufs_force",
		"rs_init_notifies", "no_checker_emails", "log_unknown_vrids", "reload_check_config", "reload_repeat",
		"reload_file", "include_check", "data_use_instance"} {
		r := parseText(t, globalDefs(kw))
		if got := r.ExitCode(false); got != ExitOK {
			t.Errorf("%s: exit %d (%q)", kw, got, messages(r))
		}
	}
}

func TestGlobalValues(t *testing.T) {
	r := parseText(t, globalDefs(`router_id LVS_DEVEL
notification_email_from ops@example.com
smtp_server ::1 2525
smtp_connect_timeout 7
smtp_alert off
process_names
vrrp_priority -5
checker_rt_priority 50
bfd_cpu_affinity 0
vrrp_rlimit_rttime 1
max_auto_priority
umask IRUSR | IWGRP|IXOTH
script_user nobody nogroup
enable_script_security
startup_script "/bin/echo hi" root
vrrp_garp_master_delay 1
vrrp_min_garp
vrrp_garp_interval 0.001
vrrp_garp_extra_if all 30
vrrp_iptables
nftables_ipvs
lvs_timeouts tcp 900 udp 30
lvs_flush_on_stop VS
lvs_sync_daemon eth0 inst VI_1 id 5 port 9000 group 239.1.1.1
include_check +match -read
reload_file
notify_fifo /run/fifo
vrrp_notify_fifo /run/fifo
vrrp_rx_bufs_policy ADVERT`))
	globalCheckDiags(t, r, []globalWantDiag{{"iptables not supported", ClassGeneral}})
	g := r.Config.Global
	check := func(name string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("router_id", g.RouterID, "LVS_DEVEL")
	check("email_from", g.NotificationEmailFrom, "ops@example.com")
	check("smtp_server", *g.SMTPServer, SMTPServer{Pos: g.SMTPServer.Pos, Host: "::1", Addr: netip.MustParseAddr("::1"), Port: 2525})
	check("smtp_connect_timeout", g.SMTPConnectTimeout, 7*second)
	check("smtp_alert", *g.SMTPAlert, false)
	check("vrrp process name", g.VRRPProcess.Name, "keepalived_vrrp")
	check("checker process name", g.CheckerProcess.Name, "keepalived_lvs")
	check("vrrp_priority", g.VRRPProcess.Priority, -5)
	check("checker_rt_priority", g.CheckerProcess.RTPriority, 50)
	check("bfd_cpu_affinity", g.BFDProcess.CPUAffinity, []int{0})
	check("vrrp_rlimit_rttime", g.VRRPProcess.RLimitRTTime, uint64(2))
	check("max_auto_priority", g.MaxAutoPriority, 99)
	check("umask", g.Umask, uint32(0o421))
	check("script_user", []any{g.ScriptUser, g.ScriptGroup, g.ScriptUserSet, g.ScriptUserPos.Line}, []any{"nobody", "nogroup", true, 14})
	check("enable_script_security", g.EnableScriptSecurity, true)
	check("startup_script", g.StartupScript != nil, true)
	check("vrrp_garp_master_delay", g.GarpMasterDelay, second)
	check("vrrp_garp_master_repeat (min_garp)", g.GarpMasterRepeat, uint32(1))
	check("vrrp_garp_master_refresh_repeat (min_garp)", g.GarpMasterRefreshRepeat, uint32(0))
	check("vrrp_garp_lower_prio_delay", g.GarpLowerPrioDelay, second)
	check("vrrp_garp_interval", g.GarpInterval, Micros(1000))
	check("vrrp_garp_extra_if", []any{g.GarpExtraIf, g.GarpExtraIfAll}, []any{30 * second, true})
	check("nftables", g.NFTables, "keepalived")
	check("nftables_ipvs", g.NFTablesIPVS, "keepalived_ipvs")
	check("lvs_timeouts", g.LVSTimeouts, LVSTimeouts{TCP: 900 * second, UDP: 30 * second})
	check("lvs_flush_on_stop", g.LVSFlushOnStop, "vs")
	sd := *g.LVSSyncDaemon
	sd.Pos = Pos{}
	check("lvs_sync_daemon", sd, LVSSyncDaemon{Interface: "eth0", Instance: "VI_1", SyncID: 5, Port: 9000,
		Group: netip.MustParseAddr("239.1.1.1")})
	check("include_check", g.IncludeCheck, IncludeMatch)
	check("reload_file", g.ReloadFile, "/run/keepalived.reload")
	check("notify_fifo", g.NotifyFIFO.Name, "/run/fifo")
	check("vrrp_notify_fifo deduplicated", g.VRRPNotifyFIFO.Name, "")
	check("vrrp_rx_bufs_policy", g.VRRPRxBufsPolicy, RxBufsPolicy{Advert: true})
	if r.ExitCode(false) != ExitErrors { // vrrp_iptables
		t.Errorf("exit %d", r.ExitCode(false))
	}
}

func TestGlobalScriptsRecorded(t *testing.T) {
	r := parseText(t, globalDefs("startup_script /bin/a\nshutdown_script /bin/b\nnotify_fifo_script /bin/c\nstartup_script /bin/d"))
	globalCheckDiags(t, r, []globalWantDiag{{"startup script already specified", ClassGeneral}})
	g := r.Config.Global
	if g.StartupScript == nil || g.ShutdownScript == nil || g.NotifyFIFO.Script == nil {
		t.Fatalf("scripts not stored: %+v", g.GlobalScripts)
	}
	if g.StartupScript.Line != "/bin/a" {
		t.Errorf("startup_script = %+v", g.StartupScript)
	}
}

func TestGlobalRootKeywords(t *testing.T) {
	r := parseText(t, "net_namespace_ipvs\nnamespace_with_ipsets\ninstance blue\nchild_wait_time 9\nlinkbeat_use_polling\nreload_file_x\n")
	globalCheckDiags(t, r, []globalWantDiag{{"Unknown keyword 'reload_file_x'", ClassUnknownKeyword}})
	root := r.Config.Root
	if !root.NetNamespaceIPVSSet || root.NetNamespaceIPVS != "" || !root.NamespaceWithIPSets || root.Instance != "blue" ||
		!root.UsePIDDir || root.ChildWaitTime != 9*second || !root.LinkbeatUsePolling {
		t.Errorf("root = %+v", root)
	}

	cases := []struct {
		text string
		want []globalWantDiag
		exit int
	}{
		{"net_namespace", []globalWantDiag{{"net_namespace name missing - ignoring", ClassGeneral}}, ExitErrors},
		{"instance", []globalWantDiag{{"instance name missing - ignoring", ClassGeneral}}, ExitErrors},
		{"instance a\ninstance b", []globalWantDiag{{"Duplicate instance definition b - ignoring", ClassGeneral}}, ExitErrors},
		{"net_namespace_ipvs a\nnet_namespace_ipvs b", []globalWantDiag{{"Duplicate net_namespace_ipvs definition b - ignoring", ClassGeneral}}, ExitErrors},
		{"child_wait_time x", []globalWantDiag{{"invalid number 'x'", ClassInvalidNumber}, {"Invalid child_wait_time x", ClassGeneral}}, ExitErrors},
		{"child_wait_time", []globalWantDiag{{"missing a parameter after keyword `child_wait_time` at word position 2", ClassMissingParameter}}, ExitMissingParameter},
	}
	for _, c := range cases {
		r := parseText(t, c.text)
		globalCheckDiags(t, r, c.want)
		if got := r.ExitCode(false); got != c.exit {
			t.Errorf("%q: exit %d, want %d", c.text, got, c.exit)
		}
	}
}

// netnsHost is testHost with a set of existing network namespaces.
type netnsHost struct {
	fakeHost
	netns []string
}

func (h netnsHost) NetnsExists(name string) bool {
	for _, n := range h.netns {
		if n == name {
			return true
		}
	}
	return false
}

func TestNetnsStopsTest(t *testing.T) {
	text := []byte("net_namespace blue\n")
	for _, c := range []struct {
		netns []string
		stops bool
	}{{nil, true}, {[]string{"blue"}, false}} {
		host := netnsHost{fakeHost: testHost, netns: c.netns}
		r := LoadBytes("k.conf", text, Options{Host: host, ReadOptions: ReadOptions{ConfigID: "testhost"}})
		if got := NetnsStopsTest(r.Config, host); got != c.stops {
			t.Errorf("netns %v: stops %v, want %v", c.netns, got, c.stops)
		}
		lint := false
		for _, d := range r.Diagnostics {
			lint = lint || (d.Own && strings.Contains(d.Message, "does not exist"))
		}
		if lint != c.stops {
			t.Errorf("netns %v: lint %v", c.netns, lint)
		}
		if r.ExitCode(false) != ExitOK {
			t.Errorf("exit %d", r.ExitCode(false))
		}
	}
}

// resolvingHost answers host-name lookups from a fixed list.
type resolvingHost struct {
	fakeHost
	names []string
}

func (h resolvingHost) ResolveHost(name string) bool {
	for _, n := range h.names {
		if n == name {
			return true
		}
	}
	return false
}

func TestSMTPServerResolution(t *testing.T) {
	host := resolvingHost{fakeHost: testHost, names: []string{"mail.example.com"}}
	for _, c := range []struct {
		name string
		ok   bool
	}{{"mail.example.com", true}, {"smtp.163.com", false}} {
		r := LoadBytes("k.conf", []byte(globalDefs("smtp_server "+c.name)), Options{Host: host})
		if got := r.Config.Global.SMTPServer != nil; got != c.ok {
			t.Errorf("%s: resolved %v, want %v (%q)", c.name, got, c.ok, messages(r))
		}
	}
}

func TestConfigSaveDir(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		want []globalWantDiag
	}{
		{dir + "/", nil},
		{filepath.Join(dir, "new"), nil},
		{file, []globalWantDiag{{"config_save_dir " + file + " exists and is not a directory", ClassGeneral}}},
		{file + "/x", []globalWantDiag{{"config_save_dir " + file + "/x error 20 - Not a directory", ClassGeneral}}},
	} {
		r := parseText(t, globalDefs("config_save_dir "+c.path))
		globalCheckDiags(t, r, c.want)
		if _, err := os.Stat(filepath.Join(dir, "new")); err == nil {
			t.Fatal("config_save_dir created a directory")
		}
	}
	if r := parseText(t, globalDefs("config_save_dir "+dir+"/")); r.Config.Global.ConfigSaveDir != dir {
		t.Errorf("config_save_dir = %q", r.Config.Global.ConfigSaveDir)
	}
}

func TestLintMail(t *testing.T) {
	r := parseText(t, globalDefs("notification_email {\na@b\n}"))
	if !hasMessage(r, "no smtp_server") || r.ExitCode(false) != ExitOK || r.ExitCode(true) != ExitErrors {
		t.Errorf("%q exit %d/%d", messages(r), r.ExitCode(false), r.ExitCode(true))
	}
}
