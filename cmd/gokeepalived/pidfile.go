package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// pidPaths are the pid files of the parent and its children.
type pidPaths struct {
	Parent, VRRP, Checker, BFD string
}

// defaultPidPaths follows keepalived 2.2.7 on Debian: /run/keepalived.pid,
// /run/vrrp.pid and /run/checkers.pid, or the /run/keepalived/ directory
// with `instance NAME`, `net_namespace` or `use_pid_dir`.
func defaultPidPaths(runDir, instance string, useDir bool) pidPaths {
	if instance == "" && !useDir {
		return pidPaths{
			Parent:  filepath.Join(runDir, "keepalived.pid"),
			VRRP:    filepath.Join(runDir, "vrrp.pid"),
			Checker: filepath.Join(runDir, "checkers.pid"),
			BFD:     filepath.Join(runDir, "bfd.pid"),
		}
	}
	dir := filepath.Join(runDir, "keepalived")
	name := func(base string) string {
		if instance != "" {
			base += "_" + instance
		}
		return filepath.Join(dir, base+".pid")
	}
	return pidPaths{Parent: name("keepalived"), VRRP: name("vrrp"), Checker: name("checkers"), BFD: name("bfd")}
}

// writePidFile writes pid as keepalived does: the decimal pid and a
// newline, mode 0644, creating the pid directory (0755) if needed.
func writePidFile(path string, pid int) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("pid file %s: %w", path, err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		return fmt.Errorf("pid file %s: %w", path, err)
	}
	// Renamed into place so a reader never sees an empty file.
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("pid file %s: %w", path, err)
	}
	return nil
}

// removePidFile removes a pid file only if it still names pid, so that a
// process never deletes the file of its successor.
func removePidFile(path string, pid int) {
	if got, err := readPidFile(path); err == nil && got == pid {
		os.Remove(path)
	}
}

func readPidFile(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("pid file %s: no pid in %q", path, b)
	}
	return pid, nil
}

// pidFileLive reports whether path names a running process other than
// self. A stale file (no such process) is removed, as keepalived does.
func pidFileLive(path string, self int) bool {
	pid, err := readPidFile(path)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			os.Remove(path)
		}
		return false
	}
	if pid == self {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && errors.Is(err, syscall.ESRCH) {
		os.Remove(path)
		return false
	}
	return true
}
