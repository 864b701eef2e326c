package journalset

import "sitrep/store/postmortem"

// Audit is the export's Audit section for an incident's merged entries:
// every journal and pack of the set with its head, whether it verified,
// and the entries it gave.
func (s *Set) Audit(es []Entry) postmortem.Audit {
	per, shared := Counts(es, len(s.sources))
	a := postmortem.Audit{Count: len(es), Shared: shared}
	for i, src := range s.sources {
		a.Journals = append(a.Journals, postmortem.AuditJournal{
			Path: src.Path, Pack: src.Pack, Origin: src.Origin, Head: src.Head,
			Entries: per[i], Verified: src.Verified, Included: src.Included, Problem: src.Problem,
		})
	}
	return a
}
