package main

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
)

// cpuProfileEnv names a path prefix: each child writes a Go CPU profile of
// its whole life to PREFIX.ROLE (for example /tmp/cpu.checker). It is how
// the checker's cost per check was profiled inside the benchmark VM, where
// no profiler runs; keepalived has no equivalent.
const cpuProfileEnv = "GOKEEPALIVED_CPUPROFILE"

// startCPUProfile starts the profile GOKEEPALIVED_CPUPROFILE asks for and
// returns the function that ends it, or nil when none is asked for or it
// cannot start (which is said on stderr: it never stops the daemon).
func startCPUProfile(role string, stderr io.Writer) (stop func()) {
	prefix := os.Getenv(cpuProfileEnv)
	if prefix == "" {
		return nil
	}
	f, err := os.Create(prefix + "." + role)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", cpuProfileEnv, err)
		return nil
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", cpuProfileEnv, err)
		f.Close()
		return nil
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
