package parser

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// ScriptSecurity holds global_defs' settings that decide which user a script
// runs as and whether unsafe scripts are refused.
type ScriptSecurity struct {
	Enabled bool // enable_script_security
	// User and Group are script_user's arguments; UserSet tells that the
	// keyword was given, at UserPos.
	User, Group string
	UserSet     bool
	UserPos     Pos
	// NoVRRPInstances and NoVirtualServers tell that no vrrp_instance / no
	// virtual_server survived parsing (one skipped for a bad address does
	// not count). keepalived's VRRP (checker) process then skips its whole
	// script check, so a lone vrrp_script or notify_fifo_script is never
	// looked at and raises no SECURITY VIOLATION.
	NoVRRPInstances  bool
	NoVirtualServers bool
}

// ScriptSystem is the OS behind the checks, so tests can fake users and file
// modes. FileInfo.Sys() should be a *syscall.Stat_t, whose Uid and Gid the
// ownership rules need; without it a file counts as owned by root.
type ScriptSystem interface {
	// LookupUser returns the uid and primary gid of a user name; an error
	// that is a user.UnknownUserError means there is no such user.
	LookupUser(name string) (uid, gid int, err error)
	// LookupGroup returns a group's gid; a user.UnknownGroupError means
	// there is no such group.
	LookupGroup(name string) (gid int, err error)
	Lstat(path string) (fs.FileInfo, error)
	Stat(path string) (fs.FileInfo, error)
	// EvalSymlinks resolves like realpath(3): an absolute path with every
	// symlink, "." and ".." removed.
	EvalSymlinks(path string) (string, error)
	// SearchPath is the PATH keepalived searches for a bare program name.
	SearchPath() string
}

type osScriptSystem struct{}

// OSScriptSystem returns the host's users and files. It works with
// CGO_ENABLED=0, where os/user reads /etc/passwd and /etc/group.
func OSScriptSystem() ScriptSystem { return osScriptSystem{} }

func (osScriptSystem) LookupUser(name string) (int, int, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return -1, -1, err
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return -1, -1, fmt.Errorf("parser: user %s: uid %q: %w", name, u.Uid, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return -1, -1, fmt.Errorf("parser: user %s: gid %q: %w", name, u.Gid, err)
	}
	return uid, gid, nil
}

func (osScriptSystem) LookupGroup(name string) (int, error) {
	g, err := user.LookupGroup(name)
	if err != nil {
		return -1, err
	}
	gid, err := strconv.Atoi(g.Gid)
	if err != nil {
		return -1, fmt.Errorf("parser: group %s: gid %q: %w", name, g.Gid, err)
	}
	return gid, nil
}

func (osScriptSystem) Lstat(p string) (fs.FileInfo, error) { return os.Lstat(p) }
func (osScriptSystem) Stat(p string) (fs.FileInfo, error)  { return os.Stat(p) }

func (osScriptSystem) EvalSymlinks(p string) (string, error) {
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", err
	}
	return filepath.Abs(r)
}

func (osScriptSystem) SearchPath() string {
	if p, ok := os.LookupEnv("PATH"); ok {
		return p
	}
	return "/bin:/usr/bin" // glibc's _CS_PATH, which keepalived falls back to
}

// The result bits of keepalived's check_script_secure().
const (
	scInsecure   = 1 << iota // unsafe permissions found
	scNotFound               // missing or inaccessible
	scInhibit                // must not run
	scExecutable             // executable by the script's user
	scIsScript               // a file was found: counts for the SECURITY VIOLATION summary
	scSystem                 // "</file" existence test, not executed
)

// keepalived's own uid/gid: it runs as root, and a script with no user falls
// back to it when keepalived_script does not exist.
const ourUID, ourGID = 0, 0

// ApplyScriptSecurity resolves the users of scripts and runs keepalived's
// security check over them, in place, in keepalived's order: script_user
// first (parent pass), then each script's user in pass order (parent,
// checker, VRRP: keepalived resolves them while parsing), then the checks of
// each process with their SECURITY VIOLATION summary (ClassSecurity, which
// makes -t exit 6). Which failures are config errors and which are only
// logged (SeverityNote, ClassNone) follows keepalived's handlers; see
// notify.md §4.
//
// The decoder passes only the scripts keepalived keeps while parsing (not
// those of a skipped block), with Name, EndPos and the `user` keyword's
// User/Group/UserPos filled in for vrrp_script and MISC_CHECK. sec must
// hold the final global_defs settings: keepalived reads them while parsing,
// so a script that comes before enable_script_security in its pass is judged
// without it; this function does not model that.
//
// Not modelled: keepalived resolves the path (realpath, PATH search) with
// the script's euid, so a directory the user may not search hides the script
// from a non-root user; here every lookup is done with the caller's rights.
// libmagic's "Please add a #! shebang" check is absent, as in Debian's build.
func ApplyScriptSecurity(scripts []*Script, sec ScriptSecurity, sys ScriptSystem) Diagnostics {
	a := &applier{sec: sec, sys: sys, checked: map[*Script]int{}}
	a.resolveDefault()
	order := make([]*Script, 0, len(scripts))
	for _, s := range scripts {
		if s != nil {
			order = append(order, s)
		}
	}
	sort.SliceStable(order, func(i, j int) bool { return order[i].Pass < order[j].Pass })
	for _, s := range order {
		a.resolveUser(s)
	}
	a.checkPass(PassParent, order)
	if !sec.NoVirtualServers {
		a.checkPass(PassChecker, order)
	}
	if !sec.NoVRRPInstances {
		a.checkPass(PassVRRP, order)
	}
	return a.ds
}

type applier struct {
	sec ScriptSecurity
	sys ScriptSystem
	ds  Diagnostics

	defaultSet     bool
	defaultFail    bool
	defUID, defGID int
	// checked keeps each script's check result: the VRRP and checker
	// processes both check notify_fifo_script, and both summaries count it.
	checked map[*Script]int
}

func (a *applier) add(pos Pos, pass Pass, class Class, format string, args ...any) {
	sev := SeverityError
	if class == ClassNone {
		sev = SeverityNote
	}
	a.ds = append(a.ds, Diagnostic{Pos: pos, Severity: sev, Class: class,
		Message: fmt.Sprintf(format, args...), pass: pass})
}

// log records what keepalived only logs: shown as a note, no effect on -t's
// exit code.
func (a *applier) log(pos Pos, pass Pass, format string, args ...any) {
	a.add(pos, pass, ClassNone, format, args...)
}

// lookup is keepalived's set_uid_gid(): the group, if given, replaces the
// user's primary group.
func (a *applier) lookup(pos Pos, pass Pass, name, group string) (uid, gid int, ok bool) {
	uid, gid, err := a.sys.LookupUser(name)
	if err != nil {
		var unknown user.UnknownUserError
		if errors.As(err, &unknown) {
			a.log(pos, pass, "Script user '%s' does not exist", name)
		} else {
			a.log(pos, pass, "Unable to resolve script username '%s' - ignoring", name)
		}
		return -1, -1, false
	}
	if group != "" {
		g, err := a.sys.LookupGroup(group)
		if err != nil {
			var unknown user.UnknownGroupError
			if errors.As(err, &unknown) {
				a.log(pos, pass, "Script group '%s' does not exist", group)
			} else {
				a.log(pos, pass, "Unable to resolve script group name '%s' - ignoring", group)
			}
			return -1, -1, false
		}
		gid = g
	}
	return uid, gid, true
}

// resolveDefault handles script_user, which global_defs sets before any
// script is parsed. A failure there is final: every script without its own
// user is then dropped, with or without script security.
func (a *applier) resolveDefault() {
	if !a.sec.UserSet {
		return
	}
	a.defaultSet = true
	uid, gid, ok := a.lookup(a.sec.UserPos, PassParent, a.sec.User, a.sec.Group)
	if !ok {
		a.defaultFail = true
		a.add(a.sec.UserPos, PassParent, ClassGeneral, "Error setting global script uid/gid")
		return
	}
	a.defUID, a.defGID = uid, gid
}

// defaultUser is keepalived's get_default_script_user(): the first script
// that needs it looks up keepalived_script, and without script security
// falls back to root when that user is missing.
func (a *applier) defaultUser(pos Pos, pass Pass) (uid, gid int, ok bool) {
	if a.defaultFail {
		return -1, -1, false
	}
	if !a.defaultSet {
		a.defaultSet = true
		a.defUID, a.defGID = ourUID, ourGID
		const name = "keepalived_script"
		if uid, gid, ok := a.lookup(pos, pass, name, ""); ok {
			a.defUID, a.defGID = uid, gid
		} else if a.sec.Enabled {
			a.add(pos, pass, ClassGeneral, "Unable to set default user %s for script", name)
			a.defaultFail = true
			return -1, -1, false
		}
	}
	return a.defUID, a.defGID, true
}

func orPos(p, fallback Pos) Pos {
	if p == (Pos{}) {
		return fallback
	}
	return p
}

func (a *applier) resolveUser(s *Script) {
	s.UID, s.GID = -1, -1
	if s.Disabled {
		return
	}
	ki := infoFor(s.Keyword)
	if s.Checker {
		ki.kind = kindMisc
	}
	arg0 := ""
	if len(s.Argv) > 0 {
		arg0 = s.Argv[0]
	}
	if s.User != "" {
		upos := orPos(s.UserPos, s.Pos)
		uid, gid, ok := a.lookup(upos, s.Pass, s.User, s.Group)
		if ok {
			s.UID, s.GID = uid, gid
			return
		}
		s.Disabled = true
		switch ki.kind {
		case kindTrack:
			a.add(upos, s.Pass, ClassGeneral, "Unable to set uid/gid for script %s", s.CmdString())
		case kindMisc:
			a.add(upos, s.Pass, ClassGeneral, "Failed to set uid/gid for misc checker script %s - removing", s.CmdString())
		default:
			a.log(upos, s.Pass, "Invalid user/group for %s script %s - ignoring", ki.typ, arg0)
			if ki.kind == kindStartup {
				a.add(s.Pos, s.Pass, ClassGeneral, "Invalid %s script", ki.typ)
			}
		}
		return
	}
	epos := orPos(s.EndPos, s.Pos)
	if ki.kind == kindNotify || ki.kind == kindStartup {
		epos = s.Pos
	}
	uid, gid, ok := a.defaultUser(epos, s.Pass)
	if ok {
		s.UID, s.GID = uid, gid
		return
	}
	s.Disabled = true
	switch ki.kind {
	case kindTrack:
		a.add(epos, s.Pass, ClassGeneral, "Unable to set default user for vrrp script %s - removing", s.Name)
	case kindMisc:
		a.add(epos, s.Pass, ClassGeneral, "Unable to set default user for misc script %s - removing", s.CmdString())
	default:
		a.log(epos, s.Pass, "Failed to set default user for %s script %s - ignoring", ki.typ, arg0)
		if ki.kind == kindStartup {
			a.add(s.Pos, s.Pass, ClassGeneral, "Invalid %s script", ki.typ)
		}
	}
}

// checkedIn tells which process's check looks at s.
func checkedIn(s *Script, pass Pass) bool {
	ki := infoFor(s.Keyword)
	switch {
	case ki.both:
		return pass == PassVRRP || pass == PassChecker
	case ki.kind == kindStartup:
		return pass == PassParent
	case s.Checker:
		return pass == PassChecker
	case s.Keyword == "lvs_notify_fifo_script":
		return pass == PassChecker
	case s.Keyword == "vrrp_notify_fifo_script":
		return pass == PassVRRP
	}
	return s.Pass == pass
}

// checkPass is one process's check_*_script_security(): every script it
// owns, then the summary.
func (a *applier) checkPass(pass Pass, scripts []*Script) {
	flags := 0
	for _, s := range scripts {
		if !checkedIn(s, pass) {
			continue
		}
		f, done := a.checked[s]
		if !done {
			if s.Disabled {
				continue // dropped while parsing: keepalived never sees it
			}
			f = a.checkScript(s, pass)
			a.checked[s] = f
			a.verdict(s, f, pass)
		}
		flags |= f
	}
	if a.sec.Enabled || flags&scIsScript == 0 {
		return
	}
	what := "scripts"
	switch pass {
	case PassParent:
		what = "start/shutdown scripts"
	case PassChecker:
		what = "check scripts"
	}
	extra := ""
	if flags&scInsecure != 0 {
		extra = " There are insecure scripts."
	}
	a.add(Pos{}, pass, ClassSecurity, "SECURITY VIOLATION - %s are being executed but script_security not enabled.%s", what, extra)
}

// verdict turns check flags into keepalived's per-kind outcome.
func (a *applier) verdict(s *Script, f int, pass Pass) {
	s.Insecure = f&scInsecure != 0
	ki := infoFor(s.Keyword)
	switch {
	case s.Checker || ki.kind == kindMisc:
		switch {
		case f&scInhibit != 0:
			a.log(Pos{}, pass, "Disabling misc script %s due to insecure", s.CmdString())
			s.Disabled = true
		case f&scNotFound != 0:
			a.log(Pos{}, pass, "Disabling misc script %s since not found/accessible", s.CmdString())
			s.Disabled = true
		case f&(scExecutable|scSystem) == 0:
			s.Disabled = true
		}
	case ki.kind == kindTrack:
		switch {
		case f&scInhibit != 0:
			a.add(Pos{}, pass, ClassGeneral, "Disabling track script %s due to insecure", s.Name)
			s.Disabled = true
		case f&scNotFound != 0:
			a.add(Pos{}, pass, ClassGeneral, "Disabling track script %s since not found/accessible", s.Name)
			s.Disabled = true
		case f&(scExecutable|scSystem) == 0:
			s.Disabled = true
		}
	case ki.kind == kindStartup:
		if f&(scInhibit|scNotFound) != 0 || f&(scExecutable|scSystem) == 0 {
			s.Disabled = true
		}
	default:
		// check_notify_script_secure() does not accept the "</file" form.
		if f&(scInhibit|scNotFound) != 0 || f&scExecutable == 0 {
			s.Disabled = true
		}
	}
}

// checkScript is keepalived's check_script_secure(): find the file as the
// script's user sees it, rewrite Argv[0] as keepalived does, and when the
// script runs with root powers check every component of its path.
func (a *applier) checkScript(s *Script, pass Pass) int {
	if len(s.Argv) == 0 {
		return 0
	}
	arg0 := s.Argv[0]
	if strings.HasPrefix(arg0, "<") && strings.HasPrefix(strings.TrimLeft(arg0[1:], " \t"), "/") {
		return scSystem // vrrp_script's "</file" only tests that the file opens
	}
	if !strings.Contains(arg0, "/") {
		found, eacces := a.findPath(s)
		if found == "" {
			if eacces {
				a.log(s.Pos, pass, "Permissions failure for script %s in path - disabling", arg0)
			} else {
				a.log(s.Pos, pass, "Cannot find script %s in path - disabling", arg0)
			}
			return scNotFound
		}
		a.log(s.Pos, pass, "WARNING - script `%s` resolved by path search to `%s`. Please specify full path.", arg0, found)
		s.Argv[0] = found
		arg0 = found
	}

	real, err := a.sys.EvalSymlinks(arg0)
	if err != nil {
		a.log(s.Pos, pass, "Script %s cannot be accessed - %s", arg0, errText(err))
		return scNotFound
	}
	s.Path = real

	// keepalived keeps the file name as written (some programs look at
	// argv[0]) when the resolved directory holds it as the same file.
	realFile := ""
	if arg0 != real {
		newPath := real
		origName := arg0[strings.LastIndexByte(arg0, '/')+1:]
		realName := real[strings.LastIndexByte(real, '/')+1:]
		if origName != realName {
			realFile = real
			newPath = real[:strings.LastIndexByte(real, '/')+1] + origName
			ri, errR := a.sys.Stat(realFile)
			ni, errN := a.sys.Stat(newPath)
			if errR == nil && (errN != nil || !sameFile(ri, ni)) {
				newPath, realFile = realFile, ""
			}
		}
		if arg0 != newPath {
			s.Argv[0] = newPath
			arg0 = newPath
		}
	}

	statPath := arg0
	if realFile != "" {
		statPath = realFile
	}
	fi, err := a.sys.Stat(statPath)
	if err != nil {
		a.log(s.Pos, pass, "Unable to access script `%s` - disabling", arg0)
		return scNotFound
	}
	flags := scIsScript
	fuid, fgid := owner(fi)
	mode := fi.Mode()
	protect := false
	if isExecutable(fi, s.UID, s.GID) {
		flags |= scExecutable
		perm := uint32(mode.Perm())
		protect = s.UID == 0 || s.GID == 0 ||
			fuid == 0 && perm&0o100 != 0 && mode&fs.ModeSetuid != 0 ||
			fgid == 0 && perm&0o010 != 0 && mode&fs.ModeSetgid != 0
	} else {
		a.log(s.Pos, pass, "WARNING - script '%s' is not executable for uid:gid %d:%d - disabling.", arg0, s.UID, s.GID)
	}
	if !protect {
		return flags
	}
	flags |= a.checkSecurity(s.Pos, pass, arg0)
	if realFile != "" {
		flags |= a.checkSecurity(s.Pos, pass, realFile)
	}
	return flags
}

// findPath is keepalived's copy of execvp()'s search: the first regular
// file in PATH that the script's user may execute.
func (a *applier) findPath(s *Script) (found string, eacces bool) {
	file := s.Argv[0]
	if file == "" {
		return "", false
	}
	for _, dir := range strings.Split(a.sys.SearchPath(), ":") {
		p := file
		if dir != "" {
			p = dir + "/" + file
		}
		fi, err := a.sys.Stat(p)
		if err != nil {
			continue
		}
		if fi.Mode().IsRegular() && isExecutable(fi, s.UID, s.GID) {
			return p, false
		}
		eacces = true
	}
	return "", eacces
}

// checkSecurity is keepalived's check_security(): lstat every component of
// path from "/" down; the first unsafe one decides.
func (a *applier) checkSecurity(pos Pos, pass Pass, path string) int {
	var prefixes []string
	for i := 0; i < len(path); i++ {
		if path[i] != '/' {
			continue
		}
		if i == 0 {
			prefixes = append(prefixes, "/")
		} else {
			prefixes = append(prefixes, path[:i])
		}
	}
	prefixes = append(prefixes, path)
	for k, p := range prefixes {
		last := k == len(prefixes)-1
		fi, err := a.sys.Lstat(p)
		if err != nil {
			var errno syscall.Errno
			if errors.As(err, &errno) && errno != syscall.EACCES && errno != syscall.ELOOP &&
				errno != syscall.ENOENT && errno != syscall.ENOTDIR {
				a.log(pos, pass, "check_script_secure('%s') returned errno %d - %s - disabling", path, int(errno), errText(err))
			} else {
				a.log(pos, pass, "check_script_secure could not find script '%s' - disabling", path)
			}
			return scNotFound
		}
		mode := fi.Mode()
		isDir, isReg, isLnk := mode.IsDir(), mode.IsRegular(), mode&fs.ModeSymlink != 0
		if !last && !isDir || last && !isReg && !isLnk {
			a.log(pos, pass, "Wrong file type found in script path '%s'.", path)
			return scInhibit
		}
		uid, gid := owner(fi)
		perm := uint32(mode.Perm())
		if uid != 0 || (isDir && mode&fs.ModeSticky == 0 || isReg) &&
			(gid != 0 && perm&0o020 != 0 || perm&0o002 != 0) {
			suffix := ""
			if a.sec.Enabled {
				suffix = " - disabling"
			}
			a.log(pos, pass, "Unsafe permissions found for script '%s'%s.", path, suffix)
			if a.sec.Enabled {
				return scInsecure | scInhibit
			}
			return scInsecure
		}
	}
	return 0
}

// isExecutable is keepalived's is_executable(): root may run a file with any
// execute bit; others need the bit of the class they fall in.
func isExecutable(fi fs.FileInfo, uid, gid int) bool {
	fuid, fgid := owner(fi)
	perm := uint32(fi.Mode().Perm())
	switch {
	case uid == 0 && perm&0o111 != 0:
		return true
	case uid == fuid:
		return perm&0o100 != 0
	case gid == fgid:
		return perm&0o010 != 0
	}
	return perm&0o001 != 0
}

func owner(fi fs.FileInfo) (uid, gid int) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid), int(st.Gid)
	}
	return 0, 0
}

func sameFile(a, b fs.FileInfo) bool {
	sa, okA := a.Sys().(*syscall.Stat_t)
	sb, okB := b.Sys().(*syscall.Stat_t)
	if okA && okB {
		return sa.Dev == sb.Dev && sa.Ino == sb.Ino
	}
	return os.SameFile(a, b)
}

// errText is strerror()'s text for an OS error, so messages read like
// keepalived's.
func errText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		if s != "" {
			return strings.ToUpper(s[:1]) + s[1:]
		}
	}
	return err.Error()
}
