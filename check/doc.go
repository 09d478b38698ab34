// Package check runs keepalived's health checkers and keeps the real and
// virtual server states the IPVS table is computed from.
//
// The pieces, from the outside in:
//
//   - Engine (NewEngine, Run, Reload, Snapshot) is keepalived's checker
//     process: a Scheduler, a NotifyAdapter for scripts, FIFOs and mail, and
//     an ipvs.Reconciler kept in line with Desired(cfg, scheduler) on every
//     Changes signal, so only the entries that differ are touched.
//   - Scheduler (NewScheduler, Run, Reload, Changes) owns one loop for every
//     check of a configuration. Each check is a small state machine with
//     keepalived 2.2.7's rules: the first attempt 1 s plus a random warmup
//     after a start or a reload, delay_loop, retry, delay_before_retry, the
//     cold-start rule that one failure is final, HTTP's one-url-per-attempt
//     walk with fast_recovery, SMTP's rounds, MISC_CHECK's start-to-start
//     period and misc_dynamic weights. Attempts run on their own goroutines,
//     at most Options.MaxConcurrent at a time, so a slow server never delays
//     another. Identical checks of the same target (the same backend behind
//     several virtual servers) run once and their result is applied to each.
//   - Real and virtual server state: a real server is alive when all its
//     checkers pass; quorum with hysteresis, the sorry server, alpha, omega
//     and inhibit_on_failure follow ipwrapper.c, with keepalived's log lines
//     ("Adding service ... to VS ...", "Lost quorum 1-0=1 > 0 for VS ...").
//     Notifications (notify_up/down, quorum_up/down, FIFO lines, SMTP alerts)
//     go through the Notifier interface.
//   - The Scheduler implements Health: the IPVS translation reads whether each
//     real server is alive, its weight, and each virtual server's quorum, and
//     recomputes the desired table whenever Changes fires.
//   - Probes (NewProbe, one per checker type) make single attempts; retries,
//     delays and state belong to the scheduler.
package check
