package metricsemu

import "testing"

func TestParseLogQuery(t *testing.T) {
	tests := []struct {
		q        string
		sel      string
		nFilters int
		wantErr  bool
	}{
		{`{app="a"}`, `{app="a"}`, 0, false},
		{`{app="a}"} |= "x" != ` + "`y`", `{app="a}"}`, 2, false},
		{`{app="a\"}"}|="x"`, `{app="a\"}"}`, 1, false},
		{`{app="a"`, "", 0, true},
		{`{`, "", 0, true},
		{`app`, "", 0, true},
		{`{app="a"} |=`, "", 0, true},
		{`{app="a"} |= "x`, "", 0, true},
		{`{app="a"} |= "\q"`, "", 0, true},
		{`{app="a"} | json`, "", 0, true},
		{"{app=\"a\"} |= `x", "", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			sel, filters, err := parseLogQuery(tt.q)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want error %v", err, tt.wantErr)
			}
			if sel != tt.sel || len(filters) != tt.nFilters {
				t.Errorf("selector %q with %d filters, want %q with %d", sel, len(filters), tt.sel, tt.nFilters)
			}
		})
	}
}

func TestParseSelector(t *testing.T) {
	tests := []struct {
		sel     string
		want    map[string]string
		wantErr bool
	}{
		{`{app="a", env="prod"}`, map[string]string{"app": "a", "env": "prod"}, false},
		{`{}`, map[string]string{}, false},
		{`{app=~"a.*"}`, nil, true},
		{`{app!="a"}`, nil, true},
		{`{app=}`, nil, true},
		{`{app=`, nil, true},
		{`{=`, nil, true},
		{`{app}`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.sel, func(t *testing.T) {
			got, err := parseSelector(tt.sel)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want error %v", err, tt.wantErr)
			}
			if !tt.wantErr && !sameLabels(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// FuzzParseLogQuery: no query, however broken, panics the parser.
func FuzzParseLogQuery(f *testing.F) {
	for _, s := range []string{`{app="a"} |= "x"`, `{a="\"}`, "{`", `{a=~"x"} != "y" |= "z"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		sel, _, err := parseLogQuery(q)
		if err == nil {
			_, _ = parseSelector(sel)
		}
	})
}
