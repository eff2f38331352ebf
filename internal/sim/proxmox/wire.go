package proxmox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// apiError is an error in Proxmox's wire shape: status, the message (whose
// first line becomes the HTTP reason phrase) and, for 400, the per-parameter
// errors map.
type apiError struct {
	status int
	msg    string
	errors map[string]string
}

func (e *apiError) Error() string { return e.msg }

// errf is a handler's `die "...\n"`: HTTP 500 with the message.
func errf(format string, args ...any) *apiError {
	return &apiError{status: http.StatusInternalServerError, msg: fmt.Sprintf(format, args...)}
}

// paramErr is raise_param_exc: HTTP 400 "Parameter verification failed.".
func paramErr(errs map[string]string) *apiError {
	return &apiError{status: http.StatusBadRequest, msg: "Parameter verification failed.", errors: errs}
}

// permErr is raise_perm_exc: HTTP 403 "Permission check failed (why)".
func permErr(why string) *apiError {
	return &apiError{status: http.StatusForbidden, msg: "Permission check failed (" + why + ")"}
}

func unauthorized(reason string) *apiError {
	return &apiError{status: http.StatusUnauthorized, msg: reason}
}

// writeData writes the success envelope {"data": ...} plus any extra
// top-level attributes (GET /nodes/{node}/network adds "changes").
func writeData(w http.ResponseWriter, data any, attrs map[string]any) {
	body := map[string]any{"data": data}
	for k, v := range attrs {
		body[k] = v
	}
	b, err := json.Marshal(body)
	if err != nil {
		writeAPIError(w, nil, errf("failed to encode response: %v", err))
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// writeAPIError writes the error shape of libpve-http-server 5.2+: the
// message as the reason phrase and in "message", "errors" for 400. 401s from
// the authentication layer carry only {"data":null}, as pveproxy sends them.
func writeAPIError(w http.ResponseWriter, r *http.Request, e *apiError) {
	body := map[string]any{"data": nil}
	if e.status != http.StatusUnauthorized || e.msg == "authentication failure" {
		body["message"] = strings.TrimRight(e.msg, "\n") + "\n"
	}
	if e.errors != nil {
		body["errors"] = e.errors
	}
	b, _ := json.Marshal(body)
	reason, _, _ := strings.Cut(e.msg, "\n")
	if pw := writerFrom(r); pw != nil {
		pw.reason = reason
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(e.status)
	_, _ = w.Write(b)
}

// routerError adapts writeAPIError to simcore.ErrorWriter (faults, 501s).
func routerError(w http.ResponseWriter, r *http.Request, status int, message string) {
	writeAPIError(w, r, &apiError{status: status, msg: message})
}

type pwKey struct{}

func writerFrom(r *http.Request) *pveWriter {
	if r == nil {
		return nil
	}
	pw, _ := r.Context().Value(pwKey{}).(*pveWriter)
	return pw
}

// pveWriter sits under simcore.Router so error responses can carry PVE's
// custom reason phrase (net/http only writes the standard one): such a
// response is buffered and written raw on the hijacked connection, which is
// then closed, as pveproxy closes after every status >= 400. It also hands
// the websocket route the real writer for its upgrade.
type pveWriter struct {
	rw       http.ResponseWriter
	reason   string
	raw      bool
	status   int
	buf      bytes.Buffer
	hijacked bool
}

func withWriter(w http.ResponseWriter, r *http.Request) (*pveWriter, *http.Request) {
	pw := &pveWriter{rw: w}
	return pw, r.WithContext(context.WithValue(r.Context(), pwKey{}, pw))
}

func (p *pveWriter) Header() http.Header { return p.rw.Header() }

func (p *pveWriter) WriteHeader(code int) {
	if p.status != 0 {
		return
	}
	p.status = code
	if p.reason != "" && code >= 400 {
		p.raw = true
		return
	}
	p.rw.WriteHeader(code)
}

func (p *pveWriter) Write(b []byte) (int, error) {
	if p.status == 0 {
		p.WriteHeader(http.StatusOK)
	}
	if p.raw {
		return p.buf.Write(b)
	}
	return p.rw.Write(b)
}

// finish writes a buffered raw response on the hijacked connection.
func (p *pveWriter) finish() {
	if !p.raw || p.hijacked {
		return
	}
	conn, brw, err := http.NewResponseController(p.rw).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	h := p.rw.Header().Clone()
	h.Set("Content-Length", strconv.Itoa(p.buf.Len()))
	h.Set("Connection", "close")
	reason := strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, p.reason)
	fmt.Fprintf(brw, "HTTP/1.1 %d %s\r\n", p.status, reason)
	_ = h.Write(brw)
	_, _ = brw.WriteString("\r\n")
	_, _ = brw.Write(p.buf.Bytes())
	_ = brw.Flush()
}

// readParams merges the body (form-encoded unless JSON, as pveproxy's
// extract_params does, whatever the Content-Type says) with the query.
func readParams(r *http.Request) (url.Values, error) {
	vals := url.Values{}
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		if err != nil {
			return nil, err
		}
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") && len(body) > 0 {
			var m map[string]any
			if err := json.Unmarshal(body, &m); err != nil {
				return nil, err
			}
			for k, v := range m {
				vals.Set(k, fmt.Sprint(v))
			}
		} else if vals, err = url.ParseQuery(string(body)); err != nil {
			return nil, err
		}
	}
	for k, v := range r.URL.Query() {
		vals[k] = v
	}
	return vals, nil
}

// b01 renders a boolean the way Perl's JSON encoder does on this API.
func b01(b bool) int {
	if b {
		return 1
	}
	return 0
}
