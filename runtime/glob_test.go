package runtime

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestGlobKeys(t *testing.T) {
	for pattern, cases := range map[string]map[string]bool{
		"*.start":                         {"port.create.start": true, "start": false, ".start": true, "port.create.end": false},
		"scheduler.select_destinations.*": {"scheduler.select_destinations.start": true, "scheduler.select_destinations": false},
		"a*b*c":                           {"abc": true, "a-b-c": true, "acb": false, "a-b": false, "abcc": true, "abcb": false},
		"*":                               {"": true, "x": true},
	} {
		g := glob(strings.Split(pattern, "*"))
		for key, want := range cases {
			assert.Equal(t, want, g.MatchString(key), "%s ~ %s", key, pattern)
		}
	}
}
