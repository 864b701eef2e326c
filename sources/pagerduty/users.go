package pagerduty

import (
	"context"

	pd "github.com/PagerDuty/go-pagerduty"

	"sitrep/sources/sanitize"
)

// UserTeams reads the IDs of the teams a user belongs to: an approval
// guard names teams as well as users, and the note's author is a user.
func (c *Client) UserTeams(ctx context.Context, userID string) ([]string, error) {
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	u, err := c.api.GetUserWithContext(ctx, userID, pd.GetUserOptions{})
	if err != nil {
		return nil, describe(ctx, "get user "+userID, err)
	}
	out := make([]string, 0, len(u.Teams))
	for _, t := range u.Teams {
		out = append(out, sanitize.Line(t.ID))
	}
	return out, nil
}
