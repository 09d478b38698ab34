package notify

import (
	"strconv"
	"strings"
	"time"
)

// Mail is one alert: the subject (with its [router_id] prefix) and the
// one-line body.
type Mail struct {
	Subject string
	Body    string
}

// keepalived's buffer sizes: the subject and body are cut to one byte
// less (the C strings' NUL), every command and the whole DATA chunk to
// smtpBufferMax-1 bytes.
const (
	maxSubject    = 256
	maxBody       = 512
	smtpBufferMax = 1024
)

func vrrpSubjectBody(s State, group bool) (subject, body string) {
	switch s {
	case Master, Backup, Fault:
		subject = "Entering " + string(s) + " state"
		switch {
		case group:
			body = "=> All VRRP group instances are now in " + string(s) + " state <="
		case s == Master:
			body = "=> VRRP Instance is now owning VRRP VIPs <="
		default:
			body = "=> VRRP Instance is no longer owning VRRP VIPs <="
		}
	case Stop:
		subject = "Stopping"
		if group {
			body = "=> All VRRP group instances are now stopping <="
		} else {
			body = "=> VRRP Instance stopping <="
		}
	case Deleted:
		if !group {
			subject, body = "Deleted", "=> VRRP Deleted at reload <="
		}
	}
	return subject, body
}

// VRRPInstanceMail is the alert for a VRRP instance entering MASTER,
// BACKUP or FAULT, stopping or being deleted at reload. ok is false for
// states keepalived sends no mail for (the priority and rx-lower events).
func VRRPInstanceMail(routerID, name string, s State) (m Mail, ok bool) {
	subject, body := vrrpSubjectBody(s, false)
	if subject == "" {
		return Mail{}, false
	}
	return Mail{Subject: "[" + routerID + "] VRRP Instance " + name + " - " + subject, Body: body}, true
}

// VRRPGroupMail is the alert for a sync group entering MASTER, BACKUP or
// FAULT, or stopping.
func VRRPGroupMail(routerID, name string, s State) (m Mail, ok bool) {
	subject, body := vrrpSubjectBody(s, true)
	if subject == "" {
		return Mail{}, false
	}
	return Mail{Subject: "[" + routerID + "] VRRP Group " + name + " - " + subject, Body: body}, true
}

// RealServerMail is the alert a checker sends when it changes state: up is
// the real server's alive flag when the mail is made (a checker that
// recovers while another checker of the server still fails sends "DOWN"
// with its success body). body is one of the Body* texts.
func RealServerMail(routerID, rs, vs string, up bool, body string) Mail {
	return Mail{Subject: "[" + routerID + "] Realserver " + rs + " of virtual server " + vs + " - " + upDown(up), Body: body}
}

// RealServerRemovedMail is the alert for a real server removed at reload
// (shutdown false: "=> Removing <=") or at shutdown ("=> Shutting down <=").
func RealServerRemovedMail(routerID, rs, vs string, shutdown bool) Mail {
	body := "=> Removing <="
	if shutdown {
		body = "=> Shutting down <="
	}
	return RealServerMail(routerID, rs, vs, false, body)
}

// VirtualServerMail is the quorum alert of a virtual server. init tells
// that this is the state at start-up; shutdown gives "=> Shutting down <=".
// quorum, hysteresis, threshold and weight are the figures keepalived
// prints: => Gained quorum Q+H=T <= W <=.
func VirtualServerMail(routerID, vs string, up, init, shutdown bool, quorum, hysteresis uint32, threshold, weight int64) Mail {
	var body string
	if shutdown {
		body = "=> Shutting down <="
	} else {
		var what string
		switch {
		case up && init:
			what = "Starting with quorum up"
		case up:
			what = "Gained quorum"
		case init:
			what = "Starting with quorum down"
		default:
			what = "Lost quorum"
		}
		body = "=> " + what + " " + strconv.FormatUint(uint64(quorum), 10) + "+" +
			strconv.FormatUint(uint64(hysteresis), 10) + "=" + strconv.FormatInt(threshold, 10) +
			" <= " + strconv.FormatInt(weight, 10) + " <="
	}
	return Mail{Subject: "[" + routerID + "] Virtualserver " + vs + " - " + upDown(up), Body: body}
}

// The bodies of the checkers' real-server alerts in keepalived 2.2.7.
const (
	BodyTCPUp       = "=> TCP CHECK succeed on service <="
	BodyTCPDown     = "=> TCP CHECK failed on service <="
	BodyUDPUp       = "=> UDP CHECK succeed on service <="
	BodyUDPDown     = "=> UDP CHECK failed on service <="
	BodyICMPUp      = "=> ICMP CHECK succeed on service <="
	BodyICMPDown    = "=> ICMP CHECK failed on service <="
	BodyDNSUp       = "=> DNS_CHECK: succeed on service <="
	BodyDNSDown     = "=> DNS_CHECK: failed on service <="
	BodyCheckUp     = "=> CHECK succeed on service <=" // HTTP_GET, SSL_GET, SMTP_CHECK
	BodyHTTPDown    = "=> CHECK failed on service : HTTP request failed <="
	BodyCheckDown   = "=> CHECK failed on service <=" // SMTP_CHECK without a reason
	BodyMiscSucceed = "=> MISC CHECK succeed on service <="
	BodyMiscFailed  = "=> MISC CHECK failed on service <="
)

// SMTPCheckDownBody is SMTP_CHECK's failure body with its reason.
func SMTPCheckDownBody(reason string) string {
	return truncate("=> CHECK failed on service : "+reason+" <=", maxBody)
}

// MiscBody is MISC_CHECK's body; result is keepalived's exit description
// ("succeed", "failed", "timed out").
func MiscBody(result string) string { return "=> MISC CHECK " + result + " on service <=" }

// ShouldMailVRRP is keepalived's rule for instance and sync-group alerts:
// alerts enabled for the object, FAULT not suppressed by no_email_faults,
// and a state different from the last one mailed.
func ShouldMailVRRP(enabled, noEmailFaults bool, lastMailed, now State) bool {
	if !enabled || (noEmailFaults && now == Fault) || lastMailed == now {
		return false
	}
	_, ok := VRRPInstanceMail("", "", now)
	return ok
}

// ShouldMailChecker is keepalived's rule for a checker's real-server alert:
// the checker itself changed state, the real server has smtp_alert, and
// either the server's alive flag changed or no_checker_emails is off.
func ShouldMailChecker(rsSMTPAlert, checkerChanged, aliveChanged, noCheckerEmails bool) bool {
	return rsSMTPAlert && checkerChanged && (aliveChanged || !noCheckerEmails)
}

// dateFormat is keepalived's RFC 822 date, strftime "%a, %d %b %Y %H:%M:%S %z".
const dateFormat = "Mon, 02 Jan 2006 15:04:05 -0700"

// Message is the DATA chunk keepalived sends, terminator included, cut to
// its buffer as keepalived's snprintf does.
func Message(now time.Time, from string, to []string, m Mail) []byte {
	var b strings.Builder
	b.WriteString("Date: ")
	b.WriteString(now.Format(dateFormat))
	b.WriteString("\r\nFrom: ")
	b.WriteString(from)
	b.WriteString("\r\nSubject: ")
	b.WriteString(truncate(m.Subject, maxSubject))
	b.WriteString("\r\nX-Mailer: Keepalived\r\nTo: ")
	b.WriteString(toHeader(to))
	b.WriteString("\r\n\r\n")
	b.WriteString(truncate(m.Body, maxBody))
	b.WriteString("\r\n\r\n.\r\n")
	return []byte(truncate(b.String(), smtpBufferMax))
}

// toHeader joins the recipients with ", ", stopping at the first one that
// no longer fits keepalived's buffer.
func toHeader(to []string) string {
	avail := smtpBufferMax - 1
	var b strings.Builder
	for i, a := range to {
		if i > 0 {
			if avail < 2 {
				break
			}
			b.WriteString(", ")
			avail -= 2
		}
		if avail < len(a) {
			break
		}
		b.WriteString(a)
		avail -= len(a)
	}
	return b.String()
}

// truncate cuts s to size-1 bytes, as snprintf into a size-byte buffer.
func truncate(s string, size int) string {
	if len(s) > size-1 {
		return s[:size-1]
	}
	return s
}
