package state

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/tripod-dev/tripod/internal/crashpoint"
	"io"
	"os"
	"sync"
	"time"
)

// RecordKind says what a journal record is.
type RecordKind string

// The record kinds.
const (
	// Intent is written, and fsynced, before a non-idempotent call is sent.
	Intent RecordKind = "intent"
	// Done answers an intent with what the call produced (IDs).
	Done RecordKind = "done"
	// Failed answers an intent whose call failed for certain.
	Failed RecordKind = "failed"
)

// Record is one line of the journal.
type Record struct {
	Seq    int64             `json:"seq"`
	Time   time.Time         `json:"time"`
	Run    string            `json:"run"`
	Kind   RecordKind        `json:"kind"`
	Stage  string            `json:"stage"`
	Target string            `json:"target"`
	Action string            `json:"action"`
	Ref    int64             `json:"ref,omitempty"` // the intent a done or failed record answers
	Data   map[string]string `json:"data,omitempty"`
}

// Journal is the append-only record of intents and results. It is what lets
// a run that died between "order sent" and "order recorded" find its order
// again instead of paying twice.
type Journal struct {
	mu      sync.Mutex
	f       *os.File
	path    string
	run     string
	records []Record
	// TornTail is set when the last line was half-written by a crash; it was
	// dropped (an intent is only trusted once its line is complete).
	TornTail bool
	// Crash is told the crash points between an intent and its call and
	// between a call and its record; nil ignores them.
	Crash crashpoint.Hook
	// mirror, when set, stores each record elsewhere before it is written
	// here (a Backend): an error fails the append.
	mirror func(Record, []byte) error
}

// CorruptError reports a journal line that is not a record.
type CorruptError struct {
	Path string
	Line int
	Err  error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("journal %s is corrupted at line %d (%v); move it aside to continue: tripod rediscovers servers and VMs by their ownership tags", e.Path, e.Line, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// OpenJournal reads the journal at path (creating it if absent) and opens it
// for appending records of run.
func OpenJournal(path, run string) (*Journal, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("failed to open journal: %w", err)
	}
	j := &Journal{f: f, path: path, run: run}
	good, err := j.load()
	if err != nil {
		f.Close()
		return nil, err
	}
	if j.TornTail {
		if err := f.Truncate(good); err != nil {
			f.Close()
			return nil, fmt.Errorf("failed to drop the torn last line of journal %s: %w", path, err)
		}
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("failed to open journal %s: %w", path, err)
	}
	return j, nil
}

// load parses every complete line and returns the offset after the last one.
func (j *Journal) load() (int64, error) {
	data, err := io.ReadAll(j.f)
	if err != nil {
		return 0, fmt.Errorf("failed to read journal %s: %w", j.path, err)
	}
	var off int64
	line := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() {
		line++
		b := sc.Bytes()
		complete := off+int64(len(b)) < int64(len(data)) // followed by '\n'
		var r Record
		if err := json.Unmarshal(b, &r); err != nil || r.Kind == "" || r.Seq <= 0 {
			if !complete {
				j.TornTail = true // a crash mid-write: the call it announced was never sent
				return off, nil
			}
			if err == nil {
				err = errors.New("not a journal record")
			}
			return 0, &CorruptError{Path: j.path, Line: line, Err: err}
		}
		if !complete {
			j.TornTail = true
			return off, nil
		}
		j.records = append(j.records, r)
		off += int64(len(b)) + 1
	}
	if err := sc.Err(); err != nil {
		return 0, &CorruptError{Path: j.path, Line: line + 1, Err: err}
	}
	return off, nil
}

// Close closes the journal file.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	return err
}

func (j *Journal) append(r Record) (Record, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return Record{}, errors.New("journal is closed")
	}
	r.Seq = int64(len(j.records)) + 1
	if n := len(j.records); n > 0 {
		r.Seq = j.records[n-1].Seq + 1
	}
	r.Time = time.Now().UTC()
	r.Run = j.run
	b, err := json.Marshal(r)
	if err != nil {
		return Record{}, err
	}
	if j.mirror != nil {
		if err := j.mirror(r, b); err != nil {
			return Record{}, fmt.Errorf("failed to store journal record %d: %w", r.Seq, err)
		}
	}
	if _, err := j.f.Write(append(b, '\n')); err != nil {
		return Record{}, fmt.Errorf("failed to write journal %s: %w", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return Record{}, fmt.Errorf("failed to sync journal %s: %w", j.path, err)
	}
	j.records = append(j.records, r)
	return r, nil
}

// Intent durably records that action is about to be sent for target.
func (j *Journal) Intent(stage, target, action string, data map[string]string) (Record, error) {
	r, err := j.append(Record{Kind: Intent, Stage: stage, Target: target, Action: action, Data: data})
	j.Crash.Hit("after-intent " + action)
	return r, err
}

// Complete records what the intent's call produced.
func (j *Journal) Complete(intent Record, data map[string]string) error {
	j.Crash.Hit("before-record " + intent.Action)
	_, err := j.append(Record{Kind: Done, Stage: intent.Stage, Target: intent.Target, Action: intent.Action, Ref: intent.Seq, Data: data})
	return err
}

// Fail records that the intent's call certainly did not take effect.
func (j *Journal) Fail(intent Record, reason string) error {
	_, err := j.append(Record{Kind: Failed, Stage: intent.Stage, Target: intent.Target, Action: intent.Action, Ref: intent.Seq, Data: map[string]string{"error": reason}})
	return err
}

// Records returns a copy of every record.
func (j *Journal) Records() []Record {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]Record(nil), j.records...)
}

// Unresolved returns the intents for (stage, target, action) that no done or
// failed record answers: calls that may or may not have happened.
func (j *Journal) Unresolved(stage, target, action string) []Record {
	j.mu.Lock()
	defer j.mu.Unlock()
	answered := map[int64]bool{}
	for _, r := range j.records {
		if r.Kind != Intent {
			answered[r.Ref] = true
		}
	}
	var out []Record
	for _, r := range j.records {
		if r.Kind == Intent && !answered[r.Seq] && r.Stage == stage && r.Target == target && r.Action == action {
			out = append(out, r)
		}
	}
	return out
}

// LastDone returns the latest done record for (stage, target, action).
func (j *Journal) LastDone(stage, target, action string) (Record, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for i := len(j.records) - 1; i >= 0; i-- {
		r := j.records[i]
		if r.Kind == Done && r.Stage == stage && r.Target == target && r.Action == action {
			return r, true
		}
	}
	return Record{}, false
}
