package netx

import (
	"bufio"
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

// A forward joins each accepted connection to a dialed one, both ways, and
// keeps serving after a dial fails.
func TestForwardJoinsConnectionsAndSurvivesAFailedDial(t *testing.T) {
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		for {
			c, err := echo.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				line, _ := bufio.NewReader(c).ReadString('\n')
				c.Write([]byte("echo " + line))
			}()
		}
	}()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	fail := make(chan bool, 1)
	fail <- true
	errs := make(chan error, 4)
	served := make(chan error, 1)
	go func() {
		served <- Forward(ctx, ln, func(ctx context.Context) (net.Conn, error) {
			select {
			case <-fail:
				return nil, errors.New("no route")
			default:
			}
			var d net.Dialer
			return d.DialContext(ctx, "tcp", echo.Addr().String())
		}, func(err error) { errs <- err })
	}()

	first, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	first.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := bufio.NewReader(first).ReadString('\n'); err == nil {
		t.Fatal("a connection whose dial failed was not closed")
	}
	if err := <-errs; err == nil || err.Error() != "no route" {
		t.Fatalf("dial error reported: %v", err)
	}
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	c.Write([]byte("hello\n"))
	got, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || got != "echo hello\n" {
		t.Fatalf("through the forward: %q, %v", got, err)
	}
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Forward returned %v after its context ended", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Forward did not return after its context ended")
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Fatal("the listener still accepts after the forward ended")
	}
}
