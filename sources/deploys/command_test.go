package deploys

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the change-printing commands.
const helperEnv = "SITREP_DEPLOYS_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(helperMain(mode, os.Args[1:]))
	}
	os.Exit(m.Run())
}

func helperMain(mode string, args []string) int {
	switch mode {
	case "print":
		for _, a := range args {
			fmt.Println(a)
		}
		return 0
	case "fail":
		fmt.Println(`{"id":"d1","summary":"deploy","at":"2026-11-29T01:00:00Z"}`)
		fmt.Fprintln(os.Stderr, "argocd: permission denied")
		return 4
	case "hang":
		signal.Ignore(syscall.SIGTERM)
		fmt.Printf(`{"id":"pid","summary":"%d","at":"2026-11-29T01:00:00Z"}`+"\n", os.Getpid())
		select {}
	}
	return 2
}

func helperChanges(t *testing.T, mode string, args ...string) Command {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return Command{Argv: append([]string{exe}, args...), Env: []string{helperEnv + "=" + mode, "GORACE=atexit_sleep_ms=0"}, Service: "default-svc"}
}

func TestCommandChanges(t *testing.T) {
	at := time.Date(2026, 11, 29, 1, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		lines   []string
		want    []Change
		wantErr []string
	}{
		{
			name: "good lines",
			lines: []string{
				`{"id":"d1","summary":"deploy pay v2.4.1","at":"2026-11-29T01:00:00Z","url":"https://argo/d1","service":"payment-gateway"}`,
				``,
				`{"id":"d2","summary":"flag flip","at":"2026-11-29T02:00:00+01:00"}`,
			},
			want: []Change{
				{ID: "d1", Source: "command", Service: "payment-gateway", Summary: "deploy pay v2.4.1", At: at, URL: "https://argo/d1"},
				{ID: "d2", Source: "command", Service: "default-svc", Summary: "flag flip", At: at},
			},
		},
		{
			name: "bad lines named, good ones kept",
			lines: []string{
				`{"id":"d1","summary":"ok","at":"2026-11-29T01:00:00Z"}`,
				`not json`,
				`{"id":"d3","summary":"no time"}`,
				`{"id":"d4","summary":"bad time","at":"yesterday"}`,
				`{"id":"d5","at":"2026-11-29T01:00:00Z"}`,
				`{"id":6,"summary":"x","at":"2026-11-29T01:00:00Z"}`,
				`["an","array"]`,
			},
			want: []Change{{ID: "d1", Source: "command", Service: "default-svc", Summary: "ok", At: at}},
			wantErr: []string{
				"line 2: not a JSON object",
				`line 3: missing "at"`,
				`line 4: "at" "yesterday" is not an RFC 3339 time`,
				`line 5: missing "summary"`,
				`line 6: field "id": want a string, got a JSON number`,
				"line 7:",
			},
		},
		{
			name:  "hostile summary sanitized",
			lines: []string{`{"id":"d1","summary":"\u001b]52;c;cm0gLXJmIC8K\u0007\u001b[2Jdeploy\nnow","at":"2026-11-29T01:00:00Z","url":"https://x/\u001b[31m"}`},
			want:  []Change{{ID: "d1", Source: "command", Service: "default-svc", Summary: "deploy now", At: at, URL: "https://x/"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			got, err := helperChanges(t, "print", tt.lines...).Changes(ctx)
			assertChanges(t, got, tt.want)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			var le *LineError
			if !errors.As(err, &le) || le.Line != 2 {
				t.Errorf("errors.As LineError = %+v, want line 2", le)
			}
		})
	}
}

func TestCommandChangesManyBadLines(t *testing.T) {
	var b strings.Builder
	for range 25 {
		b.WriteString("x\n")
	}
	_, err := ParseChangeLines([]byte(b.String()), "")
	if err == nil || !strings.Contains(err.Error(), "line 10:") || strings.Contains(err.Error(), "line 11:") || !strings.Contains(err.Error(), "and 15 more bad lines") {
		t.Fatalf("err = %v", err)
	}
}

func TestCommandChangesFailures(t *testing.T) {
	tests := []struct {
		name      string
		cmd       func(t *testing.T) Command
		deadline  bool
		wantErr   string
		wantIs    error
		wantCount int
	}{
		{name: "non-zero exit keeps output, names stderr", cmd: func(t *testing.T) Command { return helperChanges(t, "fail") },
			wantErr: "exit status 4: argocd: permission denied", wantCount: 1},
		{name: "no argv", cmd: func(*testing.T) Command { return Command{} }, wantErr: "no command given"},
		{name: "missing program", cmd: func(*testing.T) Command { return Command{Argv: []string{"sitrep-no-such-program"}} },
			wantErr: "sitrep-no-such-program"},
		{name: "hang cut off at deadline", cmd: func(t *testing.T) Command { return helperChanges(t, "hang") },
			deadline: true, wantIs: context.DeadlineExceeded, wantCount: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if tt.deadline {
				// Short, but the test does not depend on it: a slow
				// machine only sees the same deadline later.
				ctx, cancel = context.WithTimeout(ctx, 300*time.Millisecond)
				defer cancel()
			}
			got, err := tt.cmd(t).Changes(ctx)
			if err == nil {
				t.Fatal("no error")
			}
			if tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v is not %v", err, tt.wantIs)
			}
			if len(got) != tt.wantCount {
				t.Fatalf("got %d changes, want %d", len(got), tt.wantCount)
			}
			if tt.deadline {
				pid, _ := strconv.Atoi(got[0].Summary)
				if pid == 0 {
					t.Fatalf("no pid in %+v", got[0])
				}
				// The helper ignored SIGTERM; its group was killed.
				if err := syscall.Kill(-pid, 0); !errors.Is(err, syscall.ESRCH) && !isZombieGroup(pid) {
					t.Errorf("process group %d still alive: %v", pid, err)
				}
			}
		})
	}
}

// isZombieGroup reports whether every process left in group pgid has
// exited and only waits to be reaped by its new parent.
func isZombieGroup(pgid int) bool {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return false
	}
	for _, e := range entries {
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(stat)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) >= 3 && f[2] == strconv.Itoa(pgid) && f[0] != "Z" {
			return false
		}
	}
	return true
}
