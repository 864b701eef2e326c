package pagerduty

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	pd "github.com/PagerDuty/go-pagerduty"
)

// The writes beyond acknowledge, resolve and note. The cockpit sends them
// only through an action's preview (actions.PagerDutyWriter).

// SetUrgency changes an incident's urgency. go-pagerduty v1.8.0 has no
// field for it in its bulk update, so this is a raw request.
func (c *Client) SetUrgency(ctx context.Context, id, urgency string) error {
	if urgency != UrgencyHigh && urgency != UrgencyLow {
		return fmt.Errorf("set urgency of %s: %q is not high or low", id, urgency)
	}
	body, _ := json.Marshal(map[string]any{"incidents": []map[string]string{{"id": id, "type": "incident_reference", "urgency": urgency}}})
	return c.raw(ctx, "set urgency of "+id, http.MethodPut, "/incidents", body, nil)
}

// SetPriority sets an incident's priority by the priority's ID.
func (c *Client) SetPriority(ctx context.Context, id, priorityID string) error {
	return c.manage(ctx, "set priority of "+id, pd.ManageIncidentsOptions{ID: id, Priority: &pd.APIReference{ID: priorityID, Type: "priority_reference"}})
}

// ReassignToPolicy hands an incident to another escalation policy: PagerDuty
// assigns it to that policy's first level and pages them.
func (c *Client) ReassignToPolicy(ctx context.Context, id, policyID string) error {
	if policyID == "" {
		return fmt.Errorf("reassign %s to an escalation policy: no policy ID", id)
	}
	return c.manage(ctx, "reassign "+id+" to escalation policy "+policyID,
		pd.ManageIncidentsOptions{ID: id, EscalationPolicy: &pd.APIReference{ID: policyID, Type: "escalation_policy_reference"}})
}

// AddResponder asks a user to join the incident.
func (c *Client) AddResponder(ctx context.Context, id, userID, message string) error {
	me, err := c.Me(ctx)
	if err != nil {
		return fmt.Errorf("add responder to %s: %w", id, err)
	}
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	opts := pd.ResponderRequestOptions{
		From: me.Email, Message: message, RequesterID: me.ID,
		Targets: []pd.ResponderRequestTargetWrapper{{Target: pd.ResponderRequestTarget{APIObject: pd.APIObject{ID: userID, Type: "user_reference"}}}},
	}
	if _, err := c.api.ResponderRequestWithContext(ctx, id, opts); err != nil {
		return describe(ctx, "add responder to "+id, err)
	}
	return nil
}

// StatusUpdate posts a status update on the incident.
func (c *Client) StatusUpdate(ctx context.Context, id, message string) error {
	me, err := c.Me(ctx)
	if err != nil {
		return fmt.Errorf("status update on %s: %w", id, err)
	}
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	if _, err := c.api.CreateIncidentStatusUpdate(ctx, id, me.Email, message); err != nil {
		return describe(ctx, "status update on "+id, err)
	}
	return nil
}

// Writer adapts the client to the actions package's PagerDutyWriter, whose
// AddNote returns no note.
type Writer struct{ *Client }

// AddNote adds a note and drops the note itself.
func (w Writer) AddNote(ctx context.Context, id, content string) error {
	_, err := w.Client.AddNote(ctx, id, content)
	return err
}
