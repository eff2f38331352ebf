package cli

import (
	"strings"
	"testing"

	"github.com/tripod-dev/tripod/internal/stage"
)

// Completion offers the stage names for --until and the formats for
// --output, through cobra's own completion protocol (what the shell scripts
// call).
func TestCompletionOffersStagesAndFormats(t *testing.T) {
	code, out, errs := runCLI(t, "__complete", "up", "--until", "")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, s := range stage.Names() {
		if !strings.Contains(out, s+"\n") {
			t.Errorf("--until completion lacks %q:\n%s", s, out)
		}
	}
	if _, out, _ := runCLI(t, "__complete", "status", "--output", ""); !strings.Contains(out, "json\n") {
		t.Errorf("--output completion: %q", out)
	}
	if code, out, _ := runCLI(t, "completion", "bash"); code != 0 || !strings.Contains(out, "tripod") {
		t.Errorf("completion bash: exit %d", code)
	}
}
