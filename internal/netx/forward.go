package netx

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
)

// Forward accepts connections on ln until ctx ends, and joins each to a
// connection dial opens (a local port forward, as `ssh -L` keeps one). A
// failed dial closes the accepted connection and is reported to onErr
// (which may be nil); the listener keeps serving. Forward returns when ctx
// ends or ln fails, after closing ln and every joined connection.
func Forward(ctx context.Context, ln net.Listener, dial func(context.Context) (net.Conn, error), onErr func(error)) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	for {
		local, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			remote, err := dial(ctx)
			if err != nil {
				local.Close()
				if onErr != nil && ctx.Err() == nil {
					onErr(err)
				}
				return
			}
			join(ctx, local, remote)
		}()
	}
}

// join copies both ways until both directions end or ctx does, then
// closes both.
func join(ctx context.Context, a, b net.Conn) {
	done := make(chan struct{}, 2)
	cp := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite() // the other side sees EOF and may still answer
		} else {
			dst.Close()
		}
		done <- struct{}{}
	}
	go cp(a, b)
	go cp(b, a)
	ended := 0
	for ended < 2 {
		select {
		case <-done:
			ended++
		case <-ctx.Done():
			a.Close()
			b.Close()
			for ; ended < 2; ended++ {
				<-done
			}
		}
	}
	a.Close()
	b.Close()
}
