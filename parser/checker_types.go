package parser

import (
	"encoding/hex"
	"net/netip"
)

// Checker is one health-checker block of a real_server (HTTP_GET, SSL_GET,
// TCP_CHECK, SMTP_CHECK, DNS_CHECK, MISC_CHECK, UDP_CHECK, PING_CHECK,
// FILE_CHECK, BFD_CHECK). The timing fields hold what the block wrote, with
// a Set flag each, until resolveCheckerDefaults fills in what the real
// server, the virtual server and the checker type supply.
type Checker struct {
	// Type is the block keyword, e.g. "HTTP_GET".
	Type string `json:"type"`
	Pos  Pos    `json:"pos"`

	// Conn holds the connection keywords; nil for MISC_CHECK, FILE_CHECK
	// and BFD_CHECK, which have none.
	Conn *CheckerConn `json:"connection,omitempty"`

	// Retry is `retry` (or HTTP's deprecated `nb_get_retry`): extra attempts
	// before the checker is declared down.
	Retry    uint32 `json:"retry"`
	RetrySet bool   `json:"-"`
	// DelayBeforeRetry is `delay_before_retry`.
	DelayBeforeRetry    Micros `json:"delay_before_retry"`
	DelayBeforeRetrySet bool   `json:"-"`
	// Warmup is `warmup`: the bound of the random delay before the first run.
	Warmup    Micros `json:"warmup"`
	WarmupSet bool   `json:"-"`
	// DelayLoop is `delay_loop`.
	DelayLoop    Micros `json:"delay_loop"`
	DelayLoopSet bool   `json:"-"`
	// Alpha is `alpha`: start in the failed state.
	Alpha    bool `json:"alpha"`
	AlphaSet bool `json:"-"`
	// LogAllFailures is `log_all_failures`.
	LogAllFailures bool `json:"log_all_failures,omitempty"`

	// Exactly one of these is set, matching Type (HTTP for SSL_GET too).
	HTTP *HTTPCheck `json:"http,omitempty"`
	TCP  *TCPCheck  `json:"tcp,omitempty"`
	SMTP *SMTPCheck `json:"smtp,omitempty"`
	DNS  *DNSCheck  `json:"dns,omitempty"`
	Misc *MiscCheck `json:"misc,omitempty"`
	UDP  *UDPCheck  `json:"udp,omitempty"`
	Ping *PingCheck `json:"ping,omitempty"`
	File *FileCheck `json:"file,omitempty"`
	BFD  *BFDCheck  `json:"bfd,omitempty"`

	// cur is where connection keywords go: Conn, or an SMTP host block
	// while one is being read.
	cur *CheckerConn
}

// CheckerConn is the connection group of a checker (or of a deprecated
// SMTP_CHECK host block).
type CheckerConn struct {
	Pos Pos `json:"pos"`
	// ConnectIP is `connect_ip`; invalid (zero) means the real server's.
	ConnectIP netip.Addr `json:"connect_ip,omitzero"`
	// ConnectPort is `connect_port`; unset means the real server's.
	ConnectPort    uint16 `json:"connect_port,omitempty"`
	ConnectPortSet bool   `json:"-"`
	// BindTo is `bindto`, the source address.
	BindTo netip.Addr `json:"bindto,omitzero"`
	// BindPort is `bind_port`.
	BindPort uint16 `json:"bind_port,omitempty"`
	// BindIf is `bind_if`.
	BindIf string `json:"bind_if,omitempty"`
	// FWMark is `fwmark` (SO_MARK).
	FWMark uint32 `json:"fwmark,omitempty"`
	// ConnectTimeout is `connect_timeout`.
	ConnectTimeout    Micros `json:"connect_timeout"`
	ConnectTimeoutSet bool   `json:"-"`
	// Dest is the resolved destination, filled by resolveCheckerDefaults.
	Dest netip.AddrPort `json:"dest,omitzero"`
}

// anySet tells whether any connection keyword was written; SMTP_CHECK uses
// it to decide whether its own connection or its first host block is used.
func (c *CheckerConn) anySet() bool {
	return c.ConnectIP.IsValid() || c.ConnectPortSet || c.BindTo.IsValid() || c.BindPort != 0 ||
		c.BindIf != "" || c.FWMark != 0 || c.ConnectTimeoutSet
}

// HTTPCheck is the HTTP_GET / SSL_GET specific part.
type HTTPCheck struct {
	// Virtualhost is the checker-level `virtualhost` (Host header).
	Virtualhost string `json:"virtualhost,omitempty"`
	// HTTPProtocol is `http_protocol`: "1.0" (default), "1.1" or "1.0C".
	HTTPProtocol string `json:"http_protocol"`
	// EnableSNI is `enable_sni`.
	EnableSNI bool `json:"enable_sni,omitempty"`
	// FastRecovery is `fast_recovery`.
	FastRecovery bool `json:"fast_recovery,omitempty"`
	// URLs are the `url` blocks that have a path.
	URLs []*URLCheck `json:"urls"`
}

// URLCheck is one `url` block.
type URLCheck struct {
	Pos Pos `json:"pos"`
	// Path is `path`.
	Path string `json:"path"`
	// Digest is `digest`: the MD5 of the body, 16 bytes, or nil.
	Digest HexBytes `json:"digest,omitempty"`
	// StatusCodes is `status_code` as sorted disjoint ranges; 200-299 when
	// none was accepted.
	StatusCodes []StatusRange `json:"status_code"`
	// Virtualhost is the url-level `virtualhost`.
	Virtualhost string `json:"virtualhost,omitempty"`
	// Regex is `regex` (PCRE2 pattern); RegexSet tells an empty pattern
	// from none.
	Regex    string `json:"regex,omitempty"`
	RegexSet bool   `json:"-"`
	// RegexNoMatch is `regex_no_match`.
	RegexNoMatch bool `json:"regex_no_match,omitempty"`
	// RegexOptions are the recognised `regex_options` names.
	RegexOptions []string `json:"regex_options,omitempty"`
	// RegexMinOffset and RegexMaxOffset are `regex_min_offset` and
	// `regex_max_offset`; RegexMaxOffsetSet tells whether a maximum applies.
	RegexMinOffset    uint64 `json:"regex_min_offset,omitempty"`
	RegexMaxOffset    uint64 `json:"regex_max_offset,omitempty"`
	RegexMaxOffsetSet bool   `json:"-"`
	// RegexStackStart and RegexStackMax are `regex_stack START MAX`.
	RegexStackStart uint64 `json:"regex_stack_start,omitempty"`
	RegexStackMax   uint64 `json:"regex_stack_max,omitempty"`
	RegexUseStack   bool   `json:"-"`

	pathSet bool
	codes   *statusSet
}

// StatusRange is an inclusive range of accepted HTTP status codes.
type StatusRange struct {
	Lo int `json:"lo"`
	Hi int `json:"hi"`
}

// Contains tells whether code is in the range.
func (r StatusRange) Contains(code int) bool { return code >= r.Lo && code <= r.Hi }

// TCPCheck is TCP_CHECK: the connection group is all it has.
type TCPCheck struct{}

// PingCheck is PING_CHECK: the connection group is all it has.
type PingCheck struct{}

// SMTPCheck is the SMTP_CHECK specific part.
type SMTPCheck struct {
	// HeloName is `helo_name`.
	HeloName string `json:"helo_name"`
	// Hosts are the deprecated `host` blocks as written; at the end of the
	// block each one became a checker of its own (the first one replacing
	// the checker's connection when none of its own was written).
	Hosts []*CheckerConn `json:"hosts,omitempty"`
}

// DNSCheck is the DNS_CHECK specific part.
type DNSCheck struct {
	// Type is `type`, upper case; SOA by default.
	Type string `json:"type"`
	// Name is `name`; empty means the root.
	Name    string `json:"name"`
	nameSet bool
}

// MiscCheck is the MISC_CHECK specific part.
type MiscCheck struct {
	// Script is `misc_path`.
	Script *Script `json:"misc_path,omitempty"`
	// Timeout is `misc_timeout` (whole seconds); zero means the virtual
	// server's delay_loop.
	Timeout Micros `json:"misc_timeout,omitempty"`
	// Dynamic is `misc_dynamic`.
	Dynamic bool `json:"misc_dynamic,omitempty"`
	// User and Group are `user USER [GROUP]`.
	User  string `json:"user,omitempty"`
	Group string `json:"group,omitempty"`
}

// UDPCheck is the UDP_CHECK specific part.
type UDPCheck struct {
	// Payload is `payload`; nil means keepalived's default text.
	Payload HexBytes `json:"payload,omitempty"`
	// RequireReply is `require_reply`; ReplyData/ReplyMask its optional
	// pattern, a set mask bit being a wildcard.
	RequireReply bool     `json:"require_reply,omitempty"`
	ReplyData    HexBytes `json:"reply_data,omitempty"`
	ReplyMask    HexBytes `json:"reply_mask,omitempty"`
	// MinReplyLength and MaxReplyLength are `min_reply_length` (0) and
	// `max_reply_length` (255).
	MinReplyLength uint16 `json:"min_reply_length"`
	MaxReplyLength uint16 `json:"max_reply_length"`
}

// FileCheck is the FILE_CHECK specific part.
type FileCheck struct {
	// TrackFile is `track_file`, the name of a track_file block.
	TrackFile string `json:"track_file"`
	// Weight and Reverse are `weight W [reverse|noreverse]`, or the
	// track_file's own when not written.
	Weight  int  `json:"weight"`
	Reverse bool `json:"reverse,omitempty"`

	track     *TrackFile
	weightSet bool
}

// BFDCheck is the BFD_CHECK specific part.
type BFDCheck struct {
	// Name is `name`, a bfd_instance.
	Name string `json:"name"`

	dropped bool // a bad name: keepalived ignores the rest of the block
}

// HexBytes renders binary configuration values as hex in JSON.
type HexBytes []byte

// MarshalText writes the bytes as lower-case hex.
func (h HexBytes) MarshalText() ([]byte, error) { return []byte(hex.EncodeToString(h)), nil }
