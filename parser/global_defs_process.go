package parser

import (
	"math"
	"runtime"
)

// GlobalProcesses is the process naming, scheduling and resource part of
// global_defs.
type GlobalProcesses struct {
	// ProcessName is `process_name` (parent); "" leaves it "keepalived".
	ProcessName string `json:"process_name,omitempty"`
	// VRRPProcess, CheckerProcess and BFDProcess are the children's
	// `<child>_process_name`, `_priority`, `_no_swap`, `_rt_priority`,
	// `_cpu_affinity` and `_rlimit_rttime` settings.
	VRRPProcess    ChildProcess `json:"vrrp_process"`
	CheckerProcess ChildProcess `json:"checker_process"`
	BFDProcess     ChildProcess `json:"bfd_process"`
	// MaxAutoPriority is `max_auto_priority [-1..99]`; 0 is off.
	MaxAutoPriority int `json:"max_auto_priority"`
	// MinAutoPriorityDelay is `min_auto_priority_delay` (default 1 s).
	MinAutoPriorityDelay Micros `json:"min_auto_priority_delay"`
	// Umask is `umask` (default 0177).
	Umask uint32 `json:"umask"`
	// NetlinkRcvBufs are the `*_rcv_bufs` and `*_rcv_bufs_force` pairs.
	VRRPNetlinkCmdRcvBufs     NetlinkBufs `json:"vrrp_netlink_cmd_rcv_bufs"`
	VRRPNetlinkMonitorRcvBufs NetlinkBufs `json:"vrrp_netlink_monitor_rcv_bufs"`
	LVSNetlinkCmdRcvBufs      NetlinkBufs `json:"lvs_netlink_cmd_rcv_bufs"`
	LVSNetlinkMonitorRcvBufs  NetlinkBufs `json:"lvs_netlink_monitor_rcv_bufs"`
	ProcessMonitorRcvBufs     NetlinkBufs `json:"process_monitor_rcv_bufs"`
	// RandomSeed is `random_seed` (time-based unless set).
	RandomSeed    uint32 `json:"random_seed,omitempty"`
	RandomSeedSet bool   `json:"-"`
	// DataUseInstance is `data_use_instance [BOOL]`.
	DataUseInstance bool `json:"data_use_instance,omitempty"`
}

// ChildProcess is the scheduling of one child process.
type ChildProcess struct {
	// Name is the process name ("" leaves it "keepalived").
	Name string `json:"name,omitempty"`
	// Priority is the nice value, -20..19.
	Priority int `json:"priority"`
	// NoSwap locks the process in memory.
	NoSwap bool `json:"no_swap,omitempty"`
	// RTPriority is the SCHED_RR priority, 0 for none.
	RTPriority int `json:"rt_priority,omitempty"`
	// CPUAffinity lists the CPUs the process is pinned to (empty = all).
	CPUAffinity []int `json:"cpu_affinity,omitempty"`
	// RLimitRTTime is RLIMIT_RTTIME in µs (default 10000).
	RLimitRTTime uint64 `json:"rlimit_rttime"`
}

// NetlinkBufs is one netlink socket receive buffer setting.
type NetlinkBufs struct {
	Size  uint32 `json:"size,omitempty"`
	Force bool   `json:"force,omitempty"`
}

// schedRRMax is sched_get_priority_max(SCHED_RR) on Linux.
const schedRRMax = 99

var globalProcessKeywords = withChildKeywords(table[GlobalDefs]{
	"process_names":           {handle: gdProcessNames},
	"process_name":            {handle: processName(func(g *GlobalDefs) *string { return &g.ProcessName })},
	"vrrp_process_name":       {handle: processName(func(g *GlobalDefs) *string { return &g.VRRPProcess.Name })},
	"checker_process_name":    {handle: processName(func(g *GlobalDefs) *string { return &g.CheckerProcess.Name })},
	"lvs_process_name":        {handle: gdLVSProcessName},
	"bfd_process_name":        {handle: processName(func(g *GlobalDefs) *string { return &g.BFDProcess.Name })},
	"max_auto_priority":       {handle: gdMaxAutoPriority},
	"min_auto_priority_delay": {handle: gdMinAutoPriorityDelay},
	"umask":                   {handle: gdUmask},
	"random_seed":             {handle: gdRandomSeed},
	"data_use_instance": {handle: boolInto(func(g *GlobalDefs) *bool { return &g.DataUseInstance },
		// keepalived's own spelling.
		"Invalid value '%s' for global date_use_instance specified")},
})

// withChildKeywords adds the keywords repeated per child process and per
// netlink socket.
func withChildKeywords(t table[GlobalDefs]) table[GlobalDefs] {
	children := []struct {
		name  string
		field func(*GlobalDefs) *ChildProcess
	}{
		{"vrrp", func(g *GlobalDefs) *ChildProcess { return &g.VRRPProcess }},
		{"checker", func(g *GlobalDefs) *ChildProcess { return &g.CheckerProcess }},
		{"bfd", func(g *GlobalDefs) *ChildProcess { return &g.BFDProcess }},
	}
	for _, c := range children {
		c := c
		t[c.name+"_priority"] = keyword[GlobalDefs]{handle: func(s *stmt, g *GlobalDefs) {
			c.field(g).Priority = childPriority(s, c.name)
		}}
		t[c.name+"_no_swap"] = keyword[GlobalDefs]{handle: func(_ *stmt, g *GlobalDefs) {
			c.field(g).NoSwap = true
		}}
		t[c.name+"_rt_priority"] = keyword[GlobalDefs]{handle: func(s *stmt, g *GlobalDefs) {
			if p, ok := childRTPriority(s, c.name); ok {
				c.field(g).RTPriority = p
			}
		}}
		t[c.name+"_cpu_affinity"] = keyword[GlobalDefs]{handle: func(s *stmt, g *GlobalDefs) {
			childCPUAffinity(s, c.name, c.field(g))
		}}
		rlimit := keyword[GlobalDefs]{handle: func(s *stmt, g *GlobalDefs) {
			c.field(g).RLimitRTTime = childRTRLimit(s, c.name)
		}}
		t[c.name+"_rlimit_rttime"] = rlimit
		t[c.name+"_rlimit_rtime"] = rlimit
	}
	bufs := []struct {
		name  string
		field func(*GlobalDefs) *NetlinkBufs
	}{
		{"vrrp_netlink_cmd", func(g *GlobalDefs) *NetlinkBufs { return &g.VRRPNetlinkCmdRcvBufs }},
		{"vrrp_netlink_monitor", func(g *GlobalDefs) *NetlinkBufs { return &g.VRRPNetlinkMonitorRcvBufs }},
		{"lvs_netlink_cmd", func(g *GlobalDefs) *NetlinkBufs { return &g.LVSNetlinkCmdRcvBufs }},
		{"lvs_netlink_monitor", func(g *GlobalDefs) *NetlinkBufs { return &g.LVSNetlinkMonitorRcvBufs }},
		{"process_monitor", func(g *GlobalDefs) *NetlinkBufs { return &g.ProcessMonitorRcvBufs }},
	}
	for _, b := range bufs {
		b := b
		t[b.name+"_rcv_bufs"] = keyword[GlobalDefs]{handle: func(s *stmt, g *GlobalDefs) {
			if s.NArgs() < 1 {
				s.Errorf(ClassGeneral, "%s_rcv_bufs size missing", b.name)
				return
			}
			v, ok := s.uintValue(1, 0, math.MaxUint32)
			if !ok {
				s.Errorf(ClassGeneral, "%s_rcv_bufs size (%s) invalid", b.name, s.Word(1).Text)
				return
			}
			if v != 0 {
				b.field(g).Size = uint32(v)
			}
		}}
		t[b.name+"_rcv_bufs_force"] = keyword[GlobalDefs]{handle: func(s *stmt, g *GlobalDefs) {
			if v, ok := s.optBool("Invalid value '%s' for global " + b.name + "_rcv_bufs_force specified"); ok {
				b.field(g).Force = v
			}
		}}
	}
	return t
}

// setProcessName stores a process name, cut as the kernel's comm field is.
func setProcessName(s *stmt, dst *string, name string) {
	const taskCommLen = 16
	if len(name) >= taskCommLen {
		s.Errorf(ClassGeneral, "Process name %s more than %d characters, truncating", name, taskCommLen-1)
		name = name[:taskCommLen-1]
	}
	*dst = name
}

func processName(field func(*GlobalDefs) *string) func(*stmt, *GlobalDefs) {
	return func(s *stmt, g *GlobalDefs) {
		if v, ok := s.Need(1); ok {
			setProcessName(s, field(g), v)
		}
	}
}

func gdProcessNames(s *stmt, g *GlobalDefs) {
	setProcessName(s, &g.VRRPProcess.Name, "keepalived_vrrp")
	setProcessName(s, &g.CheckerProcess.Name, "keepalived_lvs")
	setProcessName(s, &g.BFDProcess.Name, "keepalived_bfd")
}

func gdLVSProcessName(s *stmt, g *GlobalDefs) {
	s.Logf("'lvs_process_name' is deprecated - please use 'checker_process_name'")
	if v, ok := s.Need(1); ok {
		setProcessName(s, &g.CheckerProcess.Name, v)
	}
}

// childPriority is keepalived's get_priority: any failure sets the nice
// value back to 0.
func childPriority(s *stmt, name string) int {
	if s.NArgs() < 1 {
		s.Errorf(ClassGeneral, "No %s process priority specified", name)
		return 0
	}
	v, ok := s.intValue(1, -20, 19)
	if !ok {
		s.Errorf(ClassGeneral, "Invalid %s process priority specified", name)
		return 0
	}
	return int(v)
}

// childRTPriority is get_realtime_priority: any integer is accepted and
// clamped to SCHED_RR's range with an error.
func childRTPriority(s *stmt, name string) (int, bool) {
	if s.NArgs() < 1 {
		s.Errorf(ClassGeneral, "No %s process real-time priority specified", name)
		return 0, false
	}
	v, ok := s.intValue(1, math.MinInt32, math.MaxInt32)
	if !ok {
		s.Errorf(ClassGeneral, "%s process real-time priority '%s' invalid", name, s.Word(1).Text)
		return 0, false
	}
	switch {
	case v < 1:
		s.Errorf(ClassGeneral, "%s process real-time priority %d less than minimum %d - setting to minimum", name, v, 1)
		v = 1
	case v > schedRRMax:
		s.Errorf(ClassGeneral, "%s process real-time priority %d greater than maximum %d - setting to maximum", name, v, schedRRMax)
		v = schedRRMax
	}
	return int(v), true
}

// childCPUAffinity is get_cpu_affinity: the CPUs are those of the machine
// the check runs on, and the first bad id empties the set.
func childCPUAffinity(s *stmt, name string, c *ChildProcess) {
	if s.NArgs() < 1 {
		s.Errorf(ClassGeneral, "No %s cpu_id set specified", name)
		return
	}
	ncpu := int64(runtime.NumCPU())
	var cpus []int
	for i := 1; i <= s.NArgs(); i++ {
		v, ok := s.intValue(i, 0, ncpu-1)
		if !ok {
			s.Errorf(ClassGeneral, "Invalid cpu_id:%d specified for %s process", cStrtolValue(s.Word(i).Text), name)
			c.CPUAffinity = nil
			return
		}
		cpus = append(cpus, int(v))
	}
	c.CPUAffinity = cpus
}

// childRTRLimit is get_rt_rlimit: a bad value sets the limit to 0.
func childRTRLimit(s *stmt, name string) uint64 {
	kw := s.Keyword()
	if len(kw) >= 5 && kw[len(kw)-5] == 'r' {
		s.Logf("Keyword '%s' is deprecated - please use '%srttime'", kw, kw[:len(kw)-5])
	}
	v, ok := s.uintValue(1, 1, math.MaxUint32)
	if !ok {
		if s.NArgs() >= 1 {
			s.Errorf(ClassGeneral, "Invalid %s real-time limit - %s", name, s.Word(1).Text)
		}
		return 0
	}
	if v == 1 {
		// keepalived halves the limit for the soft value, which must
		// not be 0.
		v = 2
	}
	return v
}

func gdMaxAutoPriority(s *stmt, g *GlobalDefs) {
	if s.NArgs() < 1 {
		g.MaxAutoPriority = schedRRMax
		return
	}
	v, ok := s.intValue(1, -1, schedRRMax)
	if !ok {
		s.Errorf(ClassGeneral, "max_auto_priority '%s' must be in [0, %d] (or -1 to disable) - ignoring", s.Word(1).Text, schedRRMax)
		return
	}
	g.MaxAutoPriority = int(v)
}

func gdMinAutoPriorityDelay(s *stmt, g *GlobalDefs) {
	if s.NArgs() < 1 {
		s.Errorf(ClassGeneral, "min_auto_priority_delay requires delay time")
		return
	}
	v, ok := s.intValue(1, 1, 10000000)
	if !ok {
		s.Errorf(ClassGeneral, "min_auto_priority_delay '%s' must be in [1, 10000000] - ignoring", s.Word(1).Text)
		return
	}
	g.MinAutoPriorityDelay = Micros(v)
}

func gdRandomSeed(s *stmt, g *GlobalDefs) {
	if v, ok := s.uintOr(0, math.MaxUint32, "random_seed %s invalid"); ok {
		g.RandomSeed, g.RandomSeedSet = uint32(v), true
	}
}

var umaskBits = []struct {
	name string
	bit  uint32
}{
	{"IRUSR", 0o400}, {"IWUSR", 0o200}, {"IXUSR", 0o100},
	{"IRGRP", 0o040}, {"IWGRP", 0o020}, {"IXGRP", 0o010},
	{"IROTH", 0o004}, {"IWOTH", 0o002}, {"IXOTH", 0o001},
}

// gdUmask reads a number (C prefixes: 0x hex, 0 octal) or bit names
// joined by '|', which may be spread over several words.
func gdUmask(s *stmt, g *GlobalDefs) {
	mask, ok := s.Need(1)
	if !ok {
		return
	}
	if mask[0] >= '0' && mask[0] <= '9' {
		if s.NArgs() != 1 {
			s.Errorf(ClassGeneral, "Extra parameter(s) to umask option")
			return
		}
		u, neg, rest, overflow := cStrtoul(mask, 0)
		if rest != "" || neg || overflow || u&^0o777 != 0 {
			s.Errorf(ClassGeneral, "invalid umask value %s", mask)
			return
		}
		g.Umask = uint32(u)
		return
	}
	var bits uint32
	needOr := false
	for i := 1; i <= s.NArgs(); i++ {
		word := s.Word(i).Text
		for p := word; p != ""; {
			if needOr {
				if p[0] != '|' {
					s.Errorf(ClassGeneral, "Invalid umask syntax %s", word)
					return
				}
				needOr = false
				p = p[1:]
				continue
			}
			found := false
			for _, b := range umaskBits {
				if len(p) >= 5 && p[:5] == b.name {
					bits |= b.bit
					found = true
					break
				}
			}
			if !found {
				s.Errorf(ClassGeneral, "Unknown umask bit %s", p)
				return
			}
			p = p[5:]
			needOr = true
		}
	}
	if !needOr {
		s.Errorf(ClassGeneral, "umask missing bit value")
		return
	}
	g.Umask = bits
}
