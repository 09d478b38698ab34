package notify

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"
)

// BenchmarkQueueSubmit is the cost a VRRP or checker event pays to hand a
// script to the queue (the run itself is in the background).
func BenchmarkQueueSubmit(b *testing.B) {
	block := make(chan struct{})
	r := RunnerFunc(func(ctx context.Context, c Command) Result { <-block; return Result{} })
	q := NewQueue(context.Background(), QueueOptions{Runner: r, Logger: slog.New(slog.DiscardHandler), Limit: b.N + 1})
	c := Command{Argv: []string{"/bin/true"}}
	b.ResetTimer()
	for range b.N {
		q.Submit("VI_1", c)
	}
	b.StopTimer()
	close(block)
	q.Close(context.Background())
}

// BenchmarkMailerSendBlackhole is what Send costs its caller while the mail
// server never answers.
func BenchmarkMailerSendBlackhole(b *testing.B) {
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, s := net.Pipe()
		go func() {
			buf := make([]byte, 512)
			for {
				if _, err := s.Read(buf); err != nil {
					return
				}
			}
		}()
		return c, nil
	}
	cfg := MailConfig{Server: "192.0.2.1", To: []string{"a@x"}, ConnectTimeout: time.Hour}
	m := NewMailer(context.Background(), cfg, MailerOptions{Logger: slog.New(slog.DiscardHandler), Dial: dial, MaxInFlight: b.N + 1})
	mail, _ := VRRPInstanceMail("r", "VI_1", Master)
	b.ResetTimer()
	for range b.N {
		m.Send(mail)
	}
	b.StopTimer()
	m.Close(context.Background())
}
