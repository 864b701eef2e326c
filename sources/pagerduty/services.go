package pagerduty

import (
	"context"

	pd "github.com/PagerDuty/go-pagerduty"

	"sitrep/sources/sanitize"
)

// Service is a PagerDuty service as `sitrep services` and `sitrep doctor`
// show it: what a services: key in the config must name.
type Service struct {
	Ref
	Status           string `json:"status,omitempty"`
	EscalationPolicy Ref    `json:"escalation_policy"`
	Teams            []Ref  `json:"teams,omitempty"`
}

// Team is a PagerDuty team.
type Team struct {
	Ref
	Description string `json:"description,omitempty"`
}

// Services lists every service of the account, one request per 100.
func (c *Client) Services(ctx context.Context) ([]Service, error) {
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	// The references' summaries are the names: no include[] needed.
	opts := pd.ListServiceOptions{Limit: pageLimit}
	var out []Service
	for page := 0; page < maxPages; page++ {
		opts.Offset = uint(page * pageLimit)
		resp, err := c.api.ListServicesWithContext(ctx, opts)
		if err != nil {
			return nil, describe(ctx, "list services", err)
		}
		for _, s := range resp.Services {
			sv := Service{
				Ref:    Ref{ID: s.ID, Name: sanitize.Line(firstNonEmpty(s.Name, s.Summary))},
				Status: sanitize.Line(s.Status),
				EscalationPolicy: Ref{
					ID:   s.EscalationPolicy.ID,
					Name: sanitize.Line(firstNonEmpty(s.EscalationPolicy.Name, s.EscalationPolicy.Summary)),
				},
			}
			for _, t := range s.Teams {
				sv.Teams = append(sv.Teams, Ref{ID: t.ID, Name: sanitize.Line(firstNonEmpty(t.Name, t.Summary))})
			}
			out = append(out, sv)
		}
		if !resp.More || len(resp.Services) == 0 {
			break
		}
	}
	return out, nil
}

// Teams lists every team of the account, one request per 100.
func (c *Client) Teams(ctx context.Context) ([]Team, error) {
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	opts := pd.ListTeamOptions{Limit: pageLimit}
	var out []Team
	for page := 0; page < maxPages; page++ {
		opts.Offset = uint(page * pageLimit)
		resp, err := c.api.ListTeamsWithContext(ctx, opts)
		if err != nil {
			return nil, describe(ctx, "list teams", err)
		}
		for _, t := range resp.Teams {
			out = append(out, Team{
				Ref:         Ref{ID: t.ID, Name: sanitize.Line(firstNonEmpty(t.Name, t.Summary))},
				Description: sanitize.Line(t.Description),
			})
		}
		if !resp.More || len(resp.Teams) == 0 {
			break
		}
	}
	return out, nil
}
