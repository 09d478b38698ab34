//go:build unix && !linux

package check

import "os/exec"

func startScript(cmd *exec.Cmd) error { return cmd.Start() }
