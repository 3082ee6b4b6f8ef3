package findings

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// Sink delivers finding documents (OCSF JSON) to a file, an HTTP endpoint, or both. A
// document for the endpoint is first written to the spool directory and removed only once
// the endpoint took it (a 2xx): while the endpoint is down nothing is lost, and what is
// spooled is sent in order when it is back (or after a restart).
type Sink struct {
	SinkConfig
	log  *slog.Logger
	mu   sync.Mutex
	seq  int64
	wake chan struct{}
}

// SinkConfig says where findings go.
type SinkConfig struct {
	// Format of the documents: "ocsf" (JSON, the default) or "idmef" (XML, one
	// IDMEF-Message a document).
	Format string
	File   string // append one document a line; "" for none
	URL    string // POST each document (application/json); "" for none
	Spool  string // directory of documents not yet taken by URL; required with URL
	// Retries per document before the sender rests and starts again (bounded).
	Retries int
	Backoff time.Duration // first pause between retries, doubled each time
	Client  *http.Client
}

// Enabled says whether findings go anywhere.
func (c SinkConfig) Enabled() bool { return c.File != "" || c.URL != "" }

// Start checks the configuration and starts the sender (until ctx ends).
func (c SinkConfig) Start(ctx context.Context, log *slog.Logger) (*Sink, error) {
	if c.Format == "" {
		c.Format = "ocsf"
	}
	if c.Format != "ocsf" && c.Format != "idmef" {
		return nil, fmt.Errorf("findings sink: format %q: want ocsf or idmef", c.Format)
	}
	s := &Sink{SinkConfig: c, log: log, wake: make(chan struct{}, 1)}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.URL == "" {
		return s, nil
	}
	if s.Spool == "" {
		return nil, errors.New("findings sink: an HTTP endpoint needs a spool directory")
	}
	if err := os.MkdirAll(s.Spool, 0o700); err != nil {
		return nil, fmt.Errorf("findings sink: %w", err)
	}
	if s.Client == nil {
		s.Client = &http.Client{Timeout: 10 * time.Second}
	}
	s.Retries, s.Backoff = max(s.Retries, 1), max(s.Backoff, 10*time.Millisecond)
	go s.send(ctx)
	return s, nil
}

// Put delivers one document.
func (s *Sink) Put(doc []byte) error {
	var errs []error
	if s.File != "" {
		errs = append(errs, appendLine(s.File, doc))
	}
	if s.URL != "" {
		errs = append(errs, s.spool(doc))
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	return errors.Join(errs...)
}

func appendLine(path string, doc []byte) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(append(bytes.TrimRight(doc, "\n"), '\n'))
	return errors.Join(err, f.Close())
}

// spool writes the document under a name that sorts in arrival order, atomically.
func (s *Sink) spool(doc []byte) error {
	s.mu.Lock()
	s.seq++
	name := fmt.Sprintf("%020d-%06d.json", time.Now().UnixNano(), s.seq)
	s.mu.Unlock()
	tmp := filepath.Join(s.Spool, "."+name)
	if err := os.WriteFile(tmp, doc, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(s.Spool, name))
}

// Pending lists the spooled documents not yet taken, oldest first.
func (s *Sink) Pending() ([]string, error) {
	ents, err := os.ReadDir(s.Spool)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if n := e.Name(); !e.IsDir() && n[0] != '.' {
			out = append(out, filepath.Join(s.Spool, n))
		}
	}
	slices.Sort(out)
	return out, nil
}

func (s *Sink) send(ctx context.Context) {
	rest := time.NewTicker(max(s.Backoff*8, time.Second))
	defer rest.Stop()
	for {
		s.drain(ctx)
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-rest.C:
		}
	}
}

// drain sends what is spooled in order; it stops at the first document the endpoint does
// not take after the retries, so that order is kept.
func (s *Sink) drain(ctx context.Context) {
	files, err := s.Pending()
	if err != nil {
		s.log.Error("findings sink: spool", "err", err)
		return
	}
	for _, f := range files {
		doc, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if err := s.post(ctx, doc); err != nil {
			s.log.Warn("findings sink: endpoint did not take a finding; kept in the spool", "url", s.URL, "pending", len(files), "err", err)
			return
		}
		_ = os.Remove(f)
	}
}

func (s *Sink) contentType() string {
	if s.Format == "idmef" {
		return "application/xml"
	}
	return "application/json"
}

func (s *Sink) post(ctx context.Context, doc []byte) error {
	wait := s.Backoff
	var err error
	for attempt := 0; attempt < s.Retries; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
			wait *= 2
		}
		var req *http.Request
		if req, err = http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(doc)); err != nil {
			return err
		}
		req.Header.Set("Content-Type", s.contentType())
		var resp *http.Response
		if resp, err = s.Client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return nil
			}
			err = fmt.Errorf("HTTP %d", resp.StatusCode)
		}
	}
	return err
}
