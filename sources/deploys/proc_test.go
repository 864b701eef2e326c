package deploys

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCommandEnvKeepsSitrepSecrets: a deploys command gets the user's
// environment and its configured pairs, never sitrep's token or settings.
func TestCommandEnvKeepsSitrepSecrets(t *testing.T) {
	t.Setenv("PAGERDUTY_TOKEN", "pd-secret")
	t.Setenv("SITREP_SOMETHING", "sitrep-setting")
	t.Setenv("KUBECONFIG", "kube-prod.yaml")
	t.Setenv("AWS_PROFILE", "ops")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := runArgv(ctx, []string{"env"}, "", []string{"EXTRA=1", "AWS_PROFILE=override"})
	if err != nil {
		t.Fatal(err)
	}
	env := "\n" + string(out)
	for _, bad := range []string{"pd-secret", "\nPAGERDUTY_TOKEN=", "\nSITREP_SOMETHING="} {
		if strings.Contains(env, bad) {
			t.Errorf("the command's environment has %q", bad)
		}
	}
	for _, want := range []string{"\nKUBECONFIG=kube-prod.yaml\n", "\nEXTRA=1\n", "\nHOME="} {
		if !strings.Contains(env, want) {
			t.Errorf("the command's environment lacks %q", strings.TrimSpace(want))
		}
	}
	if i, j := strings.LastIndex(env, "\nAWS_PROFILE=override\n"), strings.LastIndex(env, "\nAWS_PROFILE=ops\n"); i < j {
		t.Error("a configured pair does not override the inherited one")
	}
}

// TestCommandLeavesNoOrphans: a command that exits leaving a background
// child holding its stdout returns its output at once and without error,
// and the child is gone.
func TestCommandLeavesNoOrphans(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs waitid(WNOWAIT)")
	}
	pidFile := filepath.Join(t.TempDir(), "pid")
	line := `{"id":"a","summary":"s","at":"2026-01-01T00:00:00Z"}`
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	changes, err := Command{Argv: []string{"sh", "-c", `sleep 300 & echo $! > "$1"; echo '` + line + `'`, "sh", pidFile}}.Changes(ctx)
	b, rerr := os.ReadFile(pidFile)
	pid, perr := strconv.Atoi(strings.TrimSpace(string(b)))
	if rerr != nil || perr != nil {
		t.Fatalf("the background child's pid: %v %v", rerr, perr)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	if err != nil || len(changes) != 1 || changes[0].ID != "a" {
		t.Errorf("Changes = %+v, %v; want the one change and no error", changes, err)
	}
	// Changes waited for its stdout to close, which it does in exit: it is
	// gone, a zombie, or exiting (PF_EXITING, set before files are closed).
	if st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
		const pfExiting = 0x4
		f := strings.Fields(string(st[strings.LastIndexByte(string(st), ')')+1:]))
		flags, _ := strconv.ParseUint(f[6], 10, 64)
		if f[0] != "Z" && f[0] != "X" && flags&pfExiting == 0 {
			t.Errorf("the background child %d is still running (state %s, flags %#x)", pid, f[0], flags)
		}
	}
}
