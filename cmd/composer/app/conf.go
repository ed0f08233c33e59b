package app

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/manifest"
	"github.com/strata-dev/strata/pkg/overlay/sparkvalue"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// Formats of `composer conf`.
const (
	formatProperties = "properties"
	formatSubmit     = "submit"
)

type confOptions struct {
	propertiesFile string
	repo           repoFlags
	namespace      string
	role           string
	format         string
	fsys           filesys.FileSystem
}

func newConfCommand(_ context.Context, streams Streams) *cobra.Command {
	o := &confOptions{fsys: filesys.MakeFsOnDisk()}
	cmd := &cobra.Command{
		Use:   "conf --layers DIR --namespace NS --cluster NAME --pool NAME [--role driver|executor] [-f user.properties] [--format properties|submit]",
		Short: "Print the Spark configuration the layers give a spark-submit job in a namespace",
		Long: `Conf composes the layers for a job submitted with plain spark-submit in a
namespace: the user's own properties file (-f, spark-defaults.conf format;
"-" reads standard input) is the user's tier, between the defaults and the
overrides, exactly as a SparkApplication's sparkConf is. It prints the
effective Spark configuration, one key=value line per key sorted by key (a
spark-defaults.conf), or the --conf arguments of spark-submit (--format
submit). --role keeps the keys of one role: the driver's (and the job's), or
the executors'. The pods of the job still pass the admission webhook, which
composes what a Spark key cannot say (sidecars, volumes, IAM).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context(), streams) },
	}
	f := cmd.Flags()
	f.StringVarP(&o.propertiesFile, "filename", "f", "", "the job's own Spark properties (spark-defaults.conf format); - for standard input")
	o.repo.add(cmd)
	f.StringVar(&o.namespace, "namespace", "", "namespace the job runs in")
	f.StringVar(&o.role, "role", "", "print only the keys of one role: driver (and the job's) or executor")
	f.StringVar(&o.format, "format", formatProperties, "output format: properties (key=value lines) or submit (--conf arguments)")
	_ = cmd.MarkFlagRequired("namespace")
	return cmd
}

func (o *confOptions) run(ctx context.Context, streams Streams) error {
	if o.format != formatProperties && o.format != formatSubmit {
		return badInput(fmt.Errorf("--format: unknown format %q (want properties or submit)", o.format))
	}
	if o.role != "" && o.role != string(v1alpha1.RoleDriver) && o.role != string(v1alpha1.RoleExecutor) {
		return badInput(fmt.Errorf("--role: unknown role %q (want driver or executor)", o.role))
	}
	props, err := o.readProperties(streams.In)
	if err != nil {
		return badInput(err)
	}
	snap, err := o.repo.snapshot(ctx, o.fsys, streams.Err, []string{o.namespace})
	if err != nil {
		return badInput(err)
	}
	res, err := mutate.ComposeSubmitJob(snap, o.repo.cluster, o.namespace, props)
	if err != nil {
		return badInput(err)
	}
	for _, w := range res.Warnings {
		_, _ = fmt.Fprintf(streams.Err, "Warning: %s\n", w) // diagnostics
	}
	conf := res.SubmitConf()
	var b strings.Builder
	for _, key := range slices.Sorted(maps.Keys(conf)) {
		if o.role != "" && string(overlay.SparkKeyRole(key)) != o.role {
			continue
		}
		if o.format == formatSubmit {
			// spark-submit takes --conf's value as given, up to the first
			// '=' its key: a key holding one cannot be passed so.
			if strings.Contains(key, "=") {
				return badInput(fmt.Errorf("key %q holds '=': spark-submit's --conf would read it as key %q; use --format properties (spark-submit --properties-file)",
					key, key[:strings.IndexByte(key, '=')]))
			}
			fmt.Fprintf(&b, "--conf %s\n", shellQuote(key+"="+conf[key]))
			continue
		}
		b.WriteString(sparkvalue.PropertiesLine(key, conf[key]) + "\n")
	}
	_, err = io.WriteString(streams.Out, b.String())
	return err
}

func (o *confOptions) readProperties(stdin io.Reader) (map[string]string, error) {
	switch o.propertiesFile {
	case "":
		return nil, nil
	case "-":
		data, err := io.ReadAll(io.LimitReader(stdin, 64<<20+1))
		if err != nil {
			return nil, fmt.Errorf("-f: reading <stdin>: %w", err)
		}
		return manifest.DecodeProperties("<stdin>", data)
	}
	data, err := os.ReadFile(o.propertiesFile)
	if err != nil {
		return nil, fmt.Errorf("-f: reading %s: %w", o.propertiesFile, err)
	}
	return manifest.DecodeProperties(o.propertiesFile, data)
}

// shellQuote quotes s for a POSIX shell when it holds anything but
// characters a shell leaves alone.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && !slices.Contains([]rune("=._-/:,@%+"), r)
	}) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
