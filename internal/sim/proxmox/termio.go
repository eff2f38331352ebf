package proxmox

import (
	"bytes"
	"context"
	"strconv"
	"strings"
)

// terminal is the login shell behind termproxy: it decodes termproxy's
// input framing, plays the pty's part (echo, line editing, \r\n) and runs
// each line through the shared interpreter.
type terminal struct {
	sh      *shell
	send    func([]byte) error
	pending []byte // undecoded framing bytes
	remain  int    // data bytes still to come for the current "0:" message
	line    []byte
	esc     bool
}

func (t *terminal) prompt() string { return "root@" + t.sh.host + ":~# " }

func (t *terminal) banner(host string) {
	msg := "Linux " + host + " 6.8.12-9-pve #1 SMP PREEMPT_DYNAMIC PMX 6.8.12-9 (2025-03-16T19:18Z) x86_64\r\n\r\n" +
		"The programs included with the Debian GNU/Linux system are free software;\r\n" +
		"the exact distribution terms for each program are described in the\r\n" +
		"individual files in /usr/share/doc/*/copyright.\r\n\r\n" +
		"Debian GNU/Linux comes with ABSOLUTELY NO WARRANTY, to the extent\r\npermitted by applicable law.\r\n"
	_ = t.send([]byte(msg + t.prompt()))
}

// feed decodes framing like termproxy's process_queue; it returns false
// once the session is over.
func (t *terminal) feed(data []byte) bool {
	t.pending = append(t.pending, data...)
	for len(t.pending) > 0 {
		if t.remain > 0 {
			n := min(t.remain, len(t.pending))
			chunk := t.pending[:n]
			t.pending, t.remain = t.pending[n:], t.remain-n
			if !t.input(chunk) {
				return false
			}
			continue
		}
		switch t.pending[0] {
		case '0', '1':
			fields := bytes.SplitN(t.pending, []byte(":"), 4)
			if t.pending[0] == '0' && len(fields) >= 3 {
				n, _ := strconv.Atoi(string(fields[1]))
				t.pending = t.pending[len(fields[0])+len(fields[1])+2:]
				t.remain = n
				continue
			}
			if t.pending[0] == '1' && len(fields) >= 4 {
				t.pending = t.pending[len(fields[0])+len(fields[1])+len(fields[2])+3:]
				continue
			}
			return true // incomplete message: wait for more
		default:
			t.pending = t.pending[1:] // "2" (ping) and anything else
		}
	}
	return true
}

// input handles keystrokes as a cooked pty with a line editor would.
func (t *terminal) input(b []byte) bool {
	var echo []byte
	for _, ch := range b {
		switch {
		case t.esc:
			if (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '~' {
				t.esc = false
			}
		case ch == 0x1b:
			t.esc = true
		case ch == '\r' || ch == '\n':
			if len(echo) > 0 {
				_ = t.send(echo)
				echo = nil
			}
			if !t.execute() {
				return false
			}
		case ch == 0x7f || ch == 0x08:
			if len(t.line) > 0 {
				t.line = t.line[:len(t.line)-1]
				echo = append(echo, "\b \b"...)
			}
		case ch == 0x03:
			t.line = nil
			echo = append(echo, "^C\r\n"+t.prompt()...)
		case ch == 0x04 && len(t.line) == 0:
			_ = t.send(append(echo, "logout\r\n"...))
			return false
		case ch >= 0x20:
			t.line = append(t.line, ch)
			echo = append(echo, ch)
		}
	}
	if len(echo) > 0 {
		return t.send(echo) == nil
	}
	return true
}

// execute runs the edited line and shows its output and a new prompt.
func (t *terminal) execute() bool {
	line := strings.TrimSpace(string(t.line))
	t.line = nil
	if line == "exit" || line == "logout" {
		_ = t.send([]byte("\r\nlogout\r\n"))
		return false
	}
	var out strings.Builder
	if line != "" {
		t.sh.run(context.Background(), line, &out, &out)
	}
	text := strings.ReplaceAll(out.String(), "\n", "\r\n")
	return t.send([]byte("\r\n"+text+t.prompt())) == nil
}
