package app

import (
	"context"
	"errors"
	goflag "flag"

	"github.com/spf13/cobra"
)

// ExitCode is the webhook's exit status.
type ExitCode int

// The webhook's exit statuses.
const (
	// ExitOK is a clean shutdown.
	ExitOK ExitCode = 0
	// ExitRuntime is a failure while running: the manager, the API server.
	ExitRuntime ExitCode = 1
	// ExitUsage is a bad flag or option.
	ExitUsage ExitCode = 2
)

type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// ExitCodeOf maps an error returned by the command to the exit status.
func ExitCodeOf(err error) ExitCode {
	if err == nil {
		return ExitOK
	}
	var ue *usageError
	if errors.As(err, &ue) {
		return ExitUsage
	}
	return ExitRuntime
}

// NewCommand returns the webhook command. run is called with the parsed and
// validated options; main passes Run, tests pass their own.
func NewCommand(ctx context.Context, run func(context.Context, *Options) error) *cobra.Command {
	opts := DefaultOptions()
	cmd := &cobra.Command{
		Use:           "webhook --cluster NAME --pool NAME",
		Short:         "Strata admission webhook: compose layers onto Spark pods and validate Layers",
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.Validate(); err != nil {
				return &usageError{err: err}
			}
			return run(ctx, opts)
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err: err} })
	opts.AddFlags(cmd.Flags())
	zapFlags := goflag.NewFlagSet("zap", goflag.ContinueOnError)
	opts.Zap.BindFlags(zapFlags)
	cmd.Flags().AddGoFlagSet(zapFlags)
	return cmd
}
