package policy

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/sparkvalue"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// Isolation's built-in check of what would make the Spark Operator's
// spark-submit act for the tenant with what is the operator's.
const (
	isolationPolicy = "isolation"
	submissionCheck = "submission"
)

// The Spark settings spark-submit reads where it runs, and what the
// operator sets itself: with the operator, spark-submit runs in the
// operator's pod, with its service account and its filesystem.
const (
	namespaceKey    = "spark.kubernetes.namespace"
	uploadPathKey   = "spark.kubernetes.file.upload.path"
	authenticateKey = "spark.kubernetes.authenticate."
	waitKey         = "spark.kubernetes.submission.waitAppCompletion"
	contextKey      = "spark.kubernetes.context"
	// Read by spark-submit as it builds the driver's pod, where it runs.
	volcanoTemplateKey = "spark.kubernetes.scheduler.volcano.podGroupTemplateFile"
	driverStepsKey     = "spark.kubernetes.driver.pod.featureSteps"
	trustCertsKey      = "spark.kubernetes.trust.certificates"
)

// operatorFile says what a file local to spark-submit is, with the
// operator: the operator's.
const operatorFile = "a file where the operator submits, which spark-submit would upload for the driver: the operator's"

// submissionProblems are the settings of app that would make the
// operator's spark-submit act outside what its tenant owns, each a
// sentence naming the field, its value and what it would do:
//   - spec.mode client runs the application's driver, the tenant's code,
//     inside the process that submits it: the operator's;
//   - spark.kubernetes.namespace other than the application's creates its
//     pods in another namespace;
//   - spark.kubernetes.authenticate.* (but the service accounts and the
//     driver's or executors' mounted files, which are the tenant's) name
//     credentials or files spark-submit reads where it runs: the
//     operator's, which it would hand to the driver;
//   - spark.kubernetes.context picks a context of the kubeconfig where
//     spark-submit runs (Spark builds its client from it, the API server's
//     address aside): the operator's credentials, chosen by the tenant;
//   - spark.kubernetes.trust.certificates but false: spark-submit would
//     take any certificate for the API server's and send the operator's
//     token to whoever presents one;
//   - spark.kubernetes.file.upload.path uploads files from the operator's
//     filesystem (any local file the application names) to where the
//     tenant reads them;
//   - spark.kubernetes.{driver,executor}.podTemplateFile reads a pod
//     template from the operator's filesystem (spec.driver.template and
//     spec.executor.template are the tenant's), and
//     spark.kubernetes.scheduler.volcano.podGroupTemplateFile the template
//     of the PodGroup it creates;
//   - spark.kubernetes.driver.pod.featureSteps names classes spark-submit
//     instantiates and runs as it builds the driver's pod: in the
//     operator's JVM (the executors' run in the driver, the tenant's own);
//   - spark.kerberos.keytab (spark.yarn.keytab before Spark 3) and
//     spark.kubernetes.kerberos.krb5.path name files spark-submit reads
//     where it runs and uploads for the driver: the operator's;
//   - spark.jars.ivy and spark.jars.ivySettings: where spark-submit,
//     which resolves the application's packages where it runs, writes what
//     it downloads, and the settings it resolves them by: in the
//     operator's filesystem, where the next submission, any tenant's,
//     would load them from;
//   - a file local to spark-submit (sparkvalue.SubmitterLocal) as the
//     main application file, in spec.deps' jars, files, pyFiles or
//     archives, or in spark.jars, spark.files, spark.submit.pyFiles or
//     spark.archives: spark-submit uploads it from the operator's
//     filesystem for the driver, wherever the upload path a layer gives
//     points (the operator's service account token, for one); and a
//     repository local to it, in spec.deps.repositories or
//     spark.jars.repositories, from which it would resolve packages;
//   - spark.kubernetes.submission.waitAppCompletion but false (the value
//     the operator gives it, which sparkConf would override): spark-submit
//     would wait until the application ends, holding one of the
//     operator's workers, which every tenant's applications share.
//
// Left alone, as they cannot do any of that: spark.master and
// spark.submit.deployMode (the operator's --master and --deploy-mode win
// over them), spark.kubernetes.driver.master (the driver's own API
// server, asked with the driver's credentials; spec.driver.kubernetesMaster
// sets it too).
//
// A Spark setting the layers give the application (platform reports
// whether they give key that value) is the platform's, never a problem.
func submissionProblems(app *sparkv1beta2.SparkApplication, platform func(key, value string) bool) []string {
	var out []string
	if m := app.Spec.Mode; m != "" && m != "cluster" {
		out = append(out, fmt.Sprintf("spec.mode %q would run the application's driver inside the Spark Operator, with its credentials; only cluster mode is admitted", m))
	}
	// The main file is one resource, read as written: untrimmed.
	if f := app.Spec.MainApplicationFile; f != nil && *f != "" && sparkvalue.SubmitterLocal(*f) {
		out = append(out, fmt.Sprintf("spec.mainApplicationFile %q: %s", *f, localFileAdvice))
	}
	for _, l := range dependencyLists {
		if list := l.of(&app.Spec.Deps); len(list) > 0 && platform(l.Key, strings.Join(list, ",")) {
			continue // a layer's list, in the field that wins over its key
		}
		for i, entry := range l.of(&app.Spec.Deps) {
			out = append(out, l.localEntries(entry, func(e string) string { return fmt.Sprintf("spec.deps.%s[%d] %q", l.Field, i, e) })...)
		}
	}
	for _, key := range slices.Sorted(maps.Keys(app.Spec.SparkConf)) {
		value := app.Spec.SparkConf[key]
		if platform(key, value) {
			continue
		}
		l, listed := listedUnder(key)
		what := ""
		switch {
		case key == namespaceKey && value != app.Namespace:
			what = fmt.Sprintf("the operator would create the application's pods in namespace %s, not %q", strconv.Quote(value), app.Namespace)
		case strings.HasPrefix(key, authenticateKey) && !tenantAuthKey(key):
			what = "names credentials or files where the operator submits: its own, which spark-submit would hand to the driver"
		case key == contextKey:
			what = "a context of the kubeconfig where the operator submits: the operator's credentials, which spark-submit would submit with"
		case key == trustCertsKey && !switchedOff(value):
			what = "spark-submit would take any certificate for the API server's and send it the operator's credentials; only false is admitted"
		case key == uploadPathKey:
			what = "spark-submit would upload there the local files the application names, from the operator's filesystem (files in the application's image are named local://)"
		case key == "spark.kubernetes.driver.podTemplateFile" || key == "spark.kubernetes.executor.podTemplateFile":
			what = "a file of the operator's; the application's pod templates are spec.driver.template and spec.executor.template"
		case key == volcanoTemplateKey:
			what = "a file of the operator's, which spark-submit would read as the template of the PodGroup it creates"
		case key == driverStepsKey:
			what = "classes spark-submit would load and run where it builds the driver: in the operator's JVM"
		case key == "spark.kerberos.keytab" || key == "spark.yarn.keytab" || key == "spark.kubernetes.kerberos.krb5.path":
			what = operatorFile
		case key == "spark.jars.ivy" || key == "spark.jars.ivySettings":
			what = "spark-submit resolves the application's packages where the operator submits every tenant's applications; where it writes them and how it resolves them are the operator's"
		case key == waitKey && !switchedOff(value):
			what = "spark-submit would wait in the operator until the application ends, holding one of the operator's workers, which every tenant's applications share; only false is admitted"
		case listed:
			out = append(out, l.localEntries(value, func(e string) string { return fmt.Sprintf("%s lists %q", overlay.KeyPath("spec.sparkConf", key), e) })...)
			continue
		default:
			continue
		}
		out = append(out, fmt.Sprintf("%s %q: %s", overlay.KeyPath("spec.sparkConf", key), value, what))
	}
	return out
}

// switchedOff reports whether Spark reads value as false.
func switchedOff(value string) bool {
	on, err := sparkvalue.ParseSwitch(value)
	return err == nil && !on
}

// tenantAuthKey reports whether a spark.kubernetes.authenticate key names
// what is the tenant's: a service account of its namespace, or a file
// mounted in its own pods.
func tenantAuthKey(key string) bool {
	rest := strings.TrimPrefix(key, authenticateKey)
	for _, role := range []string{"driver.", "executor."} {
		if r, ok := strings.CutPrefix(rest, role); ok && (r == "serviceAccountName" || strings.HasPrefix(r, "mounted.")) {
			return true
		}
	}
	return false
}

// submissionViolations are app's submissionProblems as isolation's
// violations, a value counting as the platform's when the layers give it
// (given).
func submissionViolations(app *sparkv1beta2.SparkApplication, given *layerConf) []Violation {
	platform := func(key, value string) bool { _, ok := given.source(key, value); return ok }
	var out []Violation
	for _, p := range submissionProblems(app, platform) {
		out = append(out, Violation{Policy: isolationPolicy, Check: submissionCheck, Enforcement: v1alpha1.EnforcementDeny,
			Message: fmt.Sprintf("%s: SparkApplication %q: %s", isolationPolicy, app.Name, p)})
	}
	return out
}

// layerConf is what the layers alone (the user's config empty) give the
// Spark configuration of an application in a namespace, each role's
// composition made when first asked for.
type layerConf struct {
	check     *Check
	namespace string
	byRole    map[v1alpha1.Role]overlay.Result
}

func (c *Check) layerConf(namespace string) *layerConf {
	return &layerConf{check: c, namespace: namespace, byRole: map[v1alpha1.Role]overlay.Result{}}
}

// source is the layer that gives key this value, and whether one does:
// the composition of the key's role (overlay.SparkKeyRole) first, then the
// other's.
func (g *layerConf) source(key, value string) (overlay.Source, bool) {
	first := overlay.SparkKeyRole(key)
	for _, role := range []v1alpha1.Role{first, otherRole(first)} {
		res, ok := g.byRole[role]
		if !ok {
			c := g.check
			t := overlay.Target{Cluster: c.Cluster.Name, Pool: c.Cluster.Pool, Namespace: g.namespace, Role: role}
			res = c.Snapshot.Compose(t, v1alpha1.Config{})
			g.byRole[role] = res
		}
		if v, ok := res.Config.SparkConf[key]; ok && v == value {
			if src, ok := res.Provenance.WinnerOf(overlay.MapKey(overlay.PathSparkConf, key)); ok {
				return src, true
			}
		}
	}
	return overlay.Source{}, false
}

func otherRole(r v1alpha1.Role) v1alpha1.Role {
	if r == v1alpha1.RoleDriver {
		return v1alpha1.RoleExecutor
	}
	return v1alpha1.RoleDriver
}

// sparkConfDocument is app's Spark configuration as input.application
// shows it: the configuration spark-submit runs it with, every spelling
// resolved (mutate.EffectiveConf: a typed field as its key, so no spelling
// gets around a rule on a key), each key's value and who set it, the
// layer that gives it that value or the user.
func sparkConfDocument(app *sparkv1beta2.SparkApplication, given *layerConf) map[string]sourced {
	conf := mutate.EffectiveConf(&app.Spec)
	out := make(map[string]sourced, len(conf))
	for key, value := range conf {
		src, byLayer := given.source(key, value)
		if !byLayer {
			src = overlay.UserSource()
		}
		out[key] = sourced{Value: value, Source: src.String(), User: !byLayer}
	}
	return out
}
