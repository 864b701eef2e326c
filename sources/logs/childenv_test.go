package logs

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestCommandEnvKeepsSitrepSecrets: a log command (and journalctl, which
// is given no pairs) gets the user's environment and its configured
// pairs, never sitrep's token or settings.
func TestCommandEnvKeepsSitrepSecrets(t *testing.T) {
	t.Setenv("PAGERDUTY_TOKEN", "pd-secret")
	t.Setenv("SITREP_SOMETHING", "sitrep-setting")
	t.Setenv("KUBECONFIG", "kube-prod.yaml")
	tests := []struct {
		name  string
		pairs []string
		want  []string
	}{
		{"configured pairs", []string{"EXTRA=1"}, []string{"KUBECONFIG=kube-prod.yaml", "EXTRA=1"}},
		{"no pairs", nil, []string{"KUBECONFIG=kube-prod.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			lines, err := Command{Argv: []string{"env"}, Env: tt.pairs}.Fetch(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, l := range lines {
				got[l.Text] = true
				if strings.HasPrefix(l.Text, "PAGERDUTY_TOKEN=") || strings.HasPrefix(l.Text, "SITREP_") || strings.Contains(l.Text, "pd-secret") {
					t.Errorf("the command's environment has %q", l.Text)
				}
			}
			for _, w := range tt.want {
				if !got[w] {
					t.Errorf("the command's environment lacks %q", w)
				}
			}
		})
	}
}
