package netx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"syscall"
	"testing"
)

func TestSimulatedDialerMapsAndRefuses(t *testing.T) {
	target, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	go func() {
		for {
			c, err := target.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("hi"))
			c.Close()
		}
	}()
	admin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"entries":[{"address":"10.20.0.50:50000","loopback":%q},{"address":"k8s.lab.internal:6443","loopback":%q}]}`, target.Addr(), target.Addr())
	}))
	defer admin.Close()
	d, err := Simulated(admin.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{"10.20.0.50:50000", "k8s.lab.internal:6443"} {
		c, err := d.DialContext(context.Background(), "tcp", addr)
		if err != nil {
			t.Fatalf("%s: %v", addr, err)
		}
		buf := make([]byte, 2)
		c.Read(buf)
		c.Close()
		if string(buf) != "hi" {
			t.Fatalf("%s reached the wrong listener", addr)
		}
	}
	_, err = d.DialContext(context.Background(), "tcp", "10.20.0.99:50000")
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("unserved simulated address: %v", err)
	}
	var re *RefusedError
	for _, addr := range []string{"8.8.8.8:53", "51.15.0.1:8006", "api.scaleway.com:443"} {
		if _, err := d.DialContext(context.Background(), "tcp", addr); !errors.As(err, &re) {
			t.Fatalf("%s was not refused: %v", addr, err)
		}
	}
}

// TestSimulatedFollowsARestartedService: a service that comes back on a new
// loopback port is found again on the next dial.
func TestSimulatedFollowsARestartedService(t *testing.T) {
	first, _ := net.Listen("tcp", "127.0.0.1:0")
	firstAddr := first.Addr().String()
	first.Close() // the node restarted: nothing listens there any more
	second, _ := net.Listen("tcp", "127.0.0.1:0")
	defer second.Close()
	go func() {
		if c, err := second.Accept(); err == nil {
			c.Close()
		}
	}()
	var served atomic.Int32
	admin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target := firstAddr
		if served.Add(1) > 1 {
			target = second.Addr().String()
		}
		fmt.Fprintf(w, `{"entries":[{"address":"10.20.0.50:50000","loopback":%q}]}`, target)
	}))
	defer admin.Close()
	d, err := Simulated(admin.URL)
	if err != nil {
		t.Fatal(err)
	}
	c, err := d.DialContext(context.Background(), "tcp", "10.20.0.50:50000")
	if err != nil {
		t.Fatalf("restarted service not followed: %v", err)
	}
	c.Close()
}

func TestSimulatedRefusesNonLoopbackAdmin(t *testing.T) {
	if _, err := Simulated("http://10.0.0.1:8080"); err == nil {
		t.Fatal("a non-loopback admin URL was accepted")
	}
}

func TestSimulatedRefusesNonLoopbackMap(t *testing.T) {
	admin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"entries":[{"address":"10.20.0.50:50000","loopback":"192.0.2.1:5000"}]}`)
	}))
	defer admin.Close()
	if _, err := Simulated(admin.URL); err == nil {
		t.Fatal("a map pointing off loopback was accepted")
	}
}

// TestLoopbackRefusesTheInternet: the dialer of a simulated run's remote
// state reaches a local S3 server and nothing else, whatever the endpoint
// says (a state URL naming s3.fr-par.scw.cloud must not leave the machine).
func TestLoopbackRefusesTheInternet(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	d := Loopback()
	c, err := d.DialContext(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("loopback: %v", err)
	}
	c.Close()
	for _, addr := range []string{"s3.fr-par.scw.cloud:443", "51.159.0.1:443", "10.0.0.1:9000"} {
		_, err := d.DialContext(context.Background(), "tcp", addr)
		var refused *RefusedError
		if !errors.As(err, &refused) {
			t.Errorf("%s: %v, want a refusal", addr, err)
		}
	}
	if tr := d.HTTPClient(nil, 0).Transport.(*http.Transport); tr.Proxy != nil {
		t.Error("a loopback-only client would follow HTTPS_PROXY off the machine")
	}
}
