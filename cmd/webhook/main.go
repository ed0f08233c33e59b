// Command webhook is Strata's admission webhook: it composes the layers onto
// every Spark pod the API server admits, and validates Layers.
package main

import (
	"fmt"
	"os"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/strata-dev/strata/cmd/webhook/app"
)

func main() {
	ctx := ctrl.SetupSignalHandler()
	cmd := app.NewCommand(ctx, app.Run)
	cmd.SetArgs(os.Args[1:])
	if err := cmd.Execute(); err != nil {
		fmt.Fprintf(os.Stderr, "webhook: %v\n", err)
		os.Exit(int(app.ExitCodeOf(err)))
	}
}
