package exchange

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/server/feed"
	"pvsc.dev/pvsc/specs/openstack"
)

// TestStartRefusesBadFlags: a configuration that cannot work stops pvsc serve at start, with
// what to fix, before anything is published or consumed.
func TestStartRefusesBadFlags(t *testing.T) {
	dir := t.TempDir()
	badRule := filepath.Join(dir, "rule.json")
	require.NoError(t, os.WriteFile(badRule, []byte(`{"reputation_wieght": 0.7}`), 0o644))
	outOfRange := filepath.Join(dir, "range.json")
	require.NoError(t, os.WriteFile(outOfRange, []byte(`{"decay": 2}`), 0o644))
	cases := map[string][]string{
		"our organisation (--alerts-org) are required": {"--alerts-out", "amqp://x"},
		`format "yaml" (want xml or json)`:             {"--alerts-out", "amqp://x", "--alerts-org", "o", "--alerts-format", "yaml"},
		`unknown field "reputation_wieght"`:            {"--alerts-in", "amqp://x", "--alerts-trust-config", badRule},
		"decay 2: want 0..1":                           {"--alerts-in", "amqp://x", "--alerts-trust-config", outOfRange},
	}
	p := cloud(t)
	for want, args := range cases {
		var f Flags
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		f.Register(fs)
		require.NoError(t, fs.Parse(args))
		require.True(t, f.Enabled())
		err := f.Start(t.Context(), &fakeSource{Pipeline: p}, io.Discard)
		require.Error(t, err, want)
		assert.Contains(t, err.Error(), want)
	}
}

// TestReceiverNeedsTheMusicModel: --alerts-in on a spec without providers says so.
func TestReceiverNeedsTheMusicModel(t *testing.T) {
	e, err := runtime.New(openstack.Spec, nil, runtime.Options{})
	require.NoError(t, err)
	p := feed.New(feed.Config{Engine: e})
	_, err = p.Load("empty", []byte("{}"))
	require.NoError(t, err)
	_, err = NewReceiver(ReceiveConfig{Self: "o"}, p)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "needs the music model, specs/music")
	t.Log(err)
}
