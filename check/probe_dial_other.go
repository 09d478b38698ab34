//go:build !linux

package check

import (
	"context"
	"net"
)

// dialTCP connects to the destination within connect_timeout (bounded by
// ctx too) and says which of keepalived's outcomes it met.
func (o *connOpts) dialTCP(ctx context.Context) (net.Conn, dialKind, error) {
	conn, err := o.dialer("tcp").DialContext(ctx, o.network("tcp"), o.dest.String())
	if err != nil {
		return nil, classifyDial(ctx, err), err
	}
	return conn, dialOK, nil
}
