// Command composer is Strata's dry-run composer: it builds a layer repository
// in-process and shows what the admission webhook will do to Spark pods.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/go-logr/logr"
	"k8s.io/klog/v2"

	"github.com/strata-dev/strata/cmd/composer/app"
)

func main() {
	// The API server's MutatingAdmissionPolicy plugin, which the dry run
	// runs, logs its informers' progress through klog: not the composer's
	// to print. What fails there reaches the composer as an error.
	klog.SetLogger(logr.Discard())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := app.Run(ctx, os.Args[1:], app.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	stop()
	os.Exit(int(code))
}
