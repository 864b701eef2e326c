package tui

import (
	"testing"

	"sitrep/sources/pagerduty"
)

// The list builds a row's search text only when a query needs it, and a
// refresh drops what it built, so a filter never matches a title the
// incident no longer has.
func TestListSearchTextIsBuiltOnFirstQueryAndDroppedOnRefresh(t *testing.T) {
	rows := func(title string) []pagerduty.Incident {
		return []pagerduty.Incident{
			{ID: "P1", Number: 7, Title: title, Urgency: "high", Service: pagerduty.Ref{Name: "checkout-api"},
				Assignees: []pagerduty.Ref{{Name: "Alice Chen"}}},
			{ID: "P2", Number: 8, Title: "Disk full", Urgency: "low", Service: pagerduty.Ref{Name: "search"}},
		}
	}
	var l listView
	l.setIncidents(rows("Latency spike"), rowFilter{})
	if l.len() != 2 {
		t.Fatalf("no filter keeps %d rows, want 2", l.len())
	}
	for i, s := range l.search {
		if s != "" {
			t.Fatalf("row %d's search text %q was built with no query", i, s)
		}
	}
	l.refilter(rowFilter{urgency: "low"})
	if l.len() != 1 || l.search[0] != "" {
		t.Fatalf("urgency low keeps %d rows (want 1) and built search text %q (want none)", l.len(), l.search[0])
	}
	l.refilter(rowFilter{query: "alice"})
	if in, ok := l.selected(); l.len() != 1 || !ok || in.ID != "P1" {
		t.Fatalf("query alice keeps %d rows, selected %v; want only P1", l.len(), in.ID)
	}
	l.setIncidents(rows("Error budget burn"), rowFilter{query: "latency"})
	if l.len() != 0 {
		t.Fatalf("after the title changed, query latency still keeps %d rows", l.len())
	}
	l.refilter(rowFilter{query: "budget burn"})
	if l.len() != 1 {
		t.Fatalf("query on the new title keeps %d rows, want 1", l.len())
	}
}
