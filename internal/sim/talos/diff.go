package talos

import (
	"fmt"
	"strings"

	"github.com/siderolabs/talos/pkg/machinery/config/config"
	"github.com/siderolabs/talos/pkg/machinery/config/encoder"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// diffConfigs renders the change between two configs as a unified diff of
// their comment-free YAML, as configdiff.DiffConfigs does. The machinery's
// own diff needs a module this repository does not carry, and the texts
// are small enough for a plain LCS.
func diffConfigs(oldCfg, newCfg config.Encoder) (string, error) {
	var a, b []byte
	var err error
	if oldCfg != nil {
		if a, err = oldCfg.EncodeBytes(encoder.WithComments(encoder.CommentsDisabled)); err != nil {
			return "", err
		}
	}
	if newCfg != nil {
		if b, err = newCfg.EncodeBytes(encoder.WithComments(encoder.CommentsDisabled)); err != nil {
			return "", err
		}
	}
	return unifiedDiff(string(a), string(b)), nil
}

// unifiedDiff is a line diff with three lines of context per hunk.
func unifiedDiff(a, b string) string {
	if a == b {
		return ""
	}
	ops := simcore.LineOps(splitLines(a), splitLines(b), false)
	var out strings.Builder
	out.WriteString("--- a\n+++ b\n")
	const context = 3
	for i := 0; i < len(ops); {
		if ops[i].Kind == ' ' {
			i++
			continue
		}
		start := max(i-context, 0)
		end := i
		for end < len(ops) {
			if ops[end].Kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].Kind == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*context {
				end = min(end+context, len(ops))
				break
			}
			end = run
		}
		writeHunk(&out, ops, start, end)
		i = end
	}
	return out.String()
}

func writeHunk(out *strings.Builder, ops []simcore.LineOp, start, end int) {
	aStart, bStart := 1, 1
	for _, op := range ops[:start] {
		if op.Kind != '+' {
			aStart++
		}
		if op.Kind != '-' {
			bStart++
		}
	}
	aLen, bLen := 0, 0
	for _, op := range ops[start:end] {
		if op.Kind != '+' {
			aLen++
		}
		if op.Kind != '-' {
			bLen++
		}
	}
	fmt.Fprintf(out, "@@ -%d,%d +%d,%d @@\n", aStart, aLen, bStart, bLen)
	for _, op := range ops[start:end] {
		fmt.Fprintf(out, "%c%s\n", op.Kind, op.Text)
	}
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}
