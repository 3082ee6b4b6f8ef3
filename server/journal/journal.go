// Package journal keeps what pvsc has accepted on disk: a base snapshot and the journal of every event applied since, in one bbolt file.
package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	bucketMeta    = []byte("meta")
	bucketJournal = []byte("journal")
	bucketSeen    = []byte("seen")
	keyBase       = []byte("base")
	keyBaseName   = []byte("base_name")
	keyBaseTime   = []byte("base_time")
	keySeq        = []byte("seq")
)

// DefaultMaxSeen is how many message ids are remembered for deduplication.
const DefaultMaxSeen = 1 << 20

// Store is the base snapshot, the journal since it and the message ids already applied.
// Every change is one bbolt transaction, synced before it returns: what Append accepted
// survives a kill -9. Safe for concurrent use.
type Store struct {
	db      *bolt.DB
	path    string
	maxSeen int

	mu   sync.RWMutex
	seq  uint64            // the last sequence number handed out (the stream position)
	n    int               // journal entries since the base
	seen map[string]uint64 // message id -> sequence number
}

// Entry is one journaled event: its position, its message id and the document that was applied.
type Entry struct {
	Seq   uint64
	MsgID string
	Data  []byte
}

// Base is the snapshot the journal starts from.
type Base struct {
	Name string
	Time time.Time
	Data []byte
}

// Open opens or creates the store at path.
func Open(path string) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("durable: open %s: %w", path, err)
	}
	s := &Store{db: db, path: path, maxSeen: DefaultMaxSeen, seen: map[string]uint64{}}
	if err := s.load(); err != nil {
		db.Close()
		return nil, fmt.Errorf("durable: %s: %w", path, err)
	}
	return s, nil
}

func (s *Store) load() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketMeta, bucketJournal, bucketSeen} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		if v := tx.Bucket(bucketMeta).Get(keySeq); v != nil {
			if len(v) != 8 {
				return fmt.Errorf("meta.seq: want 8 bytes, got %d", len(v))
			}
			s.seq = binary.BigEndian.Uint64(v)
		}
		s.n = tx.Bucket(bucketJournal).Stats().KeyN
		return tx.Bucket(bucketSeen).ForEach(func(k, v []byte) error {
			if len(v) == 8 {
				s.seen[string(k)] = binary.BigEndian.Uint64(v)
			}
			return nil
		})
	})
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// Path is the file the store lives in.
func (s *Store) Path() string { return s.path }

// Base returns the base snapshot; ok is false when none was ever set.
func (s *Store) Base() (b Base, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		m := tx.Bucket(bucketMeta)
		data := m.Get(keyBase)
		if data == nil {
			return nil
		}
		ok = true
		b.Data = append([]byte(nil), data...)
		b.Name = string(m.Get(keyBaseName))
		if t := m.Get(keyBaseTime); t != nil {
			b.Time, _ = time.Parse(time.RFC3339Nano, string(t))
		}
		return nil
	})
	return b, ok, err
}

// Reset makes a snapshot the new base and empties the journal, in one transaction: after a
// crash the store holds either the old base and journal or the new base alone. The stream
// position and the remembered message ids carry on.
func (s *Store) Reset(name string, snapshot []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.db.Update(func(tx *bolt.Tx) error {
		m := tx.Bucket(bucketMeta)
		if err := m.Put(keyBase, snapshot); err != nil {
			return err
		}
		if err := m.Put(keyBaseName, []byte(name)); err != nil {
			return err
		}
		if err := m.Put(keyBaseTime, []byte(time.Now().UTC().Format(time.RFC3339Nano))); err != nil {
			return err
		}
		if err := tx.DeleteBucket(bucketJournal); err != nil {
			return err
		}
		if _, err := tx.CreateBucket(bucketJournal); err != nil {
			return err
		}
		s.n = 0
		return s.pruneSeen(tx)
	})
}

// pruneSeen forgets the oldest message ids beyond maxSeen; the broker redelivers only recent ones.
func (s *Store) pruneSeen(tx *bolt.Tx) error {
	if len(s.seen) <= s.maxSeen {
		return nil
	}
	cut := s.seq - uint64(s.maxSeen)
	b := tx.Bucket(bucketSeen)
	for id, seq := range s.seen {
		if seq <= cut {
			if err := b.Delete([]byte(id)); err != nil {
				return err
			}
			delete(s.seen, id)
		}
	}
	return nil
}

// Seen reports whether a message id was already applied.
func (s *Store) Seen(msgID string) bool {
	s.mu.RLock()
	_, ok := s.seen[msgID]
	s.mu.RUnlock()
	return ok
}

// ErrDuplicate is Append's answer for a message id already journaled.
var ErrDuplicate = errors.New("durable: message already applied")

// Append journals one applied event and remembers its message id ("" for none), durably,
// and returns its position.
func (s *Store) Append(msgID string, data []byte) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.seen[msgID]; dup && msgID != "" {
		return 0, ErrDuplicate
	}
	seq := s.seq + 1
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketJournal).Put(k[:], encodeEntry(msgID, data)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketMeta).Put(keySeq, k[:]); err != nil {
			return err
		}
		if msgID == "" {
			return nil
		}
		return tx.Bucket(bucketSeen).Put([]byte(msgID), k[:])
	})
	if err != nil {
		return 0, fmt.Errorf("durable: append %d: %w", seq, err)
	}
	s.seq, s.n = seq, s.n+1
	if msgID != "" {
		s.seen[msgID] = seq
	}
	return seq, nil
}

// encodeEntry is the message id's length (uvarint), the id, then the document.
func encodeEntry(msgID string, data []byte) []byte {
	out := binary.AppendUvarint(make([]byte, 0, len(msgID)+len(data)+2), uint64(len(msgID)))
	out = append(out, msgID...)
	return append(out, data...)
}

func decodeEntry(seq uint64, v []byte) (Entry, error) {
	n, k := binary.Uvarint(v)
	if k <= 0 || uint64(len(v)-k) < n {
		return Entry{}, fmt.Errorf("durable: journal entry %d is corrupt", seq)
	}
	return Entry{Seq: seq, MsgID: string(v[k : k+int(n)]), Data: append([]byte(nil), v[k+int(n):]...)}, nil
}

// Replay calls fn with every journal entry in order.
func (s *Store) Replay(fn func(Entry) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketJournal).ForEach(func(k, v []byte) error {
			if len(k) != 8 {
				return fmt.Errorf("durable: journal key %x is corrupt", k)
			}
			e, err := decodeEntry(binary.BigEndian.Uint64(k), v)
			if err != nil {
				return err
			}
			return fn(e)
		})
	})
}

// Position is the sequence number of the last journaled event (0 before any).
func (s *Store) Position() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.seq
}

// Len is the number of journal entries since the base.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.n
}
