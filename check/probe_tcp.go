package check

import (
	"context"
	"errors"
	"fmt"

	"github.com/gokeepalived/gokeepalived/parser"
)

// tcpProbe is TCP_CHECK: the attempt passes when the connection is
// established; the socket is closed at once, nothing is sent or read.
type tcpProbe struct {
	id probeIdentity
	co connOpts
}

func newTCPProbe(c *parser.Checker, id probeIdentity, env *ProbeEnv) (*tcpProbe, error) {
	co, err := newConnOpts(c)
	if err != nil {
		return nil, err
	}
	return &tcpProbe{id: id, co: co}, nil
}

func (p *tcpProbe) Check(ctx context.Context) Outcome { return settle(ctx, p.check(ctx)) }

func (p *tcpProbe) check(ctx context.Context) Outcome {
	conn, kind, err := p.co.dialTCP(ctx)
	if kind == dialOK {
		conn.Close()
	}
	return p.outcome(kind, err)
}

func (p *tcpProbe) connectOpts() *connOpts { return &p.co }

// outcome is keepalived's tcp_check_thread verdict on a connect's result.
func (p *tcpProbe) outcome(kind dialKind, err error) Outcome {
	switch kind {
	case dialOK:
		return Outcome{OK: true}
	case dialTimeout:
		return failed(&ProbeError{Reason: "timeout", Line: fmt.Sprintf("TCP connection to %s timeout.", p.id.rs), Err: err})
	case dialLocal:
		if errors.Is(err, errCancelled) {
			return cancelled(err)
		}
		if dialSyscall(err) == "socket" {
			return failed(localError("TCP connect fail to create socket. Rescheduling.", err))
		}
		return failed(localError("TCP socket bind failed. Rescheduling.", err))
	}
	return failed(&ProbeError{Reason: "failed", Line: fmt.Sprintf("TCP connection to %s failed.", p.id.rs), Err: err})
}
