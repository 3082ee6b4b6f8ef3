package loadgen

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunIsBoundedAndCountsErrors(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%10 == 0 {
			http.Error(w, "no", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte(`{"verdict":"allow"}`))
	}))
	defer srv.Close()
	t0 := time.Now()
	res, err := Run(context.Background(), Config{URL: srv.URL + "/v1/decide", Bodies: [][]byte{[]byte(`{"op":"x"}`)},
		Rate: 2000, Duration: 500 * time.Millisecond, MaxRequests: 600, Workers: 4})
	require.NoError(t, err)
	assert.Less(t, time.Since(t0), 2*time.Second)
	assert.Equal(t, 600, res.Sent, "the count bound wins over rate x duration (1000)")
	assert.Equal(t, int64(600), n.Load())
	assert.Equal(t, 60, res.Errors)
	assert.Equal(t, map[string]int{"HTTP 503": 60}, res.ErrorKinds)
	assert.Positive(t, res.P50)
	assert.LessOrEqual(t, res.P50, res.P99)
	assert.LessOrEqual(t, res.P99, res.Max)
}

func TestUnreachableTargetIsAnErrorPerRequest(t *testing.T) {
	res, err := Run(context.Background(), Config{URL: "http://127.0.0.1:1/", Rate: 1000, Duration: 50 * time.Millisecond, Workers: 2})
	require.NoError(t, err)
	assert.Equal(t, 50, res.Errors)
	assert.Equal(t, map[string]int{"connect": 50}, res.ErrorKinds)
	_, err = Run(context.Background(), Config{URL: "https://x/", Rate: 1, Duration: time.Second})
	assert.EqualError(t, err, `loadgen: "https://x/": want an http:// URL`)
}
