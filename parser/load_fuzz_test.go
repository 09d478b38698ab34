package parser

import (
	"io/fs"
	"os/user"
	"testing"
)

// FuzzLoad drives the whole pipeline (reader, grammar, decoder, validation)
// on arbitrary text: it must not panic, and the exit code must be one that
// keepalived -t can give.
func FuzzLoad(f *testing.F) {
	for _, seed := range []string{
		"vrrp_instance VI_1 {\n state MASTER\n interface eth0\n virtual_router_id 51\n priority 100\n virtual_ipaddress {\n 10.0.0.1/24 dev eth0 label eth0:0\n }\n}\n",
		"virtual_server 10.0.0.1 80 {\n lb_algo wrr\n lb_kind DR\n protocol TCP\n real_server 10.0.0.2 80 {\n HTTP_GET {\n url {\n path /\n }\n }\n }\n}\n",
		"global_defs {\n router_id x\n enable_script_security\n}\n$X=1\n~SEQ(N,1,3) $X\n@host y\n",
		"a { b { c } } } {",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 1<<16 {
			return
		}
		// An empty file system: a fuzzed "include /*/*" must not walk the
		// host, and generation caps keep each input quick.
		opts := Options{Host: testHost, ReadOptions: ReadOptions{ConfigID: "host", Seed: 1}, Scripts: noScripts{}}
		rd := newReader(opts.ReadOptions, emptyFS{})
		rd.maxGen, rd.maxSubst = 20_000, 20_000
		src, ds := rd.readMain("fuzz.conf", []byte(text))
		r := decodeSource("fuzz.conf", src, ds, opts)
		if r == nil || r.Config == nil {
			t.Fatal("no result")
		}
		switch code := r.ExitCode(false); code {
		case ExitOK, ExitMissingParameter, ExitCannotRun, ExitErrors, ExitNoConfig:
		default:
			t.Fatalf("exit code %d", code)
		}
	})
}

// noScripts is a machine with no users and no files, so the script
// security pass is exercised without touching the host.
type noScripts struct{}

func (noScripts) LookupUser(name string) (int, int, error) {
	return 0, 0, user.UnknownUserError(name)
}
func (noScripts) LookupGroup(name string) (int, error) { return 0, user.UnknownGroupError(name) }
func (noScripts) Lstat(string) (fs.FileInfo, error)    { return nil, fs.ErrNotExist }
func (noScripts) Stat(string) (fs.FileInfo, error)     { return nil, fs.ErrNotExist }
func (noScripts) EvalSymlinks(string) (string, error)  { return "", fs.ErrNotExist }
func (noScripts) SearchPath() string                   { return "/usr/bin:/bin" }
