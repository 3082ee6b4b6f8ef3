package compiler

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDidYouMean(t *testing.T) {
	names := []string{"port", "network", "create_vm", "subnet_id"}
	assert.Equal(t, "; did you mean port?", didYouMean("prt", names))
	assert.Equal(t, "; did you mean network?", didYouMean("netwrok", names), "a swap is one edit")
	assert.Equal(t, "; did you mean subnet_id?", didYouMean("subnt_id", names))
	assert.Equal(t, "", didYouMean("delete_vm", names), "four edits is another word")
	assert.Equal(t, "", didYouMean("port", names), "the name itself is not a suggestion")
}
