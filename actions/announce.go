package actions

import (
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"
)

// Announcer tells the team about a run.
type Announcer interface {
	Announce(ctx context.Context, incidentID, text string) error
}

// PagerDutyNote announces as a note on the incident.
type PagerDutyNote struct{ Writer PagerDutyWriter }

// Announce implements Announcer.
func (n PagerDutyNote) Announce(ctx context.Context, incidentID, text string) error {
	if err := n.Writer.AddNote(ctx, incidentID, text); err != nil {
		return fmt.Errorf("pagerduty note on %s: %w", incidentID, err)
	}
	return nil
}

// SlackWebhook announces to a Slack incoming webhook.
type SlackWebhook struct {
	URL string
}

// slackEscaper escapes the three characters Slack's mrkdwn gives meaning
// to, so text from outside cannot write <!channel> or a disguised link.
var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Announce implements Announcer.
func (s SlackWebhook) Announce(ctx context.Context, _ string, text string) error {
	msg := &slack.WebhookMessage{Text: slackEscaper.Replace(text)}
	if err := slack.PostWebhookContext(ctx, s.URL, msg); err != nil {
		// The URL is a secret: say which announcer failed, not where.
		return fmt.Errorf("slack webhook: %w", err)
	}
	return nil
}
