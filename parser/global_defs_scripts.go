package parser

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// GlobalScripts is the parent's start-up and shutdown scripts.
type GlobalScripts struct {
	// StartupScript is `startup_script SCRIPT`, run before the children.
	StartupScript *Script `json:"startup_script,omitempty"`
	// StartupScriptTimeout is `startup_script_timeout SECS` (default 10 s).
	StartupScriptTimeout Micros `json:"startup_script_timeout"`
	// ShutdownScript is `shutdown_script SCRIPT`, run after the children.
	ShutdownScript *Script `json:"shutdown_script,omitempty"`
	// ShutdownScriptTimeout is `shutdown_script_timeout SECS` (default 10 s).
	ShutdownScriptTimeout Micros `json:"shutdown_script_timeout"`
}

// GlobalReload is the configuration-handling part of global_defs.
type GlobalReload struct {
	// TmpConfigDirectory is `tmp_config_directory DIR`.
	TmpConfigDirectory string `json:"tmp_config_directory,omitempty"`
	// ConfigSaveDir is `config_save_dir DIR` (trailing '/' removed).
	ConfigSaveDir string `json:"config_save_dir,omitempty"`
	// IncludeCheck is the last `include_check` seen; the reader applies it
	// to the includes that follow.
	IncludeCheck    IncludeChecks `json:"include_check,omitempty"`
	IncludeCheckSet bool          `json:"-"`
	// ReloadCheckConfig is `reload_check_config [LOG_FILE]` ("/dev/null"
	// without a file).
	ReloadCheckConfig string `json:"reload_check_config,omitempty"`
	// ReloadTimeFile is `reload_time_file PATH`.
	ReloadTimeFile string `json:"reload_time_file,omitempty"`
	// ReloadRepeat is the `reload_repeat` flag.
	ReloadRepeat bool `json:"reload_repeat,omitempty"`
	// ReloadFile is `reload_file [PATH]`; without a path it is named after
	// the pid directory and instance.
	ReloadFile        string `json:"reload_file,omitempty"`
	ReloadFileDefault bool   `json:"-"`
}

// IncludeChecks is a set of include checks (language doc §7.3).
type IncludeChecks uint8

const (
	IncludeRead IncludeChecks = 1 << iota
	IncludeMatch
	IncludeWildcardMatch
	IncludeBraceMatch

	IncludeAll = IncludeRead | IncludeMatch | IncludeWildcardMatch | IncludeBraceMatch
)

var globalScriptKeywords = table[GlobalDefs]{
	"startup_script":          {handle: gdParentScript(true)},
	"startup_script_timeout":  {handle: gdParentScriptTimeout(true)},
	"shutdown_script":         {handle: gdParentScript(false)},
	"shutdown_script_timeout": {handle: gdParentScriptTimeout(false)},
	"script_user":             {handle: gdScriptUser},
	"enable_script_security":  {handle: func(_ *stmt, g *GlobalDefs) { g.EnableScriptSecurity = true }},
	"tmp_config_directory":    {handle: gdTmpConfigDirectory},
	"config_save_dir":         {handle: gdConfigSaveDir},
	"include_check":           {handle: gdIncludeCheck},
	"reload_check_config":     {handle: gdReloadCheckConfig},
	"reload_time_file":        {handle: gdReloadTimeFile},
	"reload_repeat":           {handle: func(_ *stmt, g *GlobalDefs) { g.ReloadRepeat = true }},
	"reload_file":             {handle: gdReloadFile},
}

func gdParentScript(startup bool) func(*stmt, *GlobalDefs) {
	kind, field := "shutdown", func(g *GlobalDefs) **Script { return &g.ShutdownScript }
	if startup {
		kind, field = "startup", func(g *GlobalDefs) **Script { return &g.StartupScript }
	}
	return func(s *stmt, g *GlobalDefs) {
		dst := field(g)
		switch {
		case *dst != nil:
			s.Errorf(ClassGeneral, "%s script already specified", kind)
		case s.NArgs() < 1:
			s.Errorf(ClassGeneral, "%s script missing", kind)
		default:
			if *dst = s.script(); *dst == nil {
				s.Errorf(ClassGeneral, "Invalid %s script", kind)
			}
		}
	}
}

func gdParentScriptTimeout(startup bool) func(*stmt, *GlobalDefs) {
	kind, field := "shutdown", func(g *GlobalDefs) *Micros { return &g.ShutdownScriptTimeout }
	if startup {
		kind, field = "startup", func(g *GlobalDefs) *Micros { return &g.StartupScriptTimeout }
	}
	return func(s *stmt, g *GlobalDefs) {
		if s.NArgs() < 1 {
			s.Errorf(ClassGeneral, "%s_script_timeout requires value", kind)
			return
		}
		v, ok := s.uintValue(1, 1, 1000)
		if !ok {
			s.Errorf(ClassGeneral, "%s_script_timeout '%s' must be in [1, 1000] - ignoring", kind, s.Word(1).Text)
			return
		}
		*field(g) = Micros(v) * second
	}
}

// gdScriptUser records the default script owner; whether the user and
// group exist is the security pass's question ("Error setting global
// script uid/gid"), asked once all scripts are known.
func gdScriptUser(s *stmt, g *GlobalDefs) {
	user, ok := s.argOr("No script username specified")
	if !ok {
		return
	}
	group, _ := s.Arg(2)
	g.ScriptUser, g.ScriptGroup = user, group
	g.ScriptUserSet, g.ScriptUserPos = true, s.Pos()
}

func gdTmpConfigDirectory(s *stmt, g *GlobalDefs) {
	switch dir, ok := s.Arg(1); {
	case g.TmpConfigDirectory != "":
		s.Errorf(ClassGeneral, "%s already specified - ignoring", s.Keyword())
	case !ok:
		s.Errorf(ClassGeneral, "%s missing directory name", s.Keyword())
	default:
		g.TmpConfigDirectory = dir
	}
}

// gdConfigSaveDir checks the directory as keepalived's parent does. The
// parent creates a missing directory even under -t; gokeepalived only
// checks that it could, and reports what mkdir would have failed with.
func gdConfigSaveDir(s *stmt, g *GlobalDefs) {
	dir, ok := s.Need(1)
	if !ok {
		return
	}
	st, err := os.Stat(dir)
	switch {
	case err == nil && st.IsDir():
	case err == nil:
		s.Errorf(ClassGeneral, "config_save_dir %s exists and is not a directory", dir)
		return
	case errors.Is(err, fs.ErrNotExist):
		parent, perr := os.Stat(filepath.Dir(filepath.Clean(dir)))
		if perr != nil || !parent.IsDir() {
			errno, text := errnoOf(perr, syscall.ENOENT)
			if perr == nil {
				errno, text = int(syscall.ENOTDIR), syscall.ENOTDIR.Error()
			}
			s.Errorf(ClassGeneral, "Unable to create config_save_dir %s (error %d - %s)", dir, errno, cErrorText(text))
			return
		}
	default:
		errno, text := errnoOf(err, syscall.EIO)
		s.Errorf(ClassGeneral, "config_save_dir %s error %d - %s", dir, errno, cErrorText(text))
		return
	}
	g.ConfigSaveDir = strings.TrimSuffix(dir, "/")
}

func errnoOf(err error, fallback syscall.Errno) (int, string) {
	var e syscall.Errno
	if errors.As(err, &e) {
		return int(e), e.Error()
	}
	return int(fallback), fallback.Error()
}

// cErrorText turns Go's errno text into glibc's strerror wording.
func cErrorText(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// gdIncludeCheck validates include_check with keepalived's messages; the
// reader applies it to later includes.
func gdIncludeCheck(s *stmt, g *GlobalDefs) {
	g.IncludeCheckSet = true
	if s.NArgs() == 0 {
		g.IncludeCheck = IncludeAll
		return
	}
	for i := 1; i <= s.NArgs(); i++ {
		word := s.Word(i).Text
		op, name := byte(0), word
		if word != "" && (word[0] == '-' || word[0] == '+') {
			op, name = word[0], word[1:]
		} else if i == 1 {
			g.IncludeCheck = 0
		} else {
			// The reader reports it: it applies include_check as it reads.
			continue
		}
		var flag IncludeChecks
		switch name {
		case "read":
			flag = IncludeRead
		case "match":
			flag = IncludeMatch
		case "wildcard_match":
			flag = IncludeWildcardMatch
		case "brace_match":
			flag = IncludeBraceMatch
		default:
			continue
		}
		switch op {
		case 0:
			g.IncludeCheck = IncludeRead | flag
		case '+':
			g.IncludeCheck |= flag
		default:
			g.IncludeCheck &^= flag
		}
	}
}

func gdReloadCheckConfig(s *stmt, g *GlobalDefs) {
	if v, ok := s.Arg(1); ok {
		g.ReloadCheckConfig = v
		return
	}
	g.ReloadCheckConfig = "/dev/null"
}

func gdReloadTimeFile(s *stmt, g *GlobalDefs) {
	if s.NArgs() != 1 {
		s.Errorf(ClassGeneral, "reload_time_file invalid")
		return
	}
	g.ReloadTimeFile = s.Word(1).Text
}

func gdReloadFile(s *stmt, g *GlobalDefs) {
	if v, ok := s.Arg(1); ok {
		g.ReloadFile, g.ReloadFileDefault = v, false
		return
	}
	g.ReloadFile, g.ReloadFileDefault = "", true
}
