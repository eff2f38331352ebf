package proxmox

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// word is one word of a simple command after quote removal and expansion.
// quoteAt is where the first quoted part began in text (-1: none), so an
// operator or an assignment is recognised only where bash would see it.
type word struct {
	text    string
	quoted  bool
	quoteAt int
}

// tokenize splits a simple command into words: quotes removed, backslash
// escapes outside single quotes, and $?, $NAME and ${NAME} expanded outside
// single quotes. An unquoted word that expands to nothing disappears.
func (sh *shell) tokenize(cmd string) []word {
	var words []word
	var cur strings.Builder
	w := word{quoteAt: -1}
	inWord := false
	quote := rune(0)
	runes := []rune(cmd)
	flush := func() {
		if inWord && (cur.Len() > 0 || w.quoted) {
			w.text = cur.String()
			words = append(words, w)
		}
		cur.Reset()
		w, inWord = word{quoteAt: -1}, false
	}
	for i := 0; i < len(runes); i++ {
		r := runes[i]
		switch {
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\\' && i+1 < len(runes) && (quote == 0 || strings.ContainsRune(`"\$`, runes[i+1])):
			i++
			cur.WriteRune(runes[i])
			inWord = true
		case r == '$' && i+1 < len(runes):
			val, n := sh.expand(runes[i+1:])
			if n == 0 {
				cur.WriteRune(r)
			}
			cur.WriteString(val)
			i += n
			inWord = true
		case quote == '"':
			if r == '"' {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			if w.quoteAt < 0 {
				w.quoteAt = cur.Len()
			}
			quote, inWord, w.quoted = r, true, true
		case r == ' ' || r == '\t':
			flush()
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	flush()
	return words
}

// expand reads a parameter after '$': its value and how many runes it took
// (0: not a parameter, the '$' is literal).
func (sh *shell) expand(rest []rune) (string, int) {
	if rest[0] == '?' {
		return strconv.Itoa(sh.last), 1
	}
	if rest[0] == '{' {
		for j := 1; j < len(rest); j++ {
			if rest[j] == '}' {
				return sh.vars[string(rest[1:j])], j + 1
			}
		}
		return "", 0
	}
	j := 0
	for j < len(rest) && (rest[j] == '_' || rest[j] >= 'A' && rest[j] <= 'Z' || rest[j] >= 'a' && rest[j] <= 'z' || j > 0 && rest[j] >= '0' && rest[j] <= '9') {
		j++
	}
	if j == 0 {
		return "", 0
	}
	return sh.vars[string(rest[:j])], j
}

var assignRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

// assignments takes the leading NAME=value words: the command's environment.
func assignments(words []word) (map[string]string, []word) {
	env := map[string]string{}
	for len(words) > 0 {
		m := assignRE.FindString(words[0].text)
		if m == "" || (words[0].quoteAt >= 0 && words[0].quoteAt < len(m)) {
			break
		}
		env[m[:len(m)-1]] = words[0].text[len(m):]
		words = words[1:]
	}
	return env, words
}

// redir is one redirection: fd 1 or 2 (0: both, as &>), to "/dev/null", a
// path, or a duplicate ("&1", "&2").
type redir struct {
	fd     int
	target string
	append bool
}

type redirs struct {
	list       []redir
	stdoutFile string // the file stdout ends in, "" if none
}

var redirRE = regexp.MustCompile(`^(&|[0-9]?)(>>?|<)(.*)$`)

// redirections takes the redirections out of the words.
func redirections(words []word) (redirs, []string, error) {
	var rs redirs
	var args []string
	for i := 0; i < len(words); i++ {
		w := words[i]
		m := redirRE.FindStringSubmatch(w.text)
		if m == nil || (w.quoteAt >= 0 && w.quoteAt < len(m[1])+len(m[2])) {
			args = append(args, w.text)
			continue
		}
		target := m[3]
		if target == "" {
			if i+1 >= len(words) {
				return rs, nil, errors.New("syntax error near unexpected token `newline'")
			}
			i++
			target = words[i].text
		}
		if m[2] == "<" {
			continue // input is never read by the modelled commands
		}
		fd := 1
		switch m[1] {
		case "&":
			fd = 0
		case "2":
			fd = 2
		case "", "1":
		default:
			return rs, nil, fmt.Errorf("the simulator does not model redirecting fd %s", m[1])
		}
		r := redir{fd: fd, target: target, append: m[2] == ">>"}
		if strings.HasPrefix(target, "&") && target != "&1" && target != "&2" {
			return rs, nil, fmt.Errorf("%s: bad file descriptor", target)
		}
		rs.list = append(rs.list, r)
		if (fd == 1 || fd == 0) && target != "/dev/null" && !strings.HasPrefix(target, "&") {
			rs.stdoutFile = target
		} else if fd == 1 || fd == 0 {
			rs.stdoutFile = ""
		}
	}
	return rs, args, nil
}

// redirect applies the redirections in order, as bash does: a file is
// created (or truncated) before the command runs and gets what the command
// wrote once it is done (finish).
func (sh *shell) redirect(rs redirs, out, errw io.Writer) (io.Writer, io.Writer, func(int) int, int) {
	type pending struct {
		path string
		buf  *bytes.Buffer
	}
	var files []pending
	for _, r := range rs.list {
		var w io.Writer
		switch {
		case r.target == "/dev/null":
			w = io.Discard
		case r.target == "&1":
			w = out
		case r.target == "&2":
			w = errw
		default:
			p := hostPath(r.target)
			if status := sh.openFile(p, r.append, errw); status != 0 {
				return out, errw, nil, status
			}
			buf := &bytes.Buffer{}
			files = append(files, pending{p, buf})
			w = buf
		}
		if r.fd == 0 || r.fd == 1 {
			out = w
		}
		if r.fd == 0 || r.fd == 2 {
			errw = w
		}
	}
	finish := func(status int) int {
		for _, f := range files {
			sh.writeFile(f.path, f.buf.String())
		}
		return status
	}
	return out, errw, finish, 0
}

// binaryPath recognises a modelled command called by its full path
// (/usr/sbin/iptables).
func binaryPath(p string) (string, bool) {
	dir, base := path.Split(p)
	switch strings.TrimSuffix(dir, "/") {
	case "/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin":
		return base, hostCommands[base] != nil
	}
	return "", false
}
