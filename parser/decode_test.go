package parser

import "testing"

func TestUnknownKeywordAndBraces(t *testing.T) {
	r := parseText(t, "foo_bar\n{\n}\n")
	if !hasMessage(r, "Unknown keyword 'foo_bar'") || !hasMessage(r, "Unexpected '{' - ignoring") {
		t.Fatalf("got %q", messages(r))
	}
	if got := r.ExitCode(false); got != ExitErrors {
		t.Fatalf("exit %d, want 5", got)
	}
}
