package mutate

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// CheckConfKeys returns an error naming the first key or name of app that
// the Spark Operator passes to spark-submit inside the key of a --conf
// argument ("--conf <prefix><name>=<value>") and that holds "=".
// spark-submit ends such an argument's key at its first "="
// (SparkSubmitUtils.parseSparkConfProperty) and takes the rest as the
// value: a sparkConf key "spark.eventLog.dir=s3a://b/x" of value "y" sets
// spark.eventLog.dir to "s3a://b/x=y". So such a key is another setting
// than the one it names, past what the layers give that setting, past
// every rule on it, and past the composition, which would state the
// layers' value as the winner. Nothing Spark reads needs "=" in a key.
//
// The fields are those the operator puts in a key
// (internal/controller/sparkapplication/submission.go): sparkConf,
// hadoopConf, spec.nodeSelector, and each section's labels, annotations,
// nodeSelector, envVars, envSecretKeyRefs, the names of its secrets and
// volume mounts, and the driver's service labels and annotations.
func CheckConfKeys(app *sparkv1beta2.SparkApplication) error {
	s := &app.Spec
	if err := keysWithout("spec.sparkConf", "", s.SparkConf); err != nil {
		return err
	}
	if err := keysWithout("spec.hadoopConf", overlay.SparkHadoopPrefix, s.HadoopConf); err != nil {
		return err
	}
	if err := keysWithout("spec.nodeSelector", overlay.SparkNodeSelectorPrefix, s.NodeSelector); err != nil {
		return err
	}
	for _, role := range Roles() {
		sec := s.Pod(string(role))
		field := "spec." + string(role)
		prefix := "spark.kubernetes." + string(role) + "."
		for _, m := range []struct {
			name, prefix string
			keys         map[string]string
		}{
			{"labels", prefix + "label.", sec.Labels},
			{"annotations", prefix + "annotation.", sec.Annotations},
			{"nodeSelector", prefix + "node.selector.", sec.NodeSelector},
			{"envVars", overlay.SparkEnvPrefix(role), sec.EnvVars},
		} {
			if err := keysWithout(field+"."+m.name, m.prefix, m.keys); err != nil {
				return err
			}
		}
		if err := keysWithout(field+".envSecretKeyRefs", secretKeyRefPrefix(role), sec.EnvSecretKeyRefs); err != nil {
			return err
		}
		for i := range sec.Secrets {
			if err := nameWithout(fmt.Sprintf("%s.secrets[%d].name", field, i), sparkSecretsPrefix(role), "", sec.Secrets[i].Name); err != nil {
				return err
			}
		}
		for i := range sec.VolumeMounts {
			if err := nameWithout(fmt.Sprintf("%s.volumeMounts[%d].name", field, i), prefix+"volumes.<type>.", ".mount.path", sec.VolumeMounts[i].Name); err != nil {
				return err
			}
		}
		if role == v1alpha1.RoleDriver {
			if err := keysWithout(field+".serviceLabels", prefix+"service.label.", s.Driver.ServiceLabels); err != nil {
				return err
			}
			if err := keysWithout(field+".serviceAnnotations", prefix+"service.annotation.", s.Driver.ServiceAnnotations); err != nil {
				return err
			}
		}
	}
	return nil
}

// keysWithout returns an error naming the first key of m, in order, that
// holds "=": m is the map at field, whose keys the operator passes after
// prefix.
func keysWithout[V any](field, prefix string, m map[string]V) error {
	var bad []string
	for k := range m {
		if strings.Contains(k, "=") {
			bad = append(bad, k)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	k := slices.Min(bad)
	return confKeyError(overlay.KeyPath(field, k), prefix+k)
}

// nameWithout returns an error when name, at field, holds "=": the
// operator passes it between prefix and suffix.
func nameWithout(field, prefix, suffix, name string) error {
	if !strings.Contains(name, "=") {
		return nil
	}
	return confKeyError(fmt.Sprintf("%s %s", field, quoteClipped(name)), prefix+name+suffix)
}

// confKeyError says why what is at where, passed as key, is refused.
func confKeyError(where, key string) error {
	read, _, _ := strings.Cut(key, "=")
	return fmt.Errorf(`%s: must not hold "=": the Spark Operator passes it to spark-submit as --conf %s=<value>, which spark-submit reads as key %s (a key ends at its first "=")`,
		clipped(where), clipped(key), quoteClipped(read))
}

// maxQuoted is the most of a tenant's string a message repeats.
const maxQuoted = 256

// clipped is s cut to maxQuoted bytes, marked when cut.
func clipped(s string) string {
	if len(s) <= maxQuoted {
		return s
	}
	return strings.ToValidUTF8(s[:maxQuoted], "") + "..."
}

// quoteClipped is s, clipped, quoted.
func quoteClipped(s string) string { return strconv.Quote(clipped(s)) }
