package vrrp

import (
	"testing"
	"time"
)

// The table of spec §3 (advert_int 1 s; identical for v2 and v3 at 100 cs).
func TestSkewAndMasterDownInterval(t *testing.T) {
	for _, tc := range []struct {
		prio      int
		skew, mdi time.Duration
	}{
		{255, 3906 * time.Microsecond, 3003906 * time.Microsecond},
		{254, 7812 * time.Microsecond, 3007812 * time.Microsecond},
		{200, 218750 * time.Microsecond, 3218750 * time.Microsecond},
		{150, 414062 * time.Microsecond, 3414062 * time.Microsecond},
		{100, 609375 * time.Microsecond, 3609375 * time.Microsecond},
		{80, 687500 * time.Microsecond, 3687500 * time.Microsecond},
		{50, 804687 * time.Microsecond, 3804687 * time.Microsecond},
		{1, 996093 * time.Microsecond, 3996093 * time.Microsecond},
	} {
		for _, ver := range []int{2, 3} {
			if got := SkewTime(ver, tc.prio, time.Second); got != tc.skew {
				t.Errorf("v%d prio %d: skew %v, want %v", ver, tc.prio, got, tc.skew)
			}
			if got := MasterDownInterval(ver, tc.prio, 3, time.Second); got != tc.mdi {
				t.Errorf("v%d prio %d: master down %v, want %v", ver, tc.prio, got, tc.mdi)
			}
		}
	}
}

// v2 skew ignores the interval; v3 scales it with Master_Adver_Interval in
// centiseconds (spec §3).
func TestSkewScaling(t *testing.T) {
	for _, tc := range []struct {
		name      string
		ver, prio int
		adv       time.Duration
		dta       int
		skew, mdi time.Duration
	}{
		{"v2 interval 5s", 2, 100, 5 * time.Second, 3, 609375 * time.Microsecond, 15609375 * time.Microsecond},
		{"v3 interval 2s", 3, 100, 2 * time.Second, 3, 1218750 * time.Microsecond, 7218750 * time.Microsecond},
		{"v3 interval 50cs", 3, 100, 500 * time.Millisecond, 3, 304687 * time.Microsecond, 1804687 * time.Microsecond},
		{"v3 interval 10ms", 3, 1, 10 * time.Millisecond, 3, 9960 * time.Microsecond, 39960 * time.Microsecond},
		{"v3 down_timer_adverts 5", 3, 150, time.Second, 5, 414062 * time.Microsecond, 5414062 * time.Microsecond},
		{"v2 minimum skew step", 2, 255, 3 * time.Second, 1, 3906 * time.Microsecond, 3003906 * time.Microsecond},
	} {
		if got := SkewTime(tc.ver, tc.prio, tc.adv); got != tc.skew {
			t.Errorf("%s: skew %v, want %v", tc.name, got, tc.skew)
		}
		if got := MasterDownInterval(tc.ver, tc.prio, tc.dta, tc.adv); got != tc.mdi {
			t.Errorf("%s: master down %v, want %v", tc.name, got, tc.mdi)
		}
	}
}
