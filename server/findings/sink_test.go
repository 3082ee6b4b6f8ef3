package findings

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSinkKeepsWhatTheEndpointDidNotTake: while the endpoint refuses, documents stay in
// the spool; once it takes them they arrive in order and the spool empties.
func TestSinkKeepsWhatTheEndpointDidNotTake(t *testing.T) {
	var up atomic.Bool
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !up.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, string(b))
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	dir := t.TempDir()
	file := filepath.Join(dir, "findings.ocsf.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := SinkConfig{File: file, URL: srv.URL, Spool: filepath.Join(dir, "spool"), Retries: 2, Backoff: 5 * time.Millisecond}.Start(ctx, nil)
	require.NoError(t, err)
	for _, d := range []string{`{"n":1}`, `{"n":2}`, `{"n":3}`} {
		require.NoError(t, s.Put([]byte(d)))
	}
	time.Sleep(100 * time.Millisecond)
	pending, err := s.Pending()
	require.NoError(t, err)
	assert.Len(t, pending, 3, "nothing is lost while the endpoint is down")

	up.Store(true)
	require.NoError(t, s.Put([]byte(`{"n":4}`)))
	require.Eventually(t, func() bool { p, _ := s.Pending(); return len(p) == 0 }, 5*time.Second, 10*time.Millisecond)
	mu.Lock()
	assert.Equal(t, []string{`{"n":1}`, `{"n":2}`, `{"n":3}`, `{"n":4}`}, got, "in order")
	mu.Unlock()
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, 4, strings.Count(string(b), "\n"), "the file has every document")
}

func TestSinkNeedsASpoolForAnEndpoint(t *testing.T) {
	_, err := SinkConfig{URL: "http://x"}.Start(context.Background(), nil)
	assert.ErrorContains(t, err, "spool directory")
}
