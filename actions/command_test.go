package actions

import (
	"strings"
	"testing"
)

func TestParseCommand(t *testing.T) {
	c := loadPlanFixture(t)
	tests := []struct {
		line    string
		action  string
		params  string // k=v,k=v sorted
		wantErr string
	}{
		{"runbook restart_service --env=prod --service=payment-gateway", "restart_service", "env=prod,service=payment-gateway", ""},
		{":runbook restart_service --env prod", "restart_service", "env=prod", ""},
		{"restart_service", "restart_service", "", ""},
		{`run echo_any --v="two words"`, "echo_any", "v=two words", ""},
		{"runbook restrat_service", "", "", `unknown action "restrat_service" (did you mean "restart_service"?)`},
		{"runbook restart_service --srvice=x", "", "", `restart_service has no parameter --srvice (did you mean --service?); its parameters: --service, --env`},
		{"runbook touch_canary --dir=/", "", "", "has no parameter --dir"},
		{"runbook restart_service --env", "", "", "--env needs a value"},
		{"runbook restart_service --env=a --env=b", "", "", "given twice"},
		{"runbook restart_service prod", "", "", `unexpected "prod"`},
		{"runbook", "", "", "which action?"},
		{`runbook echo_any --v="unclosed`, "", "", "unclosed"},
	}
	for _, tt := range tests {
		got, err := ParseCommand(tt.line, c)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseCommand(%q) err = %v, want %q", tt.line, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseCommand(%q): %v", tt.line, err)
			continue
		}
		var kv []string
		for _, k := range keys(got.Params) {
			kv = append(kv, k+"="+got.Params[k])
		}
		if got.Action != tt.action || strings.Join(kv, ",") != tt.params {
			t.Errorf("ParseCommand(%q) = %s %v", tt.line, got.Action, kv)
		}
	}
}

func TestComplete(t *testing.T) {
	c := loadPlanFixture(t)
	tests := []struct {
		line string
		want string
	}{
		{"", "run,runbook,add_responder,block_ip,echo_any,escalate,merge,reassign,restart_service,route,set_priority,set_urgency,slow,snooze,status_update,touch_canary"},
		{"ru", "run,runbook"},
		{"runbook ", "add_responder,block_ip,echo_any,escalate,merge,reassign,restart_service,route,set_priority,set_urgency,slow,snooze,status_update,touch_canary"},
		{"runbook re", "reassign,restart_service"},
		{"runbook set_u", "set_urgency"},
		{"runbook snooze ", "--duration="},
		{":runbook e", "echo_any,escalate"},
		{"runbook restart_service ", "--env=,--service="},
		{"runbook restart_service --s", "--service="},
		{"runbook restart_service --service=x ", "--env="},
		{"runbook touch_canary ", "--name="},
		{"runbook restart_service --env=pr", ""},
		{"runbook nope ", ""},
	}
	for _, tt := range tests {
		if got := strings.Join(Complete(tt.line, c), ","); got != tt.want {
			t.Errorf("Complete(%q) = %s, want %s", tt.line, got, tt.want)
		}
	}
}
