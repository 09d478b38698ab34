// Package notify will run notify scripts, write notify FIFOs and send SMTP
// alerts. Not built yet (see README).
package notify
