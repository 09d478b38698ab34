package main

import (
	"os"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as a child: with childRoleEnv set it behaves as
// the test asks instead of running tests.
func TestMain(m *testing.M) {
	if os.Getenv(benchDaemonEnv) == "1" {
		os.Exit(benchDaemonMain())
	}
	switch os.Getenv(childRoleEnv) {
	case "":
		os.Exit(m.Run())
	case "exit3":
		os.Exit(3)
	case "ready":
		reportReady()
		os.Exit(0)
	case "sleep":
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	os.Exit(99)
}

func TestExecLauncherReportsExit(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	launch := execLauncher(self, []string{"-test.run=^$"})
	p, err := launch(childKind{Role: "exit3"})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Wait(); got != (childExit{Status: 3}) {
		t.Errorf("exit = %+v, want status 3", got)
	}
	p, err = launch(childKind{Role: "ready"})
	if err != nil {
		t.Fatal(err)
	}
	<-p.Ready()
	p.Wait()
	p, err = launch(childKind{Role: "sleep"})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if got := p.Wait(); got != (childExit{Signal: syscall.SIGKILL}) {
		t.Errorf("exit = %+v, want SIGKILL", got)
	}
}
