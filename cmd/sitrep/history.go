package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"sitrep/actions/triage"
	"sitrep/sources/pagerduty"
	"sitrep/store/recorder"
)

// historyConfig is history: how far back the History tab and the export's
// Related incidents read a service's resolved incidents.
type historyConfig struct {
	// Window is history.window as written ("30d", "72h"); window is it
	// parsed.
	Window string `yaml:"window"`
	window time.Duration
}

// The window's bounds: PagerDuty lists incidents of at most six months.
const (
	minHistoryWindow = time.Hour
	maxHistoryWindow = 180 * 24 * time.Hour
)

// parse reads Window: a number of days ("30d") or a Go duration ("72h").
func (h *historyConfig) parse() error {
	h.window = pagerduty.DefaultHistoryWindow
	raw := strings.TrimSpace(h.Window)
	if raw == "" {
		return nil
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(raw, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return fmt.Errorf("%q is not a window: write it like 30d or 72h", h.Window)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(raw); err != nil {
			return fmt.Errorf("%q is not a window: write it like 30d or 72h", h.Window)
		}
	}
	if d < minHistoryWindow || d > maxHistoryWindow {
		return fmt.Errorf("%s is outside 1h to 180d: PagerDuty lists incidents of at most six months", h.Window)
	}
	h.window = d
	return nil
}

// historyWindow is the configured window, or the default for a config
// that was not loaded from a file (the demo's).
func (c *config) historyWindow() time.Duration {
	if c.History.window == 0 {
		_ = c.History.parse() // an unloaded config's empty window is the default
	}
	return c.History.window
}

// classifyPast names a past incident's class from what PagerDuty holds
// of it now, by the triage rules in force.
func classifyPast(c *triage.Classifier) func(pagerduty.Incident) string {
	return func(in pagerduty.Incident) string {
		if cs := c.Classify(triage.Evidence{Incident: in}); len(cs) > 0 {
			return cs[0].Class
		}
		return ""
	}
}

// readPast lets rec read services' past incidents and the upstream
// incidents open at an incident's start, through feed.
func readPast(rec *recorder.Recorder, cfg *config, feed *pagerduty.Client) {
	rec.SetHistory(pagerduty.NewHistoryReader(feed, pagerduty.HistoryConfig{Window: cfg.historyWindow()}), classifyPast(cfg.triageClassifier()))
	rec.SetUpstream(feed)
}

// exportPast lets an export's recorder read the past when its feed is
// PagerDuty's client: the Related incidents and the upstream likely cause.
// A config that cannot be read leaves them out, as it leaves PagerDuty out.
func exportPast(cmd *cobra.Command, g *globalFlags, rec *recorder.Recorder, feed recorder.Feed) {
	pd, ok := feed.(*pagerduty.Client)
	if !ok || pd == nil {
		return
	}
	cfg, err := g.settings(cmd)
	if err != nil {
		return
	}
	readPast(rec, &cfg, pd)
}
