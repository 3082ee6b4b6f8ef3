package decisionlog

import (
	"encoding/json"
	"os"
	"time"

	"pvsc.dev/pvsc/server/findings"
)

var stdout = os.Stdout

// findingLine is a finding as one decision-log line.
func findingLine(f findings.Finding, kind string) ([]byte, error) {
	b, err := json.Marshal(struct {
		Time    string           `json:"time"`
		Source  string           `json:"source"`
		Finding string           `json:"finding"`
		Detail  findings.Finding `json:"detail"`
	}{time.Now().UTC().Format(time.RFC3339Nano), "audit", kind, f})
	return append(b, '\n'), err
}
