package opa

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/lab/cloudgen"
)

// BenchmarkDecide times one critical decision per property on the paper's
// largest dataset (100,000 ports, 10,000 tenants), allowed and violating.
func BenchmarkDecide(b *testing.B) {
	c := cloudgen.NewOpenStack(1, cloudgen.Paper())
	var snap bytes.Buffer
	require.NoError(b, c.WriteSnapshot(&snap, nil))
	ctx := context.Background()
	g, err := c.NewStream(1, cloudgen.StreamConfig{})
	require.NoError(b, err)
	for _, prop := range Properties {
		data, err := Data(bytes.NewReader(snap.Bytes()))
		require.NoError(b, err)
		p, err := New(ctx, prop, data)
		require.NoError(b, err)
		for _, violate := range []bool{false, true} {
			l, ok := g.Critical(prop, violate)
			require.True(b, ok)
			name := prop + map[bool]string{false: "/allow", true: "/deny"}[violate]
			b.Run(name, func(b *testing.B) {
				for b.Loop() {
					if _, err := p.Decide(ctx, l.Op, l.Params); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
