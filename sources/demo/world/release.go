package world

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// releaseConfigName is the payment-gateway release config that the demo
// catalogue's rollback_deploy rewrites with Ansible.
const releaseConfigName = "payment-gateway-release.conf"

// releaseConfig is the file as the catalogue's template
// (playbooks/templates/release.conf.j2) writes it, so that a rollback's
// --check --diff shows exactly the version line changing.
func releaseConfig(service, env, version string) string {
	return fmt.Sprintf("# Managed by sitrep's rollback_deploy; edits are overwritten.\nservice = %s\nenv = %s\nversion = %s\n", service, env, version)
}

func writeReleaseConfig(dir string) (string, error) {
	path := filepath.Join(dir, releaseConfigName)
	if err := os.WriteFile(path, []byte(releaseConfig("payment-gateway", "prod", deployedVersion)), 0o644); err != nil {
		return "", fmt.Errorf("write the demo release config: %w", err)
	}
	return path, nil
}

var versionPattern = regexp.MustCompile(`^v[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$`)

// parseReleaseConfig reads "key = value" lines; comments and blank lines
// are skipped.
func parseReleaseConfig(b []byte) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if ok {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

// watchRelease rolls the service back (or forward) whenever the release
// config names a version other than the one running: the world's answer to
// rollback_deploy.
func (w *World) watchRelease(every time.Duration) {
	defer w.done.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			w.checkRelease()
		}
	}
}

func (w *World) checkRelease() {
	b, err := os.ReadFile(w.ReleaseConfigPath)
	if err != nil {
		return // mid-rewrite, or removed: look again at the next tick
	}
	cfg := parseReleaseConfig(b)
	name, version := cfg["service"], cfg["version"]
	if !versionPattern.MatchString(version) {
		return
	}
	f := w.fleet
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.services[name]
	if s == nil || s.version == version {
		return
	}
	f.rollback(s, version, f.now())
	w.notef("%s rolled to %s (release config changed)", name, version)
}
