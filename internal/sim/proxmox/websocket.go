package proxmox

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// The websocket side of pveproxy's vncwebsocket, by hand (RFC 6455): binary
// frames out, masked frames in, no fragmentation, 128 KiB payloads at most,
// pings answered, a close frame ends the session.

const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

func wsAccept(key string) string {
	sum := sha1.Sum([]byte(key + wsGUID))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// wsProtocol picks the subprotocol as pveproxy does: binary over base64.
func wsProtocol(header string) string {
	proto := ""
	for _, p := range strings.Split(header, ",") {
		switch strings.TrimSpace(p) {
		case "binary":
			proto = "binary"
		case "base64":
			if proto == "" {
				proto = "base64"
			}
		}
	}
	return proto
}

const (
	wsText   = 1
	wsBinary = 2
	wsClose  = 8
	wsPing   = 9
	wsPong   = 10
	wsMaxLen = 128 << 10
)

// wsRead reads one client frame.
func wsRead(r *bufio.Reader) (opcode byte, payload []byte, err error) {
	var hdr [2]byte
	if _, err = io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	if hdr[0]&0x80 == 0 {
		return 0, nil, errors.New("received fragmented websocket frame")
	}
	if hdr[0]&0x70 != 0 {
		return 0, nil, errors.New("received websocket frame with RSV flags")
	}
	if hdr[1]&0x80 == 0 {
		return 0, nil, errors.New("received unmasked websocket frame from client")
	}
	n := uint64(hdr[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err = io.ReadFull(r, b[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err = io.ReadFull(r, b[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	if n > wsMaxLen {
		return 0, nil, fmt.Errorf("received too large websocket frame (len = %d)", n)
	}
	var mask [4]byte
	if _, err = io.ReadFull(r, mask[:]); err != nil {
		return 0, nil, err
	}
	payload = make([]byte, n)
	if _, err = io.ReadFull(r, payload); err != nil {
		return 0, nil, err
	}
	for i := range payload {
		payload[i] ^= mask[i%4]
	}
	return hdr[0] & 0x0f, payload, nil
}

// wsWrite writes one unmasked server frame.
func wsWrite(w io.Writer, opcode byte, payload []byte) error {
	hdr := []byte{0x80 | opcode}
	switch n := len(payload); {
	case n <= 125:
		hdr = append(hdr, byte(n))
	case n <= 0xffff:
		hdr = append(hdr, 126, byte(n>>8), byte(n))
	default:
		hdr = append(hdr, 127)
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(n))
	}
	if _, err := w.Write(append(hdr, payload...)); err != nil {
		return err
	}
	if f, ok := w.(interface{ Flush() error }); ok {
		return f.Flush()
	}
	return nil
}
