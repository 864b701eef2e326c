package deploys

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// gitAt runs git in dir with author and committer time at t, with identity
// and config given on the command line so the machine's config does not
// matter.
func gitAt(t *testing.T, dir string, at time.Time, args ...string) string {
	t.Helper()
	date := strconv.FormatInt(at.Unix(), 10) + " +0000"
	full := append([]string{"-C", dir, "-c", "user.name=Dana Deployer", "-c", "user.email=dana@example.com",
		"-c", "init.defaultBranch=main", "-c", "commit.gpgSign=false", "-c", "tag.gpgSign=false"}, args...)
	cmd := exec.Command("git", full...)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date,
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull, "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

var gitBase = time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)

func minutes(n int) time.Time { return gitBase.Add(time.Duration(n) * time.Minute) }

// makeRepo builds a repository:
//
//	00:00 initial commit, tagged v1.0.0 (lightweight)
//	00:10 feature branch commit; 00:20 merged into main (--no-ff), tagged v1.1.0 (annotated, 00:25)
//	00:30 second feature merged at 00:40, tagged v1.2.0 (annotated, 00:45) with a hostile message
//	00:50 a merge into the feature branch, not on main's first-parent line
func makeRepo(t *testing.T) (dir string, merges map[string]string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		msg := "git not found; install it with: apt-get install -y --no-install-recommends git"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir = t.TempDir()
	merges = map[string]string{}
	gitAt(t, dir, minutes(0), "init", "-q")
	gitAt(t, dir, minutes(0), "commit", "-q", "--allow-empty", "-m", "initial")
	gitAt(t, dir, minutes(0), "tag", "v1.0.0")

	gitAt(t, dir, minutes(10), "checkout", "-q", "-b", "feature-a")
	gitAt(t, dir, minutes(10), "commit", "-q", "--allow-empty", "-m", "add retries")
	gitAt(t, dir, minutes(20), "checkout", "-q", "main")
	gitAt(t, dir, minutes(20), "merge", "-q", "--no-ff", "-m", "Merge pull request #12 from feature-a", "feature-a")
	merges["#12"] = gitAt(t, dir, minutes(20), "rev-parse", "HEAD")
	gitAt(t, dir, minutes(25), "tag", "-a", "v1.1.0", "-m", "release 1.1.0")

	gitAt(t, dir, minutes(30), "checkout", "-q", "-b", "feature-b")
	gitAt(t, dir, minutes(30), "commit", "-q", "--allow-empty", "-m", "shrink pool")
	gitAt(t, dir, minutes(40), "checkout", "-q", "main")
	gitAt(t, dir, minutes(40), "merge", "-q", "--no-ff", "-m", "Merge pull request #13 from feature-b", "feature-b")
	merges["#13"] = gitAt(t, dir, minutes(40), "rev-parse", "HEAD")
	gitAt(t, dir, minutes(45), "tag", "-a", "v1.2.0", "-m", "release 1.2.0 \x1b]52;c;cm0gLXJmIC8K\x07\x1b[31mhot\x1b[0m")

	gitAt(t, dir, minutes(50), "checkout", "-q", "feature-b")
	gitAt(t, dir, minutes(50), "merge", "-q", "--no-ff", "-m", "Merge main into feature-b", "main")
	gitAt(t, dir, minutes(50), "checkout", "-q", "main")
	return dir, merges
}

func TestGitTags(t *testing.T) {
	dir, _ := makeRepo(t)
	tests := []struct {
		name         string
		since, until time.Time
		want         []Change
	}{
		{
			name: "all, newest first",
			want: []Change{
				{ID: "v1.2.0", Summary: "tag v1.2.0: release 1.2.0 hot", At: minutes(45)},
				{ID: "v1.1.0", Summary: "tag v1.1.0: release 1.1.0", At: minutes(25)},
				{ID: "v1.0.0", Summary: "tag v1.0.0: initial", At: minutes(0)},
			},
		},
		{
			name:  "window, bounds inclusive",
			since: minutes(25), until: minutes(44),
			want: []Change{{ID: "v1.1.0", Summary: "tag v1.1.0: release 1.1.0", At: minutes(25)}},
		},
		{name: "empty window", since: minutes(46), until: minutes(60)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := Git{Repo: dir, Service: "payment-gateway", CommitURL: "https://git.example.com/pay/-/tags/{id}"}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			got, err := g.Tags(ctx, tt.since, tt.until)
			if err != nil {
				t.Fatal(err)
			}
			for i := range tt.want {
				tt.want[i].Source, tt.want[i].Service = "git", "payment-gateway"
				tt.want[i].URL = "https://git.example.com/pay/-/tags/" + tt.want[i].ID
			}
			assertChanges(t, got, tt.want)
		})
	}
}

func TestGitMerges(t *testing.T) {
	dir, merges := makeRepo(t)
	m12 := Change{ID: merges["#12"], Source: "git", Summary: "Merge pull request #12 from feature-a (Dana Deployer)", At: minutes(20)}
	m13 := Change{ID: merges["#13"], Source: "git", Summary: "Merge pull request #13 from feature-b (Dana Deployer)", At: minutes(40)}
	tests := []struct {
		name         string
		branch       string
		since, until time.Time
		want         []Change
		wantErr      string
	}{
		{name: "first-parent merges, newest first", branch: "main", want: []Change{m13, m12}},
		{name: "window", branch: "main", since: minutes(30), until: minutes(60), want: []Change{m13}},
		{name: "feature branch has its own merge", branch: "feature-b", since: minutes(45),
			want: []Change{{Source: "git", Summary: "Merge main into feature-b (Dana Deployer)", At: minutes(50)}}},
		{name: "option injection refused", branch: "--output=/tmp/x", wantErr: "is not a branch name"},
		{name: "unknown branch", branch: "nope", wantErr: "git log in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			got, err := Git{Repo: dir}.Merges(ctx, tt.branch, tt.since, tt.until)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 1 && tt.want[0].ID == "" {
				tt.want[0].ID = got[0].ID // a hash we did not record
			}
			assertChanges(t, got, tt.want)
		})
	}
}

func TestGitNotARepository(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := Git{Repo: t.TempDir()}.Tags(ctx, time.Time{}, time.Time{})
	if err == nil || !strings.Contains(err.Error(), "not a git repository") {
		t.Fatalf("err = %v, want git's not-a-repository message", err)
	}
	if _, err := (Git{}).Tags(ctx, time.Time{}, time.Time{}); err == nil {
		t.Fatal("no error for an empty repository path")
	}
}
