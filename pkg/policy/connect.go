package policy

import (
	"context"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1alpha1"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// Connect judges a SparkConnect, composed, as the validating webhook does
// when it is created or its spec changes: as the application its server
// runs (mutate.ConnectApp), by the pods it launches
// (mutate.ConnectLaunchedPod: the server's pod from its template, an
// executor as Spark sizes it), each judged as a pod is, and as a whole
// (input.application: its executors against maxExecutorsPerApp, the server
// and every executor against maxAppCPU and maxAppMemory and the
// namespace's totals with what is live now), as App judges a
// SparkApplication. No spark-submit runs in the operator for it, so
// nothing of App's submission rules applies. Nothing is reserved: the
// pods reserve their quota when they are created, and are judged then
// whatever this said. An error is an internal failure, never a verdict.
func (c *Check) Connect(ctx context.Context, conn *sparkv1alpha1.SparkConnect, req Request, live LiveState) (Decision, error) {
	l := launched{kind: sparkv1alpha1.Kind, app: mutate.ConnectApp(conn), exposure: connectExposure(conn), objects: connectObjects(conn),
		pod: func(role v1alpha1.Role) (*corev1.Pod, error) { return mutate.ConnectLaunchedPod(conn, role) }}
	_, d, err := c.app(ctx, l, req, live, nil)
	// The driver is the server.
	for i, v := range d.Violations {
		if m, ok := strings.CutSuffix(v.Message, " [driver pod]"); ok {
			d.Violations[i].Message = m + " [server pod]"
		}
	}
	return d, err
}
