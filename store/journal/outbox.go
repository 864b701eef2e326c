package journal

import (
	bolt "go.etcd.io/bbolt"
)

// The outbox bucket holds the PagerDuty writes that wait for delivery
// (store/outbox owns their encoding): key → opaque value. It lives in the
// journal's file so that a write the engineer made survives a restart with
// the entry that records it. The bucket is created on first use, so older
// journals need no migration.
var bucketOutbox = []byte("outbox")

// PutOutbox stores (or replaces) one waiting write.
func (j *Journal) PutOutbox(key string, value []byte) error {
	return j.update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketOutbox)
		if err != nil {
			return err
		}
		return b.Put([]byte(key), append([]byte(nil), value...))
	})
}

// DeleteOutbox removes a write that was delivered or given up.
func (j *Journal) DeleteOutbox(key string) error {
	return j.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOutbox)
		if b == nil {
			return nil
		}
		return b.Delete([]byte(key))
	})
}

// EachOutbox calls fn for every waiting write, in key order.
func (j *Journal) EachOutbox(fn func(key string, value []byte) error) error {
	return j.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOutbox)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error { return fn(string(k), append([]byte(nil), v...)) })
	})
}
