package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tripod-dev/tripod/internal/crashpoint"
	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/stage"
	"github.com/tripod-dev/tripod/internal/state"
	"github.com/tripod-dev/tripod/internal/talos"
)

// runFlags are shared by the commands that act on a cluster.
type runFlags struct {
	file     string
	stateDir string
	// state is an s3:// URL to keep the state in (else inventory state:).
	state    string
	output   string
	verbose  bool
	sim      bool
	simFlags simFlags
	// encryptTo are age recipients to encrypt the secrets store to.
	encryptTo string
}

func addRunFlags(cmd *cobra.Command, f *runFlags) {
	addInventoryFlag(cmd, &f.file)
	addOutputFlag(cmd, &f.output)
	cmd.Flags().StringVar(&f.stateDir, "state-dir", "", "state directory (default .tripod/<cluster>/ beside the inventory)")
	addStateFlag(cmd, &f.state)
	cmd.Flags().BoolVarP(&f.verbose, "verbose", "v", false, "report every step, also those with nothing to do")
	cmd.Flags().BoolVar(&f.sim, "sim", false, "run against an in-process simulator whose world lives in the state directory (sim/) and continues from one command to the next")
	addSimFlags(cmd, &f.simFlags, "sim-")
	cmd.Flags().StringVar(&f.encryptTo, "encrypt-secrets", "", "seal the secrets store, machine configs, kubeconfig and talosconfig to these age recipients (age1..., comma-separated); the identity to read them back comes from "+state.EnvAgeIdentity+" or "+state.EnvAgeIdentityFile)
}

// session is one command's loaded inventory, locked state directory and
// stage environment.
type session struct {
	inv    *inventory.Loaded
	dir    *state.Dir
	env    *stage.Env
	remote *remote
	facts  *run.Facts
	runLog *os.File // runs/<run id>.jsonl: every event of this command
	sink   run.Sink
	logged run.Sink  // the run log's sink, nil without one
	out    io.Writer // human output (stderr when stdout carries JSON)
	flags  *runFlags
	// info names this command on the stream's run-start and run-end.
	info run.RunInfo
	// crash is the process's crash hook (crash tests), for the journal and
	// the runners.
	crash crashpoint.Hook
}

func openSession(ctx context.Context, s Streams, f *runFlags, command string, mustExist bool) (*session, error) {
	if err := checkOutput(f.output); err != nil {
		return nil, err
	}
	if err := simAvailable(f.sim); err != nil {
		return nil, err
	}
	inv, err := loadInventory(f.file)
	if err != nil {
		return nil, reportLoadError(s, err)
	}
	printWarnings(s, inv.Warnings)
	crash := crashpoint.FromContext(ctx)
	dir, err := openState(ctx, inv, f.sim, f.stateDir, f.state, state.Options{Command: command, MustExist: mustExist, EncryptTo: f.encryptTo, SecretFiles: talos.SecretFiles, Crash: crash})
	if err != nil {
		return nil, err
	}
	rem, err := connect(ctx, f.sim, &f.simFlags, dir.Path)
	if err != nil {
		dir.Close()
		return nil, err
	}
	ss := &session{inv: inv, dir: dir, flags: f, out: s.Out, remote: rem, facts: &run.Facts{}, crash: crash}
	warnTightened(s, dir.Tightened)
	if dir.Lock.Recovered != nil {
		fmt.Fprintf(s.Err, "note: recovered the lock of %s (pid %d), which is no longer running\n", dir.Lock.Recovered.Command, dir.Lock.Recovered.PID)
	}
	if dir.Journal.TornTail {
		fmt.Fprintln(s.Err, "note: the journal's last line was cut short by a crash; the call it announced was never sent")
	}
	if f.output == "json" {
		ss.sink, ss.out = run.NewJSONSink(s.Out), s.Err
	} else {
		ss.sink = &textSink{w: s.Out, color: useColor(s.Out), verbose: f.verbose}
	}
	if log, err := openRunLog(dir, command); err == nil {
		ss.runLog, ss.logged = log, run.NewJSONSink(log)
		ss.sink = run.Sinks{ss.sink, ss.logged}
	} else {
		fmt.Fprintf(s.Err, "note: no run log: %v\n", err)
	}
	ss.info = run.RunInfo{Command: strings.TrimPrefix(command, "tripod "), Inventory: f.file, Cluster: inv.Cluster.Name, RunID: dir.RunID}
	ss.env = stage.NewEnv(stage.Deps{Inventory: inv, State: dir, Timing: rem.timing, Dialer: rem.dialer, Scaleway: rem.profile, ScalewaySource: rem.source})
	return ss, nil
}

// setHuman replaces the sink the person reads (up's live view on a
// terminal); the run log still gets every event. Sinks added since
// openSession are dropped, so it is called right after it.
func (ss *session) setHuman(h run.Sink) {
	ss.sink = h
	if ss.logged != nil {
		ss.sink = run.Sinks{h, ss.logged}
	}
}

// warnTightened reports, once, each mode the state directory had open to
// other users: what was exposed until now is the user's to judge.
func warnTightened(s Streams, changes []state.ModeChange) {
	for _, c := range changes {
		fmt.Fprintf(s.Err, "warning: %s\n", c)
	}
}

// openRunLog opens the state directory's log of this command's events.
// Events carry no secrets, so the log is safe to keep and to attach to a
// bug report.
func openRunLog(dir *state.Dir, command string) (*os.File, error) {
	p, err := dir.File(filepath.Join("runs", dir.RunID+"-"+strings.TrimPrefix(command, "tripod ")+".jsonl"))
	if err != nil {
		return nil, err
	}
	return os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
}

// Close closes the route's SSH connections to the hosts, saves an
// in-process simulated world and releases the state directory.
func (ss *session) Close() error {
	if ss.runLog != nil {
		ss.runLog.Close()
	}
	if ss.env != nil {
		_ = ss.env.Close()
	}
	err := ss.remote.close()
	if derr := ss.dir.Close(); err == nil {
		err = derr
	}
	return err
}

// startRun emits run-start. Only up calls it (and endRun) so far: plan,
// status and down print their own JSON document instead of the stream.
func (ss *session) startRun() {
	info := ss.info
	ss.sink.Emit(run.Event{Time: time.Now(), Kind: run.EventRunStart, Run: &info})
}

// endRun emits run-end: the outcome, the exit code err gives the process
// (as Main decides it) and the command's summary.
func (ss *session) endRun(outcome string, summary any, err error) {
	info := ss.info
	info.Outcome, info.ExitCode, info.Summary = outcome, exitCode(err), summary
	e := run.Event{Time: time.Now(), Kind: run.EventRunEnd, Run: &info}
	if err != nil {
		e.Error = err.Error()
	}
	ss.sink.Emit(e)
}

func (ss *session) runner(until string, dryRun bool) *run.Runner {
	return &run.Runner{
		Stages: stage.List(ss.env),
		Until:  until,
		DryRun: dryRun,
		Sink:   ss.sink,
		Pools:  stage.Pools,
		Facts:  ss.facts,
		Crash:  ss.crash,
	}
}

// exitCode is the process's exit code for a command's error, as Main
// returns it.
func exitCode(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	default:
		return 1
	}
}
