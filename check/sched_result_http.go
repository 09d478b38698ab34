package check

import "time"

// urlMethod is how an HTTP attempt ends, keepalived's register_checker_t.
type urlMethod uint8

const (
	urlNext   urlMethod = iota // the url passed: move on
	urlRetry                   // it failed while up (or before the first run)
	urlFailed                  // it failed again while down
)

// finishHTTP follows keepalived's http_check epilogs: one url per attempt,
// retries on the same url, the failed url alone re-tested while down, and a
// full walk of every url before the checker is up again.
func (s *Scheduler) finishHTTP(t *task, o Outcome, logAll bool) time.Duration {
	st := &t.st
	url := st.urlIt
	var method urlMethod
	switch {
	case o.OK:
		if !st.isUp {
			path := ""
			msg := "HTTP status code"
			if u := s.urlAt(t, url); u != nil {
				path = u.Path
				if u.Digest != nil {
					msg = "MD5 digest"
				}
				if u.RegexSet {
					msg = "Regex match"
				}
			}
			for _, m := range t.members {
				s.logf("%s success to %s url(%s)", msg, m.rs.name, path)
			}
		}
		method = urlNext
	case st.isUp || !st.hasRun:
		if logAll {
			for _, m := range t.members {
				s.logf("%s", t.attemptLine(o.Err, m, sprintf("%s server %s.", reasonOf(o.Err), m.rs.name)))
			}
		}
		st.hasRun = true
		method = urlRetry
	default:
		method = urlFailed
	}

	switch method {
	case urlNext:
		if url+1 >= t.numURLs() {
			st.urlIt = -1
		} else {
			st.urlIt = url + 1
		}
		st.retryIt = 0
	case urlRetry:
		st.retryIt++
	}

	switch {
	case method == urlNext && st.urlIt < 0 && st.failedURL < 0:
		if !st.isUp || !st.hasRun {
			s.transition(t, true, func(m *member) string { return sprintf("Remote Web server %s succeed on service.", m.rs.name) },
				"=> CHECK succeed on service <=", false)
		}
		st.urlIt, st.retryIt = 0, 0
	case method == urlRetry && st.retryIt > t.retry():
		if st.isUp || !st.hasRun {
			after, n := st.hasRun && t.retry() > 0, st.retryIt-1
			s.transition(t, false, func(m *member) string {
				if after {
					return sprintf("HTTP_CHECK on service %s failed after %d retries.", m.rs.name, n)
				}
				return sprintf("HTTP_CHECK on service %s failed.", m.rs.name)
			}, "=> CHECK failed on service : HTTP request failed <=", false)
		}
		st.failedURL = st.urlIt
	case method == urlNext && st.failedURL >= 0:
		st.failedURL, st.urlIt, st.retryIt = -1, 0, 0
	}

	var delay time.Duration
	switch {
	case method == urlNext:
		delay = t.delayLoop()
		if !st.hasRun {
			st.retryIt = t.retry()
		}
	case st.failedURL >= 0:
		delay = max(t.delayBeforeRetry(), t.delayLoop())
	default:
		delay = t.delayBeforeRetry()
	}
	if t.cfg.HTTP != nil && t.cfg.HTTP.FastRecovery && (!st.hasRun || (!st.isUp && st.failedURL < 0)) {
		delay = 0
	}
	return delay
}

func (s *Scheduler) urlAt(t *task, i int) *urlCfg {
	if i < 0 || i >= t.numURLs() {
		return nil
	}
	return t.cfg.HTTP.URLs[i]
}
