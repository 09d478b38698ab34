package check

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"regexp"
	"sync"
	"time"

	"github.com/gokeepalived/gokeepalived/parser"
)

// URLProber is implemented by the HTTP_GET and SSL_GET probes. keepalived
// tests one url per attempt and chooses which one from the checker's state
// (the next url of a sweep, or the url that failed), so the scheduler picks
// the url; Check alone tests every url in order and stops at the first
// failure.
type URLProber interface {
	Probe
	// NumURLs is the number of url blocks, at least 1.
	NumURLs() int
	// CheckURL makes one attempt on url i (0-based).
	CheckURL(ctx context.Context, i int) Outcome
	// SuccessLine is the line keepalived logs when url i succeeds while
	// the checker is down, e.g. "HTTP status code success to
	// [10.0.0.1]:tcp:80 url(/index.html)".
	SuccessLine(i int) string
}

// HTTP limits of keepalived's checker (check_http.h).
const (
	httpRequestMax = 2048 - 1 // the request is formatted into a 2048-byte buffer
	httpHeaderMax  = 4096 - 1 // the status line and headers must fit the read buffer
	// httpRegexMax bounds how much of a response is kept for regex
	// matching; keepalived matches incrementally with PCRE2 partial
	// matching instead of keeping the response.
	httpRegexMax = 1 << 20
)

type httpProbe struct {
	id     probeIdentity
	co     connOpts
	ssl    bool
	tlsCfg *tls.Config
	proto  string // "1.0", "1.0C" or "1.1"
	// Hosts, from the most to the least specific, and the SNI fallback
	// (which skips the real server's virtualhost).
	checkerHost, rsHost, vsHost string
	enableSNI                   bool
	urls                        []*httpURL
	log                         func(msg string)

	mu sync.Mutex // guards httpURL.lenMismatch
}

type httpURL struct {
	path    string
	digest  []byte
	codes   []parser.StatusRange
	vhost   string
	re      *regexp.Regexp
	reAfter *regexp.Regexp // re found after a first character: for regex_min_offset
	noMatch bool
	minOff  uint64
	maxOff  uint64 // 0: no maximum
	// req is the request sent for this url, built once.
	req []byte

	lenMismatch int64 // the last reported content-length difference
}

var _ URLProber = (*httpProbe)(nil)

func newHTTPProbe(c *parser.Checker, vs *parser.VirtualServer, rs *parser.RealServer, id probeIdentity, env *ProbeEnv) (*httpProbe, error) {
	h := c.HTTP
	if h == nil {
		return nil, fmt.Errorf("check: %s without its settings", c.Type)
	}
	if len(h.URLs) == 0 {
		return nil, fmt.Errorf("check: %s of %s has no url", c.Type, id.rs)
	}
	co, err := newConnOpts(c)
	if err != nil {
		return nil, err
	}
	lg := env.logger()
	p := &httpProbe{
		id:          id,
		co:          co,
		ssl:         c.Type == "SSL_GET",
		proto:       h.HTTPProtocol,
		checkerHost: h.Virtualhost,
		rsHost:      rs.VirtualHost,
		vsHost:      vs.VirtualHost,
		enableSNI:   h.EnableSNI,
		log:         func(msg string) { lg.Info(msg) },
	}
	if p.proto == "" {
		p.proto = "1.0"
	}
	if p.ssl {
		if p.tlsCfg, err = probeTLSConfig(env.SSL); err != nil {
			return nil, err
		}
	}
	for _, u := range h.URLs {
		hu := &httpURL{path: u.Path, digest: u.Digest, codes: u.StatusCodes, vhost: u.Virtualhost, noMatch: u.RegexNoMatch}
		if len(hu.codes) == 0 {
			hu.codes = []parser.StatusRange{{Lo: 200, Hi: 299}}
		}
		if u.RegexSet {
			if hu.re, err = compileHTTPRegex(u.Regex, u.RegexOptions); err != nil {
				return nil, fmt.Errorf("check: %s url %s: %w", c.Type, u.Path, err)
			}
			hu.minOff = u.RegexMinOffset
			// The leftmost match that starts after the first character,
			// with the text before it still in view (for ^, \b).
			if hu.reAfter, err = regexp.Compile(`\A(?s:.)(?s:.*?)(` + hu.re.String() + `)`); err != nil {
				return nil, fmt.Errorf("check: %s url %s: %w", c.Type, u.Path, err)
			}
			if u.RegexMaxOffsetSet {
				hu.maxOff = u.RegexMaxOffset
			}
		}
		p.urls = append(p.urls, hu)
	}
	for _, u := range p.urls {
		u.req = p.buildRequest(u)
	}
	return p, nil
}

// compileHTTPRegex translates a PCRE2 pattern and its regex_options into
// Go's RE2 syntax. RE2 has no backreferences or lookaround: such patterns
// fail here, at start-up, rather than at check time.
func compileHTTPRegex(pattern string, options []string) (*regexp.Regexp, error) {
	flags := ""
	for _, o := range options {
		switch o {
		case "caseless":
			flags += "i"
		case "multiline":
			flags += "m"
		case "dotall":
			flags += "s"
		case "ungreedy":
			flags += "U"
		case "utf", "ucp", "no_auto_capture", "no_auto_possess", "no_dotstar_anchor",
			"no_start_optimize", "dupnames", "never_backslash_c", "never_ucp", "never_utf",
			"dollar_endonly", "auto_callout", "allow_empty_class", "use_offset_limit":
			// No effect on what RE2 matches, or not expressible; RE2's $
			// without (?m) already matches only at the end of the text.
		default:
			return nil, fmt.Errorf("regex option %s has no Go equivalent", o)
		}
	}
	if flags != "" {
		pattern = "(?" + flags + ")" + pattern
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("regex %q: %w", pattern, err)
	}
	return re, nil
}

func (p *httpProbe) NumURLs() int { return len(p.urls) }

// Check tests every url in order and reports the first failure.
func (p *httpProbe) Check(ctx context.Context) Outcome {
	for i := range p.urls {
		if o := p.CheckURL(ctx, i); !o.OK {
			return o
		}
	}
	return Outcome{OK: true}
}

func (p *httpProbe) SuccessLine(i int) string {
	u := p.urls[i]
	msg := "HTTP status code"
	if u.digest != nil {
		msg = "MD5 digest"
	}
	if u.re != nil {
		msg = "Regex match"
	}
	return fmt.Sprintf("%s success to %s url(%s)", msg, p.id.rs, u.path)
}

// fail is a failed attempt with keepalived's "<reason> server RS." line.
func (p *httpProbe) fail(reason string, err error) Outcome {
	return failed(&ProbeError{Reason: reason, Line: fmt.Sprintf("%s server %s.", reason, p.id.rs), Err: err})
}

// host is the Host header value and whether it came from a virtualhost.
func (p *httpProbe) host(u *httpURL) (string, bool) {
	for _, h := range []string{u.vhost, p.checkerHost, p.rsHost, p.vsHost} {
		if h != "" {
			return h, true
		}
	}
	a := p.co.dest.Addr().WithZone("")
	if a.Is6() && !a.Is4In6() {
		return fmt.Sprintf("[%s]:%d", a, p.co.dest.Port()), false
	}
	return fmt.Sprintf("%s:%d", a.Unmap(), p.co.dest.Port()), false
}

// sniName is the TLS server name keepalived sends with enable_sni: the
// url's, the checker's or the virtual server's virtualhost (not the real
// server's).
func (p *httpProbe) sniName(u *httpURL) string {
	if !p.enableSNI {
		return ""
	}
	for _, h := range []string{u.vhost, p.checkerHost, p.vsHost} {
		if h != "" {
			return h
		}
	}
	return ""
}

// request is the exact GET keepalived sends for url u.
func (p *httpProbe) request(u *httpURL) []byte {
	if u.req != nil {
		return u.req
	}
	return p.buildRequest(u)
}

func (p *httpProbe) buildRequest(u *httpURL) []byte {
	host, _ := p.host(u)
	minor, conn := 0, ""
	switch p.proto {
	case "1.1":
		minor, conn = 1, "Connection: close\r\n"
	case "1.0C":
		conn = "Connection: close\r\n"
	}
	req := fmt.Sprintf("GET %s HTTP/1.%d\r\nUser-Agent: KeepAliveClient\r\n%sHost: %s\r\n\r\n", u.path, minor, conn, host)
	if len(req) > httpRequestMax {
		req = req[:httpRequestMax]
	}
	return []byte(req)
}

// CheckURL makes one attempt on url i: connect (and TLS handshake), send
// the request, read to the end of the connection, judge the response.
func (p *httpProbe) CheckURL(ctx context.Context, i int) Outcome {
	return settle(ctx, p.checkURL(ctx, i))
}

func (p *httpProbe) checkURL(ctx context.Context, i int) Outcome {
	u := p.urls[i]
	start := time.Now()
	conn, kind, err := p.co.dialTCP(ctx)
	if kind != dialOK {
		return p.dialFailed(kind, err)
	}
	defer conn.Close()
	stop := closeOnCancel(ctx, conn)
	defer stop()

	var rw net.Conn = conn
	if p.ssl {
		cfg := p.tlsCfg.Clone()
		cfg.ServerName = p.sniName(u)
		raw := &eofConn{Conn: conn}
		tc := tls.Client(raw, cfg)
		// The handshake gets what is left of connect_timeout.
		tc.SetDeadline(deadline(ctx, start, p.co.timeout))
		if err := tc.HandshakeContext(ctx); err != nil {
			if isTimeout(err) {
				return p.fail("Timeout connecting", err)
			}
			return p.fail("SSL handshake/communication error connecting to", err)
		}
		rw = tc
	}

	rw.SetWriteDeadline(deadline(ctx, time.Now(), p.co.timeout))
	if _, err := rw.Write(p.request(u)); err != nil {
		return p.writeFailed(err)
	}
	return p.readResponse(ctx, rw, u)
}

// dialFailed is keepalived's verdict on a connect that did not succeed.
func (p *httpProbe) dialFailed(kind dialKind, err error) Outcome {
	switch kind {
	case dialTimeout:
		return p.fail("Timeout connecting", err)
	case dialUnreach:
		return p.fail("HTTP_CHECK - network unreachable", err)
	case dialLocal:
		if errors.Is(err, errCancelled) {
			return cancelled(err)
		}
		if dialSyscall(err) == "socket" {
			return failed(localError("WEB connection fail to create socket. Rescheduling.", err))
		}
		return failed(localError("WEB socket bind failed. Rescheduling", err))
	}
	return p.fail("Connection failed", err)
}

// writeFailed is keepalived's verdict on a request that could not be sent.
func (p *httpProbe) writeFailed(err error) Outcome {
	if isTimeout(err) {
		return p.fail("Timeout WEB write", err)
	}
	return p.fail("Cannot send get request to", err)
}

// eofConn notes when the TCP stream ended. crypto/tls reports both a TLS
// close_notify and a bare TCP close as io.EOF; OpenSSL, and so keepalived,
// tells them apart (SSL_ERROR_ZERO_RETURN or not).
type eofConn struct {
	net.Conn
	eof bool
}

func (c *eofConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if errors.Is(err, io.EOF) {
		c.eof = true
	}
	return n, err
}

// closedCleanly tells whether a TLS stream that returned io.EOF ended with
// a close_notify rather than a TCP close.
func closedCleanly(c net.Conn) bool {
	tc, ok := c.(*tls.Conn)
	if !ok {
		return false
	}
	raw, ok := tc.NetConn().(*eofConn)
	return ok && !raw.eof
}

// readBufs are the buffers responses are read into: one per attempt in
// flight rather than one allocated per attempt.
var readBufs = sync.Pool{New: func() any { b := make([]byte, 4096); return &b }}

// httpResponse accumulates what keepalived keeps of a response.
type httpResponse struct {
	head      []byte // bytes up to and including the blank line
	haveHead  bool
	status    int
	clen      int64 // -1: no Content-Length
	rxBody    int64
	md5       hash.Hash
	regexBuf  []byte
	regexFull bool
}

func (r *httpResponse) feed(b []byte, u *httpURL) {
	if u.re != nil && !r.regexFull {
		room := httpRegexMax - len(r.regexBuf)
		if len(b) > room {
			r.regexBuf = append(r.regexBuf, b[:room]...)
			r.regexFull = true
		} else {
			r.regexBuf = append(r.regexBuf, b...)
		}
	}
	if !r.haveHead {
		r.head = append(r.head, b...)
		end := httpHeaderEnd(r.head)
		if end < 0 {
			return
		}
		r.haveHead = true
		body := r.head[end:]
		r.head = r.head[:end]
		if len(body) == 0 {
			// keepalived runs the regex on the read that completes the
			// headers only if it also brought body bytes; otherwise the
			// headers are dropped unmatched and the subject (and its
			// offsets) starts with the body.
			r.regexBuf = r.regexBuf[:0]
		}
		r.status = httpStatusCode(r.head)
		r.clen = httpContentLength(r.head)
		r.body(body, u)
		return
	}
	r.body(b, u)
}

func (r *httpResponse) body(b []byte, u *httpURL) {
	if r.md5 != nil {
		n := int64(len(b))
		if r.clen >= 0 {
			n = max(0, min(n, r.clen-r.rxBody))
		}
		r.md5.Write(b[:n])
	}
	r.rxBody += int64(len(b))
}

func (p *httpProbe) readResponse(ctx context.Context, c net.Conn, u *httpURL) Outcome {
	r := p.newRead(u)
	bp := readBufs.Get().(*[]byte)
	defer readBufs.Put(bp)
	buf := *bp
	var sslEnd time.Time
	for {
		now := time.Now()
		switch {
		case p.ssl && !r.first:
			c.SetReadDeadline(sslEnd)
		default:
			c.SetReadDeadline(deadline(ctx, now, p.co.timeout))
		}
		want := r.limit(len(buf))
		if want == 0 {
			break
		}
		n, err := c.Read(buf[:want])
		if n > 0 {
			if r.first && p.ssl {
				sslEnd = deadline(ctx, time.Now(), p.co.timeout)
			}
			r.got(buf[:n])
		}
		if err == nil {
			continue
		}
		if p.ssl && errors.Is(err, io.EOF) && !r.resp.haveHead && closedCleanly(c) {
			// keepalived fails a close_notify before the headers as an
			// SSL read error; a bare TCP close is judged on what was read.
			return p.fail("SSL read error from", err)
		}
		if p.ssl && !errors.Is(err, io.EOF) && !isTimeout(err) {
			// OpenSSL ends the stream on any error; what was read is judged.
			break
		}
		return r.ended(err)
	}
	return r.judge()
}

// httpRead is keepalived's reading of one response, a read at a time:
// readResponse drives it on a goroutine, the connector in the loop.
type httpRead struct {
	p     *httpProbe
	u     *httpURL
	resp  httpResponse
	first bool // nothing read yet
}

func (p *httpProbe) newRead(u *httpURL) *httpRead {
	r := &httpRead{p: p, u: u, resp: httpResponse{clen: -1}, first: true}
	if u.digest != nil {
		r.resp.md5 = md5.New()
	}
	return r
}

// limit is how many bytes the next read may take, at most n; 0 ends the
// reading: keepalived's buffer holds 4095 bytes of headers, and with no
// header end by then it reads zero bytes, which it takes for the end.
func (r *httpRead) limit(n int) int {
	if r.resp.haveHead {
		return n
	}
	return min(n, httpHeaderMax-len(r.resp.head))
}

func (r *httpRead) got(b []byte) {
	r.first = false
	r.resp.feed(b, r.u)
}

// ended is the verdict when a read returns err: the end of the stream
// (the response is judged), a timeout or an error.
func (r *httpRead) ended(err error) Outcome {
	switch {
	case errors.Is(err, io.EOF):
		return r.judge()
	case isTimeout(err) && r.first:
		return r.p.fail("Timeout WEB read", err)
	case isTimeout(err) && r.p.ssl:
		return r.p.fail("Timeout SSL read", err)
	case isTimeout(err):
		return r.p.fail("Timeout HTTP read", err)
	}
	return r.p.fail("Read error with", err)
}

func (r *httpRead) judge() Outcome { return r.p.judge(&r.resp, r.u) }

var (
	_ streamProbe    = (*httpProbe)(nil)
	_ streamExchange = (*httpRead)(nil)
)

func (p *httpProbe) connectOpts() *connOpts { return &p.co }

func (p *httpProbe) stream(url int) streamExchange {
	if p.ssl {
		return nil
	}
	return p.newRead(p.urls[url])
}

func (r *httpRead) request() []byte                             { return r.p.request(r.u) }
func (r *httpRead) dialFailed(kind dialKind, err error) Outcome { return r.p.dialFailed(kind, err) }
func (r *httpRead) writeFailed(err error) Outcome               { return r.p.writeFailed(err) }

// judge applies keepalived's order: data, status code, digest, regex.
func (p *httpProbe) judge(r *httpResponse, u *httpURL) Outcome {
	if !r.haveHead {
		// keepalived's text ends with a space, so its line has two.
		return p.fail("Read, no data received from ", nil)
	}
	if !httpStatusAccepted(r.status, u.codes) {
		return p.fail("HTTP status code error to", fmt.Errorf("status %d", r.status))
	}
	p.reportLength(r, u)
	if u.digest != nil {
		if subtle.ConstantTimeCompare(r.md5.Sum(nil), u.digest) != 1 {
			return p.fail("MD5 digest error to", nil)
		}
	}
	if u.re != nil {
		if httpRegexMatch(u, r.regexBuf) == u.noMatch {
			return p.fail("Regex match failed", nil)
		}
	}
	return Outcome{OK: true}
}

// reportLength logs a Content-Length that differs from the body received,
// once for each distinct difference, as keepalived does.
func (p *httpProbe) reportLength(r *httpResponse, u *httpURL) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r.clen < 0 || r.clen == r.rxBody {
		u.lenMismatch = 0
		return
	}
	diff := r.clen - r.rxBody
	if diff == u.lenMismatch {
		return
	}
	u.lenMismatch = diff
	p.log(fmt.Sprintf("http_check for RS %s VS %s url %s%s: content_length (%d) does not match received bytes (%d)",
		p.id.rs, p.id.vs, u.vhost, u.path, r.clen, r.rxBody))
}

// httpRegexMatch judges the regex as keepalived's PCRE2 call does: the
// search starts at regex_min_offset with the text before it in view (so
// ^ cannot match there unless multiline after a newline), a match must
// start before regex_max_offset, offsets counting from the start of the
// subject (the status line, or the body when the headers came in a read of
// their own). keepalived asks for hard partial matching and never matches
// again at the end of the response, so a match that would need to look
// past the last byte received (an end anchor, \b, a greedy or optional
// tail) counts as no match.
func httpRegexMatch(u *httpURL, subject []byte) bool {
	var start, end int
	switch {
	case u.minOff > uint64(len(subject)):
		return false
	case u.minOff == 0:
		loc := u.re.FindIndex(subject)
		if loc == nil {
			return false
		}
		start, end = loc[0], loc[1]
	default:
		base := int(u.minOff) - 1
		loc := u.reAfter.FindSubmatchIndex(subject[base:])
		if loc == nil {
			return false
		}
		start, end = base+loc[2], base+loc[3]
	}
	if u.maxOff != 0 && uint64(start) >= u.maxOff {
		return false
	}
	return end < len(subject) || !needsMore(u.re, subject[start:end])
}

// needsMore tells whether a match that ends with the data would change if
// one more byte came: PCRE2's hard partial matching reports such a match
// as partial, not as a match.
func needsMore(re *regexp.Regexp, m []byte) bool {
	want := re.FindIndex(m)
	buf := make([]byte, len(m)+1)
	copy(buf, m)
	for c := 0; c < 256; c++ {
		buf[len(m)] = byte(c)
		got := re.FindIndex(buf)
		if (got == nil) != (want == nil) || got != nil && (got[0] != want[0] || got[1] != want[1]) {
			return true
		}
	}
	return false
}

// httpHeaderEnd is the offset just past the first CRLFCRLF, or -1.
func httpHeaderEnd(b []byte) int {
	i := bytes.Index(b, []byte("\r\n\r\n"))
	if i < 0 {
		return -1
	}
	return i + 4
}

// httpStatusCode reads the status code as keepalived does: the three
// characters after the first space of the status line, which must be
// digits followed by a space. Anything else (no reason phrase) is 0.
func httpStatusCode(head []byte) int {
	i := 0
	for i < len(head) && head[i] != ' ' && head[i] != '\r' {
		i++
	}
	if i >= len(head) || head[i] != ' ' {
		return 0
	}
	i++
	if i+3 >= len(head) || head[i+3] != ' ' {
		return 0
	}
	code := 0
	for _, c := range head[i : i+3] {
		if c < '0' || c > '9' {
			return 0
		}
		code = code*10 + int(c-'0')
	}
	return code
}

// httpContentLength finds "Content-Length:" (case-sensitive, as keepalived
// searches for it) and reads its number; -1 when absent or malformed.
func httpContentLength(head []byte) int64 {
	const key = "Content-Length:"
	i := bytes.Index(head, []byte(key))
	if i < 0 {
		return -1
	}
	s := head[i+len(key):]
	j := 0
	for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
		j++
	}
	k := j
	var n int64
	for k < len(s) && s[k] >= '0' && s[k] <= '9' && n < 1<<53 {
		n = n*10 + int64(s[k]-'0')
		k++
	}
	if k == j {
		// No digits: strtoul ends where it started, before the blanks.
		if len(s) > 0 && s[0] != '\r' && s[0] != '\n' {
			return -1
		}
		return 0
	}
	if k < len(s) && s[k] != '\r' && s[k] != '\n' {
		return -1
	}
	return n
}

func httpStatusAccepted(code int, codes []parser.StatusRange) bool {
	if code < 100 || code > 599 {
		return false
	}
	for _, r := range codes {
		if r.Contains(code) {
			return true
		}
	}
	return false
}
