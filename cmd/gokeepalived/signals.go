package main

import "syscall"

// keepalived's real-time signals on Linux/glibc, where SIGRTMIN is 34 and
// SIGRTMAX is 64 after the two that the thread library keeps.
const (
	sigStatsClear = syscall.Signal(63) // SIGRTMAX-1
	sigJSON       = syscall.Signal(36) // SIGRTMIN+2
)

// signalNumbers answers --signum as keepalived 2.2.7 on Linux/glibc does.
var signalNumbers = map[string]int{
	"STOP":        int(syscall.SIGTERM),
	"RELOAD":      int(syscall.SIGHUP),
	"DATA":        int(syscall.SIGUSR1),
	"STATS":       int(syscall.SIGUSR2),
	"STATS_CLEAR": int(sigStatsClear),
	"JSON":        int(sigJSON),
}
