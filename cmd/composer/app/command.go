package app

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// ExitCode is the composer's exit status.
type ExitCode int

// The composer's exit statuses.
const (
	// ExitOK means the command did what was asked.
	ExitOK ExitCode = 0
	// ExitDenied means a policy denies a pod (compose --validate), or a
	// test case failed (test).
	ExitDenied ExitCode = 1
	// ExitInput means bad usage or bad input: a flag, a pod file or a layer.
	ExitInput ExitCode = 2
)

// Streams are the command's standard input, output and error.
type Streams struct {
	In       io.Reader
	Out, Err io.Writer
}

// inputError marks an error as the user's input being wrong (exit 2).
type inputError struct{ err error }

func (e *inputError) Error() string { return e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

func badInput(err error) error { return &inputError{err: err} }

// deniedError marks a run whose pods a policy denies, or whose tests failed (exit 1).
type deniedError struct{ err error }

func (e *deniedError) Error() string { return e.err.Error() }
func (e *deniedError) Unwrap() error { return e.err }

// Run runs the composer with args (without the program name) and returns its
// exit status. Errors are printed on streams.Err as one line each, prefixed
// "composer: "; nothing panics and no stack trace reaches the user.
func Run(ctx context.Context, args []string, streams Streams) ExitCode {
	cmd := NewCommand(ctx, streams)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	_, _ = fmt.Fprintf(streams.Err, "composer: %v\n", err) // nothing more to do when stderr fails
	var ie *inputError
	if errors.As(err, &ie) {
		return ExitInput
	}
	var de *deniedError
	if errors.As(err, &de) {
		return ExitDenied
	}
	// Cobra's own errors (unknown flag or command, missing argument) are usage errors.
	return ExitInput
}

// NewCommand returns the composer's root command.
func NewCommand(ctx context.Context, streams Streams) *cobra.Command {
	root := &cobra.Command{
		Use:           "composer",
		Short:         "Compose Strata layers onto Spark pods, offline, exactly as the webhook does",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.Err)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return badInput(err) })
	root.AddCommand(newComposeCommand(ctx, streams), newTestCommand(ctx, streams), newConfCommand(ctx, streams), newDiffCommand(ctx, streams), newShadowReportCommand(ctx, streams))
	return root
}
