// Package notify carries out the notifications keepalived makes when a VRRP
// instance, a sync group, a real server or a virtual server changes state:
// it runs notify scripts, writes lines to the notify FIFOs and sends SMTP
// alerts, with keepalived 2.2.7's argument lists, FIFO line formats and SMTP
// dialogue.
//
// The package owns no state machine. The VRRP and checker engines decide
// when something happened and hand plain values to it:
//
//   - Command is one script run (argv already split and resolved by the
//     parser, the uid/gid script security chose, a timeout). A Runner runs
//     it in its own process group as that user and kills the whole group at
//     the timeout. A Queue runs the commands of one key (an instance, a real
//     server) in order, one at a time, without ever blocking its caller.
//   - FIFO writes keepalived's notify lines (InstanceLine, GroupLine,
//     VSLine, RSLine) to a named pipe without blocking, and starts the pipe's
//     reader script.
//   - Mailer sends alert mails (VRRPInstanceMail, VRRPGroupMail,
//     RealServerMail, VirtualServerMail) in the background: HELO, MAIL FROM,
//     one RCPT TO per address, DATA, QUIT, each reply bounded by the connect
//     timeout. STARTTLS and AUTH PLAIN are gokeepalived extensions, used only
//     when configured.
//
// It imports only the standard library and golang.org/x/sys.
package notify
