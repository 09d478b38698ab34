package vrrp

import "time"

// keepalived keeps every VRRP time in microseconds; these helpers do the
// same integer arithmetic so that results match it to the microsecond.
const (
	fsmTimerHz      = 1000000
	fsmTimerCentiHz = fsmTimerHz / 100
	fsmPrioOwner    = 255
)

// usDuration turns keepalived microseconds into a time.Duration.
func usDuration(us int64) time.Duration { return time.Duration(us) * time.Microsecond }

// SkewTime is RFC 3768/5798 Skew_Time in keepalived's integer arithmetic
// (spec §3): v2 (256−prio)/256 s whatever the interval; v3
// ((256−prio) × master_adver_int in centiseconds × 625) / 16 µs.
func SkewTime(version, priority int, masterAdverInt time.Duration) time.Duration {
	return usDuration(fsmSkewUS(version, int64(256-priority), masterAdverInt.Microseconds()))
}

// MasterDownInterval is down_timer_adverts × master_adver_int + Skew_Time
// (spec §3). For v2 master_adver_int is always the configured advert_int.
func MasterDownInterval(version, priority, downTimerAdverts int, masterAdverInt time.Duration) time.Duration {
	us := masterAdverInt.Microseconds()
	return usDuration(int64(downTimerAdverts)*us + fsmSkewUS(version, int64(256-priority), us))
}

// fsmSkewUS is keepalived's VRRP_TIMER_SKEW_CALC for a priority step count
// (256−priority, or 1 for the minimum skew).
func fsmSkewUS(version int, steps, masterAdverIntUS int64) int64 {
	if version == 3 {
		return (steps * (masterAdverIntUS / fsmTimerCentiHz) * 625) / 16
	}
	return steps * fsmTimerHz / 256
}

func (v *fsmInstance) skewUS() int64 {
	return fsmSkewUS(v.version, int64(256-v.effPrio), v.masterAdverInt)
}

func (v *fsmInstance) skewMinUS() int64 {
	return fsmSkewUS(v.version, 1, v.masterAdverInt)
}

// mdiUS is VRRP_MS_DOWN_TIMER with the instance's current values.
func (v *fsmInstance) mdiUS() int64 {
	return v.downTimerAdverts*v.masterAdverInt + v.skewUS()
}
