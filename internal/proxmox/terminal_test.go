package proxmox

import (
	"io"
	"testing"
)

// chunks replays terminal output as the server cut it into messages.
type chunks []string

func (c *chunks) recv() ([]byte, error) {
	if len(*c) == 0 {
		return nil, io.EOF
	}
	m := (*c)[0]
	*c = (*c)[1:]
	return []byte(m), nil
}

// The terminal's output is found between the markers' own lines, whatever
// the shell echoes, escapes or however the server cuts it into messages.
func TestReadMarkedOutput(t *testing.T) {
	in := chunks{
		"\x1b[?2004hroot@h:~# echo __m_begin; ceph -s; echo __m_end=$?\r\n",
		"__m_begin\r\n\x1b[1mhealth\x1b[0m: HEALTH_OK\r\nli",
		"ne two\r\n__m_end=3\r\nroot@h:~# ",
	}
	out, exit, err := readMarked(&in, "__m")
	if err != nil || exit != 3 || out != "health: HEALTH_OK\nline two\n" {
		t.Fatalf("readMarked = %q exit %d, %v", out, exit, err)
	}
}

// A session that ends before the end marker is an error, with what came.
func TestReadMarkedCutShort(t *testing.T) {
	in := chunks{"__m_begin\r\npartial\r\n"}
	out, exit, err := readMarked(&in, "__m")
	if err == nil || exit != -1 || out != "partial\n" {
		t.Fatalf("readMarked = %q exit %d, %v; want the partial output and an error", out, exit, err)
	}
}
