package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// sharedDir is ../shared beside the repository, where CI puts it.
func sharedDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("GOKEEPALIVED_SHARED"); d != "" {
		return d
	}
	abs, err := filepath.Abs(filepath.Join("..", "..", "..", "shared"))
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// needNetnsRoot skips unless the test can make network namespaces.
func needNetnsRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipped: needs root to make a network namespace with the corpus's interfaces")
	}
	for _, tool := range []string{"unshare", "ip", "timeout"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("skipped: %s is not installed", tool)
		}
	}
}

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gokeepalived")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// readTSV reads a tab-separated file with a header line into rows.
func readTSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows [][]string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for first := true; sc.Scan(); first = false {
		line := sc.Text()
		if first || strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		rows = append(rows, strings.Split(line, "\t"))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestCorpusExitCodes runs gokeepalived -t over the shared corpus exactly as
// the corpus's run-expected.sh ran keepalived 2.2.7, and compares exit codes
// with EXPECTED.tsv. Files where gokeepalived differs on purpose are listed,
// with the reason, in testdata/corpus-differences.tsv.
func TestCorpusExitCodes(t *testing.T) {
	corpus := filepath.Join(sharedDir(t), "corpus")
	if _, err := os.Stat(filepath.Join(corpus, "EXPECTED.tsv")); err != nil {
		t.Skipf("skipped: no corpus at %s", corpus)
	}
	needNetnsRoot(t)
	bin := buildBinary(t)
	out := filepath.Join(t.TempDir(), "go.tsv")
	cmd := exec.Command("bash", filepath.Join(corpus, "run-expected.sh"))
	cmd.Env = append(os.Environ(), "KEEPALIVED="+bin, "OUT="+out, "TIMEOUT=20")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("run-expected.sh: %v\n%s", err, b)
	}
	want := map[string]string{}
	for _, r := range readTSV(t, filepath.Join(corpus, "EXPECTED.tsv")) {
		want[r[0]] = r[1]
	}
	differ := map[string][]string{}
	for _, r := range readTSV(t, filepath.Join("..", "..", "testdata", "corpus-differences.tsv")) {
		differ[r[0]] = r
	}
	got := readTSV(t, out)
	if len(got) != len(want) {
		t.Errorf("ran %d files, EXPECTED.tsv has %d", len(got), len(want))
	}
	agree := 0
	var mismatches []string
	for _, r := range got {
		file, code := r[0], r[1]
		switch d, listed := differ[file]; {
		case code == want[file] && listed:
			t.Errorf("%s: listed as a deliberate difference but now agrees (exit %s)", file, code)
		case code == want[file]:
			agree++
		case listed && d[1] == code:
			t.Logf("%s: exit %s, keepalived %s — deliberate: %s", file, code, want[file], d[2])
		default:
			mismatches = append(mismatches, file+": gokeepalived "+code+", keepalived "+want[file]+" — "+strings.Join(r[2:], " "))
		}
	}
	sort.Strings(mismatches)
	t.Logf("corpus agreement: %d/%d files (deliberate differences: %d)", agree, len(want), len(differ))
	for _, m := range mismatches {
		t.Error(m)
	}
}

// TestDebianSamples compares gokeepalived -t with the installed keepalived
// -t on the sample configurations Debian's keepalived package ships.
func TestDebianSamples(t *testing.T) {
	samples, _ := filepath.Glob("/usr/share/doc/keepalived/samples/keepalived.conf.*")
	if len(samples) == 0 {
		t.Skip("skipped: keepalived's samples are not installed (apt-get install keepalived)")
	}
	if _, err := exec.LookPath("keepalived"); err != nil {
		t.Skip("skipped: keepalived is not installed")
	}
	needNetnsRoot(t)
	ifaces := filepath.Join(sharedDir(t), "corpus", "interfaces.txt")
	if _, err := os.Stat(ifaces); err != nil {
		t.Skipf("skipped: no interface list at %s", ifaces)
	}
	agree := compareWithKeepalived(t, buildBinary(t), ifaces, samples)
	t.Logf("Debian samples: %d/%d agree", agree, len(samples))
}

// compareWithKeepalived runs both programs' -t on the files side by side
// (scripts/compare-t.sh), reports each file where the exit codes differ,
// and returns how many agree.
func compareWithKeepalived(t *testing.T, bin, ifaces string, files []string) int {
	t.Helper()
	args := append([]string{filepath.Join("..", "..", "scripts", "compare-t.sh"), bin, ifaces}, files...)
	b, err := exec.Command("bash", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("compare-t.sh: %v\n%s", err, b)
	}
	agree := 0
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			t.Fatalf("unexpected compare-t.sh line %q", line)
		}
		if f[1] != f[2] {
			t.Errorf("%s: keepalived -t exits %s, gokeepalived -t %s", filepath.Base(f[0]), f[1], f[2])
			continue
		}
		agree++
	}
	return agree
}

// TestSmallConfigsAgainstKeepalived runs keepalived -t and gokeepalived -t
// side by side on small configurations that each exercise one rule, and
// requires the same exit code.
func TestSmallConfigsAgainstKeepalived(t *testing.T) {
	if _, err := exec.LookPath("keepalived"); err != nil {
		t.Skip("skipped: keepalived is not installed")
	}
	needNetnsRoot(t)
	cases, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "t-cases", "*.conf"))
	if len(cases) == 0 {
		t.Fatal("no cases in testdata/t-cases")
	}
	agree := compareWithKeepalived(t, buildBinary(t), filepath.Join("..", "..", "testdata", "t-cases.interfaces"), cases)
	t.Logf("small configurations: %d/%d agree", agree, len(cases))
}
