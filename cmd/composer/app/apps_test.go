package app

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// appGoldenCases are the example SparkApplications composed for each
// example cluster.
var appGoldenCases = []struct {
	name, app, layers, cluster, pool string
}{
	{"prod-a-app-etl-report", "etl-report.yaml", "clusters/prod-a", "prod-a", "batch"},
	{"prod-b-app-etl-report", "etl-report.yaml", "clusters/prod-b", "prod-b", "interactive"},
	{"prod-a-app-geo-tiles", "geo-tiles.yaml", "clusters/prod-a", "prod-a", "batch"},
	// A schedule is composed as the SparkApplication each run is.
	{"prod-a-schedule-etl-report-nightly", "etl-report-nightly.yaml", "clusters/prod-a", "prod-a", "batch"},
	// A SparkConnect is composed by its Spark configuration.
	{"prod-a-connect-etl-notebooks", connectExample, "clusters/prod-a", "prod-a", "batch"},
	{"prod-b-connect-etl-notebooks", connectExample, "clusters/prod-b", "prod-b", "interactive"},
}

// connectExample is the example SparkConnect.
const connectExample = "notebooks-connect.yaml"

func appArgs(app, layers, cluster, pool string) []string {
	return []string{"compose", "-f", filepath.Join(examples, "apps", app),
		"--layers", filepath.Join(examples, "layers", layers), "--cluster", cluster, "--pool", pool}
}

func TestAppGolden(t *testing.T) {
	formats := map[string]string{"yaml": ".yaml", "patch": ".patch.json", "explain": ".explain.txt", "spark-conf": ".conf"}
	for _, tc := range appGoldenCases {
		for format, ext := range formats {
			t.Run(tc.name+"/"+format, func(t *testing.T) {
				r := composer(t, "", append(appArgs(tc.app, tc.layers, tc.cluster, tc.pool), "-o", format)...)
				if r.code != ExitOK {
					t.Fatalf("exit %d: %s", r.code, r.err)
				}
				checkGolden(t, filepath.Join(golden, tc.name+ext), r.out)
			})
		}
	}
}

// TestComposedAppComposesToNothing: the composed app, and the composed
// SparkConnect, fed back, patch nothing.
func TestComposedAppComposesToNothing(t *testing.T) {
	for _, app := range []string{"etl-report.yaml", connectExample} {
		r := composer(t, "", appArgs(app, "clusters/prod-a", "prod-a", "batch")...)
		if r.code != ExitOK {
			t.Fatalf("%s: exit %d: %s", app, r.code, r.err)
		}
		again := composer(t, r.out, "compose", "-f", "-", "--layers", filepath.Join(examples, "layers", "clusters/prod-a"),
			"--cluster", "prod-a", "--pool", "batch", "-o", "patch")
		if again.code != ExitOK || strings.TrimSpace(again.out) != "[]" {
			t.Errorf("%s: exit %d, patch %s: %s", app, again.code, again.out, again.err)
		}
	}
}

// TestMixedFile: one file of Pods and SparkApplications, composed in order.
func TestMixedFile(t *testing.T) {
	pod, err := os.ReadFile(filepath.Join(examples, "pods", "driver.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	app, err := os.ReadFile(filepath.Join(examples, "apps", "etl-report.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r := composer(t, string(app)+"\n---\n"+string(pod), "compose", "-f", "-", "--layers", filepath.Join(examples, "layers", "clusters/prod-a"),
		"--cluster", "prod-a", "--pool", "batch", "-o", "spark-conf")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	for _, want := range []string{"# SparkApplication etl/etl-report\n", "spark.executor.memory=8g\n", "# Pod etl/spark-pi-"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("output lacks %q:\n%s", want, r.out)
		}
	}
}

// TestAppValidate: --validate judges an app as a whole; one that could
// never fit is refused (exit 1) with the limit and the layer that set it.
func TestAppValidate(t *testing.T) {
	r := composer(t, "", append(appArgs("etl-report.yaml", "clusters/prod-a", "prod-a", "batch"), "--validate", "-o", "patch")...)
	if r.code != ExitOK {
		t.Fatalf("the example app fits: exit %d: %s", r.code, r.err)
	}
	app, err := os.ReadFile(filepath.Join(examples, "apps", "etl-report.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Replace(string(app), "instances: 4", "instances: 30", 1)
	r = composer(t, big, "compose", "-f", "-", "--layers", filepath.Join(examples, "layers", "clusters/prod-a"),
		"--cluster", "prod-a", "--pool", "batch", "--validate", "-o", "patch")
	if r.code != ExitDenied {
		t.Fatalf("exit %d, want %d: %s", r.code, ExitDenied, r.err)
	}
	want := `SparkApplication etl/etl-report: deny: quota: app "etl-report" asks for up to 30 executors; group "core-data" allows at most 20 per app (NamespaceOverrides layer "ns-etl")`
	if !strings.Contains(r.err, want) {
		t.Errorf("stderr lacks %q:\n%s", want, r.err)
	}
}

// TestAppValidateSeesTheOperatorsDefaults: --validate judges an app as
// the validating webhook sees it, after the Spark Operator's defaulting
// webhook: a restart policy that retries with no interval is retried every
// 5 seconds, and refused where submissions must be further apart, both
// for an app and for a schedule's runs.
func TestAppValidateSeesTheOperatorsDefaults(t *testing.T) {
	app, err := os.ReadFile(filepath.Join(examples, "apps", "etl-report.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	schedule, err := os.ReadFile(filepath.Join(examples, "apps", "etl-report-nightly.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	validate := func(in string) run {
		return composer(t, in, "compose", "-f", "-", "--layers", filepath.Join(examples, "layers", "clusters/prod-a"),
			"--cluster", "prod-a", "--pool", "batch", "--validate", "-o", "patch")
	}
	retrying := strings.Replace(string(app), "    type: Never", "    type: OnFailure\n    onFailureRetries: 3", 1)
	r := validate(retrying)
	want := `SparkApplication etl/etl-report: deny: quota: app "etl-report": restartPolicy.onFailureRetryInterval is 5s, so the operator may submit it again that soon; group "core-data" allows no less than 60s between submissions (ClusterOverrides layer "prod-a-overrides")`
	if r.code != ExitDenied || !strings.Contains(r.err, want) {
		t.Errorf("an app retried with no interval: exit %d, stderr %s; want %q", r.code, r.err, want)
	}
	if r := validate(strings.Replace(retrying, "onFailureRetries: 3", "onFailureRetries: 3\n    onFailureRetryInterval: 120", 1)); r.code != ExitOK {
		t.Errorf("an app retried every 120s: exit %d: %s", r.code, r.err)
	}
	retryingRuns := strings.Replace(string(schedule), "      type: Never", "      type: OnFailure\n      onSubmissionFailureRetries: 2", 1)
	if retryingRuns == string(schedule) {
		t.Fatal("the example schedule's restart policy moved")
	}
	r = validate(retryingRuns)
	if r.code != ExitDenied || !strings.Contains(r.err, "restartPolicy.onSubmissionFailureRetryInterval is 5s") {
		t.Errorf("a schedule whose runs are retried with no interval: exit %d, stderr %s", r.code, r.err)
	}
}

// TestConf: composer conf composes a spark-submit job's properties with
// the layers, as the user's tier, and prints them as spark-defaults.conf
// lines or spark-submit arguments.
func TestConf(t *testing.T) {
	args := []string{"conf", "--layers", filepath.Join(examples, "layers", "clusters/prod-a"), "--namespace", "etl",
		"--cluster", "prod-a", "--pool", "batch", "-f", filepath.Join(examples, "apps", "etl-submit.properties")}
	for _, tc := range []struct {
		name  string
		extra []string
	}{
		{"conf-etl-submit.properties", nil},
		{"conf-etl-submit-executor.submit", []string{"--role", "executor", "--format", "submit"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := composer(t, "", append(args, tc.extra...)...)
			if r.code != ExitOK {
				t.Fatalf("exit %d: %s", r.code, r.err)
			}
			checkGolden(t, filepath.Join(golden, tc.name), r.out)
		})
	}
	// Read and written as Spark reads a properties file: escapes and
	// continued lines, and what would read differently escaped.
	escaped := composer(t, "spark.kubernetes.driver.label.owner=\\u00e9lise\nspark.hadoop.fs.s3a.endpoint=https\\://s3.internal\n"+
		"spark.driver.extraJavaOptions=-Dsep=\\\\t \\\n  -Dx=1\n", append(slices.Clip(args[:len(args)-2]), "-f", "-")...)
	for _, want := range []string{"spark.kubernetes.driver.label.owner=élise\n", "spark.hadoop.fs.s3a.endpoint=https://s3.internal\n",
		`spark.driver.extraJavaOptions=-Dsep=\\t -Dx=1` + "\n"} {
		if escaped.code != ExitOK || !strings.Contains(escaped.out, want) {
			t.Errorf("exit %d, output lacks %q:\n%s%s", escaped.code, want, escaped.out, escaped.err)
		}
	}
	r := composer(t, "", args...)
	for _, want := range []string{"spark.executor.memory=4g\n", "spark.eventLog.enabled=false\n", "spark.eventLog.dir=s3a://prod-a-spark-events/\n",
		"spark.kubernetes.executor.label.team=etl\n"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("output lacks %q (the user's own value, a default filling what is unset, an override):\n%s", want, r.out)
		}
	}
	if !strings.Contains(r.err, `spec.sparkConf["spark.kubernetes.executor.label.team"] "reporting" overridden by NamespaceOverrides layer "ns-etl"`) {
		t.Errorf("no warning naming the user's key: %s", r.err)
	}
	// The job's variables are keys, whatever composition made of them: the
	// user's own, from a Secret too, and the layers' env (which no operator
	// would append to the pods of a spark-submit job).
	env := composer(t, "spark.executorEnv.TZ=PST\nspark.kubernetes.executor.secretKeyRef.DB_PASSWORD=mine:pw\n",
		append(slices.Clip(args[:len(args)-2]), "-f", "-")...)
	for _, want := range []string{"spark.executorEnv.TZ=PST\n", "spark.kubernetes.executor.secretKeyRef.DB_PASSWORD=mine:pw\n",
		"spark.executorEnv.SPARK_LOG_DIR=/var/log/spark\n", "spark.kubernetes.driverEnv.SPARK_LOG_DIR=/var/log/spark\n"} {
		if env.code != ExitOK || !strings.Contains(env.out, want) {
			t.Errorf("exit %d, output lacks %q:\n%s%s", env.code, want, env.out, env.err)
		}
	}
	// A key spark-submit drops is carried, and warned of; one holding '='
	// is written as properties, escaped.
	odd := composer(t, "hive.metastore.uris=thrift://hms:9083\nspark.a\\=b=1\n", append(slices.Clip(args[:len(args)-2]), "-f", "-")...)
	for _, want := range []string{"hive.metastore.uris=thrift://hms:9083\n", "spark.a\\=b=1\n"} {
		if odd.code != ExitOK || !strings.Contains(odd.out, want) {
			t.Errorf("exit %d, output lacks %q:\n%s%s", odd.code, want, odd.out, odd.err)
		}
	}
	if want := `Warning: spec.sparkConf["hive.metastore.uris"]: spark-submit ignores keys that do not start with "spark."`; !strings.Contains(odd.err, want) {
		t.Errorf("stderr lacks %q:\n%s", want, odd.err)
	}
	for _, bad := range []struct {
		stdin string
		extra []string
		want  string
	}{
		{"", []string{"--format", "xml"}, `--format: unknown format "xml"`},
		{"", []string{"--role", "pod"}, `--role: unknown role "pod"`},
		{"a=1\na=2\n", []string{"-f", "-"}, "<stdin>:2: a is set again (first on line 1)"},
		{"a=1\nb=\\u12\n", []string{"-f", "-"}, `<stdin>:2: value of b: malformed \uxxxx escape "\\u12"`},
		{"spark.a\\=b=1\n", []string{"-f", "-", "--format", "submit"}, `key "spark.a=b" holds '=': spark-submit's --conf would read it as key "spark.a"; use --format properties`},
	} {
		r := composer(t, bad.stdin, append(args, bad.extra...)...)
		if r.code != ExitInput || !strings.Contains(r.err, bad.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", bad.extra, r.code, r.err, bad.want)
		}
	}
}

// TestConnectIsJudged: --validate judges a SparkConnect as the webhook
// does, as the application its server runs: the example fits; one of 30
// executors where etl allows 20 per app is denied, naming the limit.
func TestConnectIsJudged(t *testing.T) {
	args := func(file string) []string {
		return []string{"compose", "-f", file, "--layers", filepath.Join(examples, "layers", "clusters/prod-a"),
			"--cluster", "prod-a", "--pool", "batch", "-o", "patch", "--validate"}
	}
	if r := composer(t, "", args(filepath.Join(examples, "apps", connectExample))...); r.code != ExitOK {
		t.Fatalf("the example SparkConnect: exit %d: %s", r.code, r.err)
	}
	data, err := os.ReadFile(filepath.Join(examples, "apps", connectExample))
	if err != nil {
		t.Fatal(err)
	}
	wide := strings.Replace(string(data), "maxExecutors: 10", "maxExecutors: 30", 1)
	r := composer(t, wide, args("-")...)
	if want := `SparkConnect etl/etl-notebooks: deny: quota: app "etl-notebooks" asks for up to 30 executors; group "core-data" allows at most 20 per app (NamespaceOverrides layer "ns-etl")`; r.code != ExitDenied || !strings.Contains(r.err, want) {
		t.Errorf("30 executors: exit %d, stderr:\n%s\nwant exit %d and %q", r.code, r.err, ExitDenied, want)
	}
}
