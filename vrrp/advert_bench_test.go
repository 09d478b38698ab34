package vrrp

import (
	"testing"
	"time"
)

func BenchmarkEncoderBuildV2Pass(b *testing.B) {
	enc, _ := NewEncoder(v2PassCfg())
	b.ReportAllocs()
	for b.Loop() {
		enc.Build(100)
	}
}

func BenchmarkEncoderBuildV2AH(b *testing.B) {
	ec, _ := ahCfg()
	enc, _ := NewEncoder(ec)
	b.ReportAllocs()
	for b.Loop() {
		enc.Build(100)
	}
}

func BenchmarkValidatorCheckV2Pass(b *testing.B) {
	enc, _ := NewEncoder(v2PassCfg())
	dgs, _ := enc.Build(100)
	v := NewValidator(v2PassValidator())
	rx := rx4(dgs[0].Data)
	b.ReportAllocs()
	for b.Loop() {
		if r := v.Check(rx, true); r.Verdict != Accept {
			b.Fatal(r.Log)
		}
	}
}

func BenchmarkValidatorCheckV3(b *testing.B) {
	enc, _ := NewEncoder(EncoderConfig{Version: 3, VRID: 61, Interval: time.Second, Addrs: addrs("10.99.0.140", "10.99.0.141"), Src: srcA})
	dgs, _ := enc.Build(150)
	v := NewValidator(ValidatorConfig{Name: "VI", Version: 3, VRID: 61, Interval: time.Second, VIPs: addrs("10.99.0.140", "10.99.0.141")})
	rx := rx4(dgs[0].Data)
	b.ReportAllocs()
	for b.Loop() {
		if r := v.Check(rx, true); r.Verdict != Accept {
			b.Fatal(r.Log)
		}
	}
}
