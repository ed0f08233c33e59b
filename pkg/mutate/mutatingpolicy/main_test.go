package mutatingpolicy

import (
	"os"
	"testing"

	"github.com/go-logr/logr"
	"k8s.io/klog/v2"
)

// TestMain keeps the plugin's informers' klog lines (the composer
// discards them too, cmd/composer) out of the tests' and benchmarks'
// output, which make bench reads.
func TestMain(m *testing.M) {
	klog.SetLogger(logr.Discard())
	os.Exit(m.Run())
}
