package runtime

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestAppendJSONStringEqualsEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `"quoted" \ back`, "tab\tnl\nctl\x01\x1f", "<html> & co", "\u2028\u2029", "bad \xff utf-8 é ü 世界"} {
		want, err := json.Marshal(s)
		assert.NoError(t, err)
		assert.Equal(t, string(want), string(AppendJSONString(nil, s)), "%q", s)
	}
}
