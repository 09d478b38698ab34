package vrrp

import (
	"context"
	"log/slog"
	"sync"

	"github.com/gokeepalived/gokeepalived/parser"
)

// Notification is one state change to report through scripts, FIFOs and
// mail: an instance (or a sync group when Group is set) entering State.
type Notification struct {
	Instance string
	Group    string
	State    State
	// Type is keepalived's word: MASTER, BACKUP, FAULT, STOP,
	// MASTER_RX_LOWER_PRI, MASTER_PRIORITY or BACKUP_PRIORITY.
	Type     string
	Priority int
	// FIFOOnly asks for the FIFO line alone, no script or mail
	// (fifo_write_vrrp_states_on_reload).
	FIFOOnly bool
}

// Notifier delivers notifications. The Node calls it from a goroutine of
// its own, one notification at a time and in order, so a slow notifier
// never delays an advert or a timer. The notify package provides the real
// one (scripts, FIFOs, SMTP).
type Notifier interface {
	Notify(ctx context.Context, n Notification)
}

// LogNotifier only logs each notification; it stands in until the notify
// package is wired to the VRRP engine.
type LogNotifier struct {
	Logger *slog.Logger
}

// Notify implements Notifier.
func (l LogNotifier) Notify(_ context.Context, n Notification) {
	if n.FIFOOnly {
		return // there is no FIFO here
	}
	log := l.Logger
	if log == nil {
		log = slog.Default()
	}
	who := "(" + n.Instance + ")"
	if n.Group != "" {
		who = "VRRP_Group(" + n.Group + ")"
	}
	log.Info(who+" notify "+n.Type, "priority", n.Priority)
}

// notifyQueue hands notifications to a Notifier from one goroutine, with an
// unbounded queue so that the instance goroutine never waits for it.
type notifyQueue struct {
	n    Notifier
	mu   sync.Mutex
	q    []queuedNotification
	wake chan struct{}
	done chan struct{}
}

// queuedNotification is a notification, or (cfg set) a new configuration
// for a ConfigReloader notifier, in order.
type queuedNotification struct {
	n   Notification
	cfg *parser.Config
}

func newNotifyQueue(n Notifier) *notifyQueue {
	return &notifyQueue{n: n, wake: make(chan struct{}, 1), done: make(chan struct{})}
}

func (q *notifyQueue) push(n Notification) {
	q.mu.Lock()
	q.q = append(q.q, queuedNotification{n: n})
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// run delivers until stop is closed and the queue is empty.
func (q *notifyQueue) run(ctx context.Context, stop <-chan struct{}) {
	defer close(q.done)
	for {
		q.mu.Lock()
		batch := q.q
		q.q = nil
		q.mu.Unlock()
		for _, e := range batch {
			if e.cfg != nil {
				if r, ok := q.n.(ConfigReloader); ok {
					r.ReloadConfig(e.cfg)
				}
				continue
			}
			q.n.Notify(ctx, e.n)
		}
		if len(batch) > 0 {
			continue
		}
		select {
		case <-q.wake:
		case <-stop:
			q.mu.Lock()
			empty := len(q.q) == 0
			q.mu.Unlock()
			if empty {
				return
			}
		}
	}
}

// pushConfig queues a new configuration for the notifier, after the
// notifications already queued.
func (q *notifyQueue) pushConfig(cfg *parser.Config) {
	q.mu.Lock()
	q.q = append(q.q, queuedNotification{cfg: cfg})
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}
