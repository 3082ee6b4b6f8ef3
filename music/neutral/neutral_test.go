package neutral_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/music/neutral"
	"pvsc.dev/pvsc/runtime"
	music "pvsc.dev/pvsc/specs/music"
)

func TestOfGivesBackTheParametersByName(t *testing.T) {
	e, err := runtime.New(music.Spec, nil, runtime.Options{})
	require.NoError(t, err)
	in := map[string]any{"provider_id": "cloud-a", "community_id": "icc", "tags": []any{"eu", "navigation"}, "trust": "confidential", "cost": 7}
	ops, err := e.Neutral("register_provider", in)
	require.NoError(t, err)
	require.Len(t, ops, 1)
	got := neutral.Of(e, &ops[0])
	assert.Equal(t, neutral.Op{Event: "register_provider", Params: map[string]any{
		"provider_id": "cloud-a", "community_id": "icc", "tags": []string{"eu", "navigation"}, "trust": "confidential", "cost": int64(7),
	}}, got, "absent parameters (sla) stay absent")
}
