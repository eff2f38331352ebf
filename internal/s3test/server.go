// Package s3test runs a real S3 server on 127.0.0.1 for tests: gofakes3
// (an S3 implementation in Go, served by the module proxy) over its
// in-memory backend, which honours conditional writes (If-None-Match: *
// and If-Match answer 412 atomically under the backend's lock). Two things
// gofakes3 lacks are added in front of it, in this package: authentication
// (gofakes3 verifies no signature; sigv4.go checks the access key and the
// Signature Version 4 of each request against the one key pair, answering
// 403 InvalidAccessKeyId or SignatureDoesNotMatch as S3 does) and fault
// injection (answer 500 or 503 to the next N requests).
package s3test

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// The credentials the server accepts.
const (
	AccessKey = "TRIPODTESTACCESSKEY"
	SecretKey = "tripod-test-secret-key"
	Region    = "fr-par"
)

// Server is a running S3 server.
type Server struct {
	// URL is the endpoint, http://127.0.0.1:PORT.
	URL  string
	srv  *httptest.Server
	mu   sync.Mutex
	fail []int // statuses to answer the next requests with, in order
	// Requests counts every request received, Failed those answered by an
	// injected fault.
	Requests, Failed atomic.Int64
	puts             sync.Map // method+" "+path -> count, for tests
}

// Start serves a fresh S3 server with bucket created, on 127.0.0.1.
func Start(bucket string) (*Server, error) {
	backend := s3mem.New()
	if err := backend.CreateBucket(bucket); err != nil {
		return nil, fmt.Errorf("failed to create bucket %s: %w", bucket, err)
	}
	faker := gofakes3.New(backend)
	s := &Server{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("failed to listen on 127.0.0.1: %w", err)
	}
	s.srv = &httptest.Server{Listener: ln, Config: &http.Server{Handler: s.wrap(faker.Server())}}
	s.srv.Start()
	s.URL = s.srv.URL
	return s, nil
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// FailNext answers the next n requests with status (500 or 503), as an
// overloaded bucket does.
func (s *Server) FailNext(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; i < n; i++ {
		s.fail = append(s.fail, status)
	}
}

// Count returns how many requests with method reached path (after faults).
func (s *Server) Count(method, path string) int64 {
	v, ok := s.puts.Load(method + " " + path)
	if !ok {
		return 0
	}
	return v.(*atomic.Int64).Load()
}

func (s *Server) takeFault() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.fail) == 0 {
		return 0
	}
	st := s.fail[0]
	s.fail = s.fail[1:]
	return st
}

func (s *Server) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Requests.Add(1)
		if st := s.takeFault(); st != 0 {
			s.Failed.Add(1)
			code := "InternalError"
			if st == http.StatusServiceUnavailable {
				code = "SlowDown"
			}
			writeError(w, st, code, "injected fault")
			return
		}
		if code := verifySigV4(r); code != "" {
			writeError(w, http.StatusForbidden, code, "The request's credentials were refused.")
			return
		}
		v, _ := s.puts.LoadOrStore(r.Method+" "+r.URL.Path, new(atomic.Int64))
		v.(*atomic.Int64).Add(1)
		h.ServeHTTP(w, r)
	})
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>tripod-s3test</RequestId></Error>`, code, msg)
}
