//go:build !unix

package simcore

import "net"

// connPair falls back to an unbuffered pipe where socket pairs do not exist.
func connPair() (net.Conn, net.Conn, error) {
	a, b := net.Pipe()
	return a, b, nil
}
