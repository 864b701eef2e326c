package triage

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"sitrep/sources/pagerduty"
)

var t0 = time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)

// member is an open incident #n on service svc, class class, started at
// t0 plus min minutes, whose service depends on deps.
func member(n uint, svc, class string, min int, deps ...string) Member {
	return Member{
		Incident: pagerduty.Incident{ID: fmt.Sprintf("Q%04d", n), Number: n, Status: pagerduty.StatusTriggered,
			Service: pagerduty.Ref{ID: "S-" + svc, Name: svc}, CreatedAt: t0.Add(time.Duration(min) * time.Minute)},
		Class: class, Depends: deps,
	}
}

func numbers(s Storm) []uint {
	var out []uint
	for _, in := range s.Members {
		out = append(out, in.Number)
	}
	return out
}

func TestStorms(t *testing.T) {
	for _, tc := range []struct {
		name       string
		in         []Member
		want       [][]uint
		link       Link
		shared     string
		windowMins int
	}{
		{name: "same service", in: []Member{
			member(11, "billing-worker", "", 2), member(9, "billing-worker", "capacity", 0), member(10, "billing-worker", "", 1),
			member(12, "auth-service", "", 1),
		}, want: [][]uint{{9, 10, 11}}, link: LinkService, shared: "billing-worker"},
		{name: "same class on different services", in: []Member{
			member(3, "checkout-db", "database", 0), member(4, "orders-db", "database", 5), member(5, "edge-proxy", "network", 3),
		}, want: [][]uint{{3, 4}}, link: LinkClass, shared: "database"},
		{name: "a shared dependency", in: []Member{
			member(7, "checkout-api", "", 0, "S-checkout-db"), member(8, "search-indexer", "", 4, "S-checkout-db"),
		}, want: [][]uint{{7, 8}}, link: LinkDependency, shared: "S-checkout-db"},
		{name: "on the dependency itself", in: []Member{
			member(6, "checkout-db", "database", 0), member(7, "checkout-api", "network", 3, "S-checkout-db"),
		}, want: [][]uint{{6, 7}}, link: LinkDependency, shared: "checkout-db"},
		{name: "outside the window", in: []Member{
			member(1, "billing-worker", "", 0), member(2, "billing-worker", "", 11),
		}, want: nil},
		{name: "a chain within the window joins", in: []Member{
			member(1, "billing-worker", "", 0), member(2, "billing-worker", "", 8), member(3, "billing-worker", "", 16),
		}, want: [][]uint{{1, 2, 3}}, link: LinkService, shared: "billing-worker"},
		{name: "a wider window", windowMins: 15, in: []Member{
			member(1, "billing-worker", "", 0), member(2, "billing-worker", "", 11),
		}, want: [][]uint{{1, 2}}, link: LinkService, shared: "billing-worker"},
		{name: "a single incident is no storm", in: []Member{member(1, "billing-worker", "capacity", 0)}, want: nil},
		{name: "resolved incidents do not count", in: []Member{
			member(1, "billing-worker", "", 0), func() Member {
				m := member(2, "billing-worker", "", 1)
				m.Incident.Status = pagerduty.StatusResolved
				return m
			}(),
		}, want: nil},
		{name: "mixed links", in: []Member{
			member(1, "billing-worker", "capacity", 0), member(2, "billing-worker", "dependency", 1), member(3, "auth-service", "dependency", 2),
		}, want: [][]uint{{1, 2, 3}}, link: LinkMixed},
		{name: "two storms, oldest first", in: []Member{
			member(20, "auth-service", "", 30), member(21, "auth-service", "", 31),
			member(5, "billing-worker", "", 0), member(6, "billing-worker", "", 1),
		}, want: [][]uint{{5, 6}, {20, 21}}, link: LinkService},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := DefaultStormWindow
			if tc.windowMins > 0 {
				w = time.Duration(tc.windowMins) * time.Minute
			}
			got := Storms(tc.in, w)
			var nums [][]uint
			for _, s := range got {
				nums = append(nums, numbers(s))
			}
			if fmt.Sprint(nums) != fmt.Sprint(tc.want) {
				t.Fatalf("storms %v, want %v", nums, tc.want)
			}
			if len(got) > 0 && (got[0].Link != tc.link || tc.shared != "" && got[0].Shared != tc.shared) {
				t.Errorf("first storm shares %s %q, want %s %q", got[0].Link, got[0].Shared, tc.link, tc.shared)
			}
		})
	}
}

// TestStormsDeterministic: any order of the same incidents gives the same
// storms.
func TestStormsDeterministic(t *testing.T) {
	in := randomMembers(500, 1)
	want := fmt.Sprint(Storms(in, DefaultStormWindow))
	r := rand.New(rand.NewPCG(2, 3))
	for range 5 {
		shuffled := slices.Clone(in)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if got := fmt.Sprint(Storms(shuffled, DefaultStormWindow)); got != want {
			t.Fatal("the same incidents in another order gave other storms")
		}
	}
}

func randomMembers(n int, seed uint64) []Member {
	r := rand.New(rand.NewPCG(seed, seed))
	classes := []string{"", "database", "network", "capacity"}
	out := make([]Member, n)
	for i := range out {
		svc := fmt.Sprintf("svc-%d", r.IntN(n/10+1))
		out[i] = member(uint(i+1), svc, classes[r.IntN(len(classes))], r.IntN(n*3), fmt.Sprintf("S-svc-%d", r.IntN(n/10+1)))
	}
	return out
}

func BenchmarkStorms10k(b *testing.B) {
	in := randomMembers(10000, 7)
	b.ReportAllocs()
	for b.Loop() {
		Storms(in, DefaultStormWindow)
	}
}
