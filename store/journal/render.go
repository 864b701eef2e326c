package journal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"sitrep/sources/sanitize"
)

// RenderData and what it needs: an entry's data for people, shared by
// `sitrep journal show -v` and the cockpit's journal screen so both read
// the same. It is a pure function of the bytes: no terminal, no styles.

// RenderData draws an entry's JSON data as an indented tree, keys in the
// order they were written, multi-line text (an action's output) as a
// block, every string sanitized.
func RenderData(data json.RawMessage, indent string) string {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeOrdered(dec)
	if err != nil {
		return indent + "data (not valid JSON): " + sanitize.Line(string(data)) + "\n"
	}
	var b strings.Builder
	if o, ok := v.(orderedObject); ok {
		writeObject(&b, o, indent)
	} else {
		writeObject(&b, orderedObject{{"data", v}}, indent)
	}
	return b.String()
}

type orderedField struct {
	key   string
	value any
}

// orderedObject is a JSON object with its keys in the order written.
type orderedObject []orderedField

func decodeOrdered(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	switch d {
	case '{':
		o := orderedObject{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			k, _ := kt.(string)
			v, err := decodeOrdered(dec)
			if err != nil {
				return nil, err
			}
			o = append(o, orderedField{k, v})
		}
		_, err := dec.Token()
		return o, err
	case '[':
		a := []any{}
		for dec.More() {
			v, err := decodeOrdered(dec)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		_, err := dec.Token()
		return a, err
	}
	return nil, fmt.Errorf("unexpected %v", d)
}

func writeObject(b *strings.Builder, o orderedObject, indent string) {
	for _, f := range o {
		writeValue(b, sanitize.Line(f.key)+":", f.value, indent)
	}
}

// writeValue writes one labelled value: scalars on the label's line,
// multi-line text as an indented block, objects and lists below it.
func writeValue(b *strings.Builder, label string, v any, indent string) {
	switch t := v.(type) {
	case orderedObject:
		if len(t) == 0 {
			b.WriteString(indent + label + " {}\n")
			return
		}
		b.WriteString(indent + label + "\n")
		writeObject(b, t, indent+"  ")
	case []any:
		if len(t) == 0 {
			b.WriteString(indent + label + " []\n")
			return
		}
		if s, ok := inlineList(t); ok {
			b.WriteString(indent + label + " " + s + "\n")
			return
		}
		b.WriteString(indent + label + "\n")
		for _, x := range t {
			if o, ok := x.(orderedObject); ok && len(o) > 0 {
				// "- first: value" and the other fields below it.
				var sub strings.Builder
				writeObject(&sub, o, indent+"    ")
				b.WriteString(indent + "  - " + strings.TrimPrefix(sub.String(), indent+"    "))
				continue
			}
			writeValue(b, "-", x, indent+"  ")
		}
	case string:
		text := strings.TrimRight(sanitize.Text(t), "\n")
		if !strings.Contains(text, "\n") {
			b.WriteString(indent + label + " " + quoteIfEmpty(sanitize.Line(text)) + "\n")
			return
		}
		b.WriteString(indent + label + " |\n")
		for _, l := range strings.Split(text, "\n") {
			b.WriteString(strings.TrimRight(indent+"  "+strings.ReplaceAll(l, "\t", "    "), " ") + "\n")
		}
	default:
		b.WriteString(indent + label + " " + scalar(v) + "\n")
	}
}

// inlineList is a list of short one-line scalars on one line: an argv, a
// blast radius.
func inlineList(list []any) (string, bool) {
	parts := make([]string, 0, len(list))
	for _, x := range list {
		switch t := x.(type) {
		case orderedObject, []any:
			return "", false
		case string:
			if strings.Contains(t, "\n") {
				return "", false
			}
			parts = append(parts, quoteIfEmpty(sanitize.Line(t)))
		default:
			parts = append(parts, scalar(x))
		}
	}
	s := "[" + strings.Join(parts, ", ") + "]"
	return s, utf8.RuneCountInString(s) <= 100
}

func scalar(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case json.Number:
		return t.String()
	case bool:
		return fmt.Sprint(t)
	case string:
		return quoteIfEmpty(sanitize.Line(t))
	}
	return sanitize.Line(fmt.Sprint(v))
}

func quoteIfEmpty(s string) string {
	if s == "" {
		return `""`
	}
	return s
}
