package main

import (
	"bytes"
	"testing"
)

func TestParseUmask(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"0177", 0o177, true},
		{"127", 127, true},
		{"0x1ff", 0o777, true},
		{"0", 0, true},
		{"01000", 0, false},
		{"x", 0, false},
	}
	for _, tt := range tests {
		got, err := parseUmask(tt.in)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("parseUmask(%q) = %o, %v", tt.in, got, err)
		}
	}
}

func TestLogFileOptionRejectedAsDebian(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-g"}, &out, &errb); code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
	if errb.String() != "-g requires configure option --enable-log-file\n" {
		t.Errorf("stderr %q", errb.String())
	}
}
