package deploys

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"sitrep/sources/sanitize"
)

// Git reads changes from a local git repository: its tags, or the merges
// on a branch. Git runs as git -C Repo, never through a shell.
type Git struct {
	Repo    string // path to the repository (work tree or bare)
	Git     string // the program; empty means "git" on PATH
	Service string // Change.Service for every change found
	// CommitURL, when set, makes Change.URL: "{id}" is replaced by the
	// commit hash (or the tag name for tags), e.g.
	// https://github.com/acme/pay/commit/{id}.
	CommitURL string
}

// Tags returns the tags created between since and until (either may be
// zero for no bound), newest first. For an annotated tag the time is the
// tagger's and the summary its message's subject; for a lightweight tag
// they are the commit's.
func (g Git) Tags(ctx context.Context, since, until time.Time) ([]Change, error) {
	out, err := g.run(ctx, "for-each-ref", "--sort=-creatordate",
		"--format=%(refname:short)%00%(creatordate:unix)%00%(contents:subject)",
		"refs/tags")
	if err != nil {
		return nil, err
	}
	var changes []Change
	for rec := range bytes.SplitSeq(out, []byte("\n")) {
		f := strings.Split(string(rec), "\x00")
		if len(f) != 3 {
			continue
		}
		at, err := unixTime(f[1])
		if err != nil || !inWindow(at, since, until) {
			continue
		}
		tag := sanitize.Line(f[0])
		changes = append(changes, Change{
			ID:      tag,
			Source:  "git",
			Service: sanitize.Line(g.Service),
			Summary: sanitize.Line(strings.TrimSuffix("tag "+f[0]+": "+f[2], ": ")),
			At:      at,
			URL:     g.url(tag),
		})
	}
	return changes, nil
}

// Merges returns the merge commits on branch's first-parent line whose
// commit time is between since and until, newest first.
func (g Git) Merges(ctx context.Context, branch string, since, until time.Time) ([]Change, error) {
	if branch == "" || strings.HasPrefix(branch, "-") || strings.ContainsAny(branch, "\x00\n") {
		return nil, fmt.Errorf("git merges: %q is not a branch name", sanitize.Line(branch))
	}
	args := []string{"log", "--merges", "--first-parent", "--no-show-signature",
		"--format=%H%x00%ct%x00%an%x00%s"}
	if !since.IsZero() {
		args = append(args, "--since=@"+strconv.FormatInt(since.Unix(), 10))
	}
	if !until.IsZero() {
		args = append(args, "--until=@"+strconv.FormatInt(until.Unix(), 10))
	}
	// The trailing "--" makes git read branch as a revision, never a path.
	args = append(args, branch, "--")
	out, err := g.run(ctx, args...)
	if err != nil {
		return nil, err
	}
	var changes []Change
	for rec := range bytes.SplitSeq(out, []byte("\n")) {
		f := strings.Split(string(rec), "\x00")
		if len(f) != 4 {
			continue
		}
		at, err := unixTime(f[1])
		if err != nil || !inWindow(at, since, until) {
			continue
		}
		hash := sanitize.Line(f[0])
		changes = append(changes, Change{
			ID:      hash,
			Source:  "git",
			Service: sanitize.Line(g.Service),
			Summary: sanitize.Line(f[3] + " (" + f[2] + ")"),
			At:      at,
			URL:     g.url(hash),
		})
	}
	return changes, nil
}

func (g Git) run(ctx context.Context, args ...string) ([]byte, error) {
	if g.Repo == "" {
		return nil, fmt.Errorf("git: no repository path given")
	}
	if _, err := os.Stat(g.Repo); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("git repository %s does not exist: check deploys: git: repo in the config", sanitize.Line(g.Repo))
	}
	prog := g.Git
	if prog == "" {
		prog = "git"
	}
	argv := append([]string{prog, "-C", g.Repo}, args...)
	// No pager, no prompt for credentials, messages in English so the
	// error text is the same everywhere.
	env := []string{"GIT_PAGER=cat", "GIT_TERMINAL_PROMPT=0", "LC_ALL=C"}
	out, err := runArgv(ctx, argv, "", env)
	if err != nil {
		return nil, fmt.Errorf("git %s in %s: %w", args[0], sanitize.Line(g.Repo), err)
	}
	return out, nil
}

func (g Git) url(id string) string {
	if g.CommitURL == "" {
		return ""
	}
	return sanitize.Line(strings.ReplaceAll(g.CommitURL, "{id}", id))
}

func unixTime(s string) (time.Time, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(n, 0), nil
}

// inWindow reports since <= t <= until, a zero bound being open.
func inWindow(t, since, until time.Time) bool {
	return (since.IsZero() || !t.Before(since)) && (until.IsZero() || !t.After(until))
}
