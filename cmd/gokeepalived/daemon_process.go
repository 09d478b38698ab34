package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/gokeepalived/gokeepalived/parser"
	"golang.org/x/sys/unix"
)

// parseUmask reads -u as keepalived does: decimal, 0-prefixed octal or
// 0x-prefixed hexadecimal, at most 0777.
func parseUmask(s string) (int, error) {
	v, err := strconv.ParseUint(s, 0, 32)
	if err != nil || v > 0o777 {
		return 0, fmt.Errorf("Invalid umask %q", s)
	}
	return int(v), nil
}

// applyUmask sets the file-creation mask: -u, else the configuration's
// `umask` (keepalived's default 0177), which scripts and FIFOs inherit.
func (d daemonSettings) applyUmask(cfg *parser.Config, log *slog.Logger) {
	mask := int(cfg.Global.Umask)
	if d.Umask != "" {
		m, err := parseUmask(d.Umask)
		if err != nil {
			log.Info(err.Error())
		} else {
			mask = m
		}
	}
	syscall.Umask(mask)
}

const netnsEnteredEnv = "GOKEEPALIVED_NETNS"

// enterNamespace moves the whole process into the network namespace NAME
// (-s, or net_namespace) by re-executing itself from a thread that joined
// it: a Go process cannot move all its threads, but a new program starts
// in the namespace of the thread that called execve. It returns only on
// failure, or when there is nothing to do.
func enterNamespace(name string, args []string) error {
	if name == "" || os.Getenv(netnsEnteredEnv) == name {
		return nil
	}
	path := "/run/netns/" + name
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("Failed to open %s", path)
	}
	runtime.LockOSThread() // never unlocked: the thread execs or the process exits
	if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
		unix.Close(fd)
		return fmt.Errorf("setns %s: %w", path, err)
	}
	unix.Close(fd)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	env := append(os.Environ(), netnsEnteredEnv+"="+name)
	return syscall.Exec(self, append([]string{os.Args[0]}, args...), env)
}

// logConfig is -d in daemon mode: each process logs the configuration it
// runs from, here as gokeepalived's typed configuration in JSON.
func logConfig(cfg *parser.Config, log *slog.Logger) {
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		log.Error(err.Error())
		return
	}
	for _, line := range strings.Split(string(b), "\n") {
		log.Info(line)
	}
}
