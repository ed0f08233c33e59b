package policy

import (
	"context"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
)

// TestSubmissionProblems: with the Spark Operator, spark-submit runs in
// the operator's pod, with its credentials and files; an application may
// not point it elsewhere, nor have it read or hand over what is the
// operator's. What the layers give is the platform's.
func TestSubmissionProblems(t *testing.T) {
	none := func(string, string) bool { return false }
	tests := []struct {
		name     string
		mode     string
		main     string
		deps     sparkv1beta2.Dependencies
		conf     map[string]string
		platform func(key, value string) bool
		want     []string
	}{{
		name: "cluster mode and the tenant's own settings",
		mode: "cluster",
		conf: map[string]string{"spark.kubernetes.namespace": "etl", "spark.kubernetes.authenticate.driver.serviceAccountName": "spark",
			"spark.kubernetes.authenticate.executor.serviceAccountName": "spark", "spark.kubernetes.authenticate.driver.mounted.oauthTokenFile": "/mnt/t",
			"spark.sql.shuffle.partitions": "400"},
	}, {
		name: "client mode runs the driver inside the operator",
		mode: "client",
		want: []string{`spec.mode "client" would run the application's driver inside the Spark Operator`},
	}, {
		name: "a mode spark-submit does not know",
		mode: "in-cluster-client",
		want: []string{`spec.mode "in-cluster-client"`},
	}, {
		name: "another namespace",
		conf: map[string]string{"spark.kubernetes.namespace": "geo"},
		want: []string{`spec.sparkConf["spark.kubernetes.namespace"] "geo": the operator would create the application's pods in namespace "geo", not "etl"`},
	}, {
		name: "what the operator's own flags override, and the driver's own API server",
		conf: map[string]string{"spark.master": "k8s://https://elsewhere.example:443", "spark.submit.deployMode": "client",
			"spark.kubernetes.driver.master": "https://kubernetes.default.svc"},
	}, {
		name: "Kerberos files of the operator's",
		conf: map[string]string{"spark.kerberos.keytab": "/etc/operator.keytab", "spark.yarn.keytab": "/k", "spark.kubernetes.kerberos.krb5.path": "/etc/krb5.conf",
			"spark.kerberos.principal": "tenant@REALM"},
		want: []string{
			`spec.sparkConf["spark.kerberos.keytab"] "/etc/operator.keytab": a file where the operator submits`,
			`spec.sparkConf["spark.kubernetes.kerberos.krb5.path"] "/etc/krb5.conf": a file where the operator submits`,
			`spec.sparkConf["spark.yarn.keytab"] "/k": a file where the operator submits`,
		},
	}, {
		name: "the operator's credentials and files",
		conf: map[string]string{
			"spark.kubernetes.authenticate.driver.oauthTokenFile":     "/var/run/secrets/kubernetes.io/serviceaccount/token",
			"spark.kubernetes.authenticate.submission.clientKeyFile":  "/etc/operator/key",
			"spark.kubernetes.authenticate.oauthToken":                "x",
			"spark.kubernetes.authenticate.executor.serviceAccount":   "x",
			"spark.kubernetes.authenticate.driver.mountedX.something": "x",
		},
		want: []string{
			`spec.sparkConf["spark.kubernetes.authenticate.driver.mountedX.something"] "x": names credentials or files`,
			`spec.sparkConf["spark.kubernetes.authenticate.driver.oauthTokenFile"] "/var/run/secrets/kubernetes.io/serviceaccount/token": names credentials or files`,
			`spec.sparkConf["spark.kubernetes.authenticate.executor.serviceAccount"] "x": names credentials or files`,
			`spec.sparkConf["spark.kubernetes.authenticate.oauthToken"] "x": names credentials or files`,
			`spec.sparkConf["spark.kubernetes.authenticate.submission.clientKeyFile"] "/etc/operator/key": names credentials or files`,
		},
	}, {
		name: "the operator's kubeconfig and its trust in the API server",
		conf: map[string]string{"spark.kubernetes.context": "admin@prod", "spark.kubernetes.trust.certificates": " TRUE"},
		want: []string{
			`spec.sparkConf["spark.kubernetes.context"] "admin@prod": a context of the kubeconfig where the operator submits: the operator's credentials`,
			`spec.sparkConf["spark.kubernetes.trust.certificates"] " TRUE": spark-submit would take any certificate for the API server's`,
		},
	}, {
		name: "trusting certificates is the operator's default only when false",
		conf: map[string]string{"spark.kubernetes.trust.certificates": "false", "spark.kubernetes.submission.requestTimeout": "10000"},
	}, {
		name: "a switch for trusting certificates Spark cannot read is not false",
		conf: map[string]string{"spark.kubernetes.trust.certificates": "0"},
		want: []string{`spec.sparkConf["spark.kubernetes.trust.certificates"] "0": spark-submit would take any certificate`},
	}, {
		name:     "a context the layers give is the platform's",
		conf:     map[string]string{"spark.kubernetes.context": "submitter"},
		platform: func(k, v string) bool { return k == "spark.kubernetes.context" && v == "submitter" },
	}, {
		name: "uploads and pod template files from the operator's filesystem",
		conf: map[string]string{"spark.kubernetes.file.upload.path": "s3a://tenant/up", "spark.kubernetes.executor.podTemplateFile": "/etc/passwd"},
		want: []string{
			`spec.sparkConf["spark.kubernetes.executor.podTemplateFile"] "/etc/passwd": a file of the operator's`,
			`spec.sparkConf["spark.kubernetes.file.upload.path"] "s3a://tenant/up": spark-submit would upload there`,
		},
	}, {
		name: "a PodGroup template and classes spark-submit runs, where it runs",
		conf: map[string]string{"spark.kubernetes.scheduler.volcano.podGroupTemplateFile": "/var/run/secrets/kubernetes.io/serviceaccount/token",
			"spark.kubernetes.driver.pod.featureSteps":   "org.apache.spark.deploy.k8s.features.VolcanoFeatureStep",
			"spark.kubernetes.executor.pod.featureSteps": "org.example.Step"},
		want: []string{
			`spec.sparkConf["spark.kubernetes.driver.pod.featureSteps"] "org.apache.spark.deploy.k8s.features.VolcanoFeatureStep": classes spark-submit would load and run where it builds the driver: in the operator's JVM`,
			`spec.sparkConf["spark.kubernetes.scheduler.volcano.podGroupTemplateFile"] "/var/run/secrets/kubernetes.io/serviceaccount/token": a file of the operator's, which spark-submit would read`,
		},
	}, {
		name: "where the operator resolves packages",
		conf: map[string]string{"spark.jars.ivy": "/opt/spark", "spark.jars.ivySettings": "/tmp/s.xml", "spark.jars.packages": "org.example:lib:1.0"},
		want: []string{
			`spec.sparkConf["spark.jars.ivy"] "/opt/spark": spark-submit resolves the application's packages where the operator submits`,
			`spec.sparkConf["spark.jars.ivySettings"] "/tmp/s.xml": spark-submit resolves`,
		},
	}, {
		name: "files of the image and files the driver fetches",
		main: "local:///opt/spark/examples/jars/spark-examples.jar",
		deps: sparkv1beta2.Dependencies{Jars: []string{"s3a://b/a.jar,local:///opt/b.jar"}, Files: []string{"https://x.example/f"},
			PyFiles: []string{"gs://b/p.zip"}, Archives: []string{"s3a://b/env.tar.gz#env"}, Packages: []string{"org.example:lib:1.0"},
			Repositories: []string{"https://repo.example"}},
		conf: map[string]string{"spark.jars": " s3a://b/c.jar , ", "spark.files": "local:///opt/f", "spark.submit.pyFiles": "hdfs://nn/p.py",
			"spark.archives": "s3a://b/x.zip#x", "spark.kubernetes.submission.waitAppCompletion": " False"},
	}, {
		name: "files of the operator's, in every list spark-submit uploads from",
		main: "/var/run/secrets/kubernetes.io/serviceaccount/token",
		deps: sparkv1beta2.Dependencies{Jars: []string{"s3a://b/a.jar,/opt/spark/jars/x.jar"}, Files: []string{"file:///etc/passwd"},
			PyFiles: []string{"p.py"}, Archives: []string{"/opt/env.tgz#env"}},
		conf: map[string]string{"spark.jars": "s3a://b/c.jar,../k", "spark.files": "s3a://b/../../../etc/shadow ,FILE:/x",
			"spark.submit.pyFiles": "/p.py", "spark.archives": "/a.zip#a"},
		want: []string{
			`spec.mainApplicationFile "/var/run/secrets/kubernetes.io/serviceaccount/token": a file where the operator submits, which spark-submit would upload for the driver: the operator's; name a file of the application's image local://`,
			`spec.deps.jars[0] "/opt/spark/jars/x.jar": a file where the operator submits`,
			`spec.deps.files[0] "file:///etc/passwd": a file where the operator submits`,
			`spec.deps.pyFiles[0] "p.py": a file where the operator submits`,
			`spec.deps.archives[0] "/opt/env.tgz#env": a file where the operator submits`,
			`spec.sparkConf["spark.archives"] lists "/a.zip#a": a file where the operator submits`,
			`spec.sparkConf["spark.files"] lists "FILE:/x": a file where the operator submits`,
			`spec.sparkConf["spark.jars"] lists "../k": a file where the operator submits`,
			`spec.sparkConf["spark.submit.pyFiles"] lists "/p.py": a file where the operator submits`,
		},
	}, {
		name: "repositories in the operator's filesystem",
		deps: sparkv1beta2.Dependencies{Repositories: []string{"https://repo.example,file:///root/.m2/repository"}, Packages: []string{"/x"}},
		conf: map[string]string{"spark.jars.repositories": "/opt/repo", "spark.jars.packages": "/y"},
		want: []string{
			`spec.deps.repositories[0] "file:///root/.m2/repository": a repository where the operator submits`,
			`spec.sparkConf["spark.jars.repositories"] lists "/opt/repo": a repository where the operator submits`,
		},
	}, {
		name: "the main file is one resource, read as written",
		main: " s3a://b/../../../var/run/secrets/kubernetes.io/serviceaccount/token",
		want: []string{`spec.mainApplicationFile " s3a://b/../../../var/run/secrets/kubernetes.io/serviceaccount/token": a file where the operator submits`},
	}, {
		name: "spark-submit waiting in the operator until the app ends",
		conf: map[string]string{"spark.kubernetes.submission.waitAppCompletion": "TRUE"},
		want: []string{`spec.sparkConf["spark.kubernetes.submission.waitAppCompletion"] "TRUE": spark-submit would wait in the operator until the application ends, holding one of the operator's workers`},
	}, {
		name: "a switch Spark cannot read is not false",
		conf: map[string]string{"spark.kubernetes.submission.waitAppCompletion": "no"},
		want: []string{`spec.sparkConf["spark.kubernetes.submission.waitAppCompletion"] "no": spark-submit would wait`},
	}, {
		name:     "a file list the layers give is the platform's",
		conf:     map[string]string{"spark.jars": "/opt/platform/agent.jar"},
		platform: func(k, v string) bool { return k == "spark.jars" && v == "/opt/platform/agent.jar" },
	}, {
		name:     "what the layers give is the platform's",
		conf:     map[string]string{"spark.kubernetes.file.upload.path": "s3a://platform/up"},
		platform: func(k, v string) bool { return k == "spark.kubernetes.file.upload.path" && v == "s3a://platform/up" },
	}, {
		name:     "a value the layers do not give is the tenant's",
		conf:     map[string]string{"spark.kubernetes.file.upload.path": "s3a://tenant/up"},
		platform: func(k, v string) bool { return k == "spark.kubernetes.file.upload.path" && v == "s3a://platform/up" },
		want:     []string{`spec.sparkConf["spark.kubernetes.file.upload.path"] "s3a://tenant/up"`},
	}, {
		name: "keys are exact, as Spark reads them",
		conf: map[string]string{" spark.kubernetes.file.upload.path": "x", "Spark.Jars.Ivy": "x", "spark.kubernetes.namespace ": "geo"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := &sparkv1beta2.SparkApplication{}
			app.Name, app.Namespace = "a", "etl"
			app.Spec.Mode, app.Spec.SparkConf, app.Spec.Deps = tt.mode, tt.conf, tt.deps
			if tt.main != "" {
				app.Spec.MainApplicationFile = &tt.main
			}
			platform := tt.platform
			if platform == nil {
				platform = none
			}
			got := submissionProblems(app, platform)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(got), len(tt.want), strings.Join(got, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("problem %d:\n got %s\nwant %s...", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// TestAppSubmissionIsJudged: Check.App refuses, under isolation, an app
// whose spark-submit would act outside its tenant, and counts as the
// platform's what a layer gives.
func TestAppSubmissionIsJudged(t *testing.T) {
	c := tenantCheck(t, map[string]string{
		"up": `{tier: ClusterDefaults, config: {sparkConf: {spark.kubernetes.file.upload.path: "s3a://platform/up"}}}`,
	})
	app := func(conf map[string]string) *sparkv1beta2.SparkApplication { return composedApp(t, c, conf) }
	if _, d, err := c.App(context.Background(), app(nil), Request{Operation: "CREATE"}, nil); err != nil || !d.Allowed() {
		t.Errorf("the layers' upload path: %v %+v", err, d.Violations)
	}
	_, d, err := c.App(context.Background(), app(map[string]string{"spark.kubernetes.namespace": "geo"}), Request{Operation: "CREATE"}, nil)
	const want = `isolation: SparkApplication "a": spec.sparkConf["spark.kubernetes.namespace"] "geo": the operator would create the application's pods in namespace "geo", not "etl"`
	if err != nil || d.Allowed() || d.Violations[0].Policy != "isolation" || d.Violations[0].Check != "submission" || d.Violations[0].Message != want {
		t.Errorf("another namespace: %v %+v, want %q", err, d.Violations, want)
	}
}

// TestSitePolicyReadsAppSparkConf: input.application.sparkConf holds the
// app's Spark configuration with who set each key, so a site's own policy
// can rule on it: here, no repository of the tenant's own for packages,
// while the platform's (given by a layer) is fine.
func TestSitePolicyReadsAppSparkConf(t *testing.T) {
	c := siteCheck(t, map[string]string{
		"repo": `{tier: ClusterDefaults, config: {sparkConf: {spark.jars.repositories: "https://repo.platform.internal"}}}`,
	}, "site/repos.rego", `package strata.repos

violation contains {"check": "repositories", "message": sprintf("%s sets spark.jars.repositories %q", [input.application.name, conf.value])} if {
	conf := input.application.sparkConf["spark.jars.repositories"]
	conf.user
}
`)
	if got := appVerdict(t, c, composedApp(t, c, nil)); got != "" {
		t.Errorf("the platform's repository: %q", got)
	}
	got := appVerdict(t, c, composedApp(t, c, map[string]string{"spark.jars.repositories": "https://attacker.example"}))
	if want := `repos: a sets spark.jars.repositories "https://attacker.example"`; got != want {
		t.Errorf("the tenant's repository: %q, want %q", got, want)
	}
}

// TestSitePolicySeesEverySpelling: input.application.sparkConf is the
// configuration the app runs with, so a site's rule on a key holds
// whichever spelling the tenant writes it in: here, no Java agent of the
// tenant's own, written as spec.executor.javaOptions.
func TestSitePolicySeesEverySpelling(t *testing.T) {
	c := siteCheck(t, nil, "site/agents.rego", `package strata.agents

violation contains {"check": "javaagent", "message": sprintf("%s runs executors with %q", [input.application.name, conf.value])} if {
	conf := input.application.sparkConf["spark.executor.extraJavaOptions"]
	contains(conf.value, "-javaagent")
	conf.user
}
`)
	app := composedApp(t, c, nil)
	if got := appVerdict(t, c, app); got != "" {
		t.Errorf("no Java options: %q", got)
	}
	app.Spec.Executor.JavaOptions = new("-javaagent:/opt/mine/agent.jar")
	if got, want := appVerdict(t, c, app), `agents: a runs executors with "-javaagent:/opt/mine/agent.jar"`; got != want {
		t.Errorf("javaOptions: %q, want %q", got, want)
	}
}

// TestSitePolicyReadsAppProxyUser: input.application.proxyUser is the user
// spark-submit submits as, for a site whose operator may impersonate to
// restrict; absent when the app names none.
func TestSitePolicyReadsAppProxyUser(t *testing.T) {
	c := siteCheck(t, nil, "site/proxy.rego", `package strata.proxy

violation contains {"check": "proxyUser", "message": sprintf("%s submits as %q", [input.application.name, user])} if {
	user := input.application.proxyUser
	not startswith(user, concat("", [input.request.namespace, "-"]))
}
`)
	for _, tt := range []struct {
		user *string
		want string
	}{
		{nil, ""},
		{new("etl-svc"), ""},
		{new("hdfs"), `proxy: a submits as "hdfs"`},
	} {
		app := composedApp(t, c, nil)
		app.Spec.ProxyUser = tt.user
		if got := appVerdict(t, c, app); got != tt.want {
			t.Errorf("proxyUser %v: %q, want %q", tt.user, got, tt.want)
		}
	}
}

// TestSitePolicyReadsAppRestartPolicy: input.application.restartPolicy is
// the app's, as written, so a site can bound how often the operator runs
// spark-submit again for one app.
func TestSitePolicyReadsAppRestartPolicy(t *testing.T) {
	c := siteCheck(t, nil, "site/restarts.rego", `package strata.restarts

violation contains {"check": "retryInterval", "message": sprintf("%s retries every %ds", [input.application.name, s])} if {
	some field in ["onFailureRetryInterval", "onSubmissionFailureRetryInterval"]
	s := input.application.restartPolicy[field]
	s < 60
}
`)
	for _, tt := range []struct {
		policy *sparkv1beta2.RestartPolicy
		want   string
	}{
		{nil, ""},
		{&sparkv1beta2.RestartPolicy{Type: "Always", OnFailureRetryInterval: new(int64(300))}, ""},
		{&sparkv1beta2.RestartPolicy{Type: "Always", OnSubmissionFailureRetryInterval: new(int64(1))}, "restarts: a retries every 1s"},
	} {
		app := composedApp(t, c, nil)
		app.Spec.RestartPolicy = tt.policy
		if got := appVerdict(t, c, app); got != tt.want {
			t.Errorf("restartPolicy %+v: %q, want %q", tt.policy, got, tt.want)
		}
	}
}

// TestSitePolicyReadsAppDependencies: input.application.dependencies are
// the lists spark-submit takes, each with where it is written and who
// set it: spec.deps' own wins over its Spark key, so a site rule on
// repositories holds however a tenant spells them.
func TestSitePolicyReadsAppDependencies(t *testing.T) {
	c := siteCheck(t, map[string]string{
		"repo": `{tier: ClusterDefaults, config: {sparkConf: {spark.jars.repositories: "https://repo.platform.internal"}}}`,
	}, "site/repos.rego", `package strata.repos

violation contains {"check": "repositories", "message": sprintf("%s resolves packages from %s (%s)", [input.application.name, concat(", ", repos.values), repos.from])} if {
	repos := input.application.dependencies.repositories
	repos.user
}
`)
	for _, tt := range []struct {
		name string
		conf map[string]string
		deps []string
		want string
	}{
		{name: "the platform's repository"},
		{name: "the tenant's, as a Spark key", conf: map[string]string{"spark.jars.repositories": "https://a.example, https://b.example"},
			want: `repos: a resolves packages from https://a.example, https://b.example (spec.sparkConf["spark.jars.repositories"])`},
		{name: "the tenant's, as spec.deps, over the platform's key", deps: []string{"https://a.example"},
			want: `repos: a resolves packages from https://a.example (spec.deps.repositories)`},
	} {
		app := composedApp(t, c, tt.conf)
		app.Spec.Deps.Repositories = tt.deps
		if got := appVerdict(t, c, app); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestDependenciesDocument: every list of spec.deps is read, under its
// own name, from spec.deps or its Spark key; a test fails when a field
// of Dependencies has no list.
func TestDependenciesDocument(t *testing.T) {
	c := tenantCheck(t, nil)
	app := &sparkv1beta2.SparkApplication{}
	app.Name, app.Namespace = "a", "etl"
	deps := reflect.ValueOf(&app.Spec.Deps).Elem()
	app.Spec.SparkConf = map[string]string{}
	for i := range deps.NumField() {
		deps.Field(i).Set(reflect.ValueOf([]string{"x" + strconv.Itoa(i) + ", y"}))
	}
	doc := dependenciesDocument(app, c.layerConf("etl"))
	if len(doc) != deps.NumField() {
		t.Fatalf("%d lists of spec.deps, %d in the document: %+v", deps.NumField(), len(doc), doc)
	}
	for i := range deps.NumField() {
		name := strings.Split(deps.Type().Field(i).Tag.Get("json"), ",")[0]
		got, ok := doc[name]
		if want := []string{"x" + strconv.Itoa(i), "y"}; !ok || !slices.Equal(got.Values, want) || got.From != "spec.deps."+name || !got.User {
			t.Errorf("spec.deps.%s: %+v, want %q from spec.deps.%s, the user's", name, got, want, name)
		}
	}
	// Without spec.deps, each list is its Spark key's.
	app.Spec.Deps = sparkv1beta2.Dependencies{}
	for _, l := range dependencyLists {
		app.Spec.SparkConf[l.Key] = l.Field + "-value"
	}
	doc = dependenciesDocument(app, c.layerConf("etl"))
	for _, l := range dependencyLists {
		got := doc[l.Field]
		if !slices.Equal(got.Values, []string{l.Field + "-value"}) || got.From != `spec.sparkConf["`+l.Key+`"]` || !got.User {
			t.Errorf("%s from sparkConf: %+v", l.Field, got)
		}
	}
}

// siteCheck is tenantCheck with one site policy (file, its source) for
// the built-in ones.
func siteCheck(t *testing.T, specs map[string]string, file, source string) *Check {
	t.Helper()
	e, err := NewEngine(context.Background(), Modules{file: source})
	if err != nil {
		t.Fatal(err)
	}
	c := tenantCheck(t, specs)
	c.Engine = e
	return c
}

// appVerdict judges app as submitted with c: its violations' messages, a
// line each.
func appVerdict(t *testing.T, c *Check, app *sparkv1beta2.SparkApplication) string {
	t.Helper()
	_, d, err := c.App(context.Background(), app, Request{Operation: "CREATE"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return violationText(d)
}

// composedApp is app "a" of etl with sparkConf conf, composed by c's layers.
func composedApp(t *testing.T, c *Check, conf map[string]string) *sparkv1beta2.SparkApplication {
	t.Helper()
	in, err := sparkv1beta2.FromApp(&sparkv1beta2.SparkApplication{})
	if err != nil {
		t.Fatal(err)
	}
	in.App.Name, in.App.Namespace = "a", "etl"
	in.App.Spec.SparkConf = conf
	res, err := mutate.ComposeApp(c.Snapshot, c.Cluster, in)
	if err != nil {
		t.Fatal(err)
	}
	return &res.App.App
}

// TestLayerDependenciesAreThePlatforms: a layer's dependency list lands in
// spec.deps (spark-submit's flag wins over its key), where it is still the
// platform's: not judged as the tenant's, and not the user's in
// input.application.dependencies; a tenant's own list there is.
func TestLayerDependenciesAreThePlatforms(t *testing.T) {
	c := tenantCheck(t, map[string]string{
		"jars": `{tier: ClusterOverrides, config: {sparkConf: {spark.jars: "/opt/platform/listener.jar"}}}`,
	})
	app := composedApp(t, c, map[string]string{"spark.jars": "s3a://mine/a.jar"})
	if !slices.Equal(app.Spec.Deps.Jars, []string{"/opt/platform/listener.jar"}) || app.Spec.SparkConf["spark.jars"] != "" {
		t.Fatalf("the layer's jars are not stated once, in spec.deps: %+v, %v", app.Spec.Deps, app.Spec.SparkConf)
	}
	if got := appVerdict(t, c, app); got != "" {
		t.Errorf("the platform's jars judged as the tenant's: %s", got)
	}
	if doc := dependenciesDocument(app, c.layerConf("etl")); doc["jars"].User || doc["jars"].Source != `ClusterOverrides layer "jars"` {
		t.Errorf("the platform's jars in the document: %+v", doc["jars"])
	}
	app.Spec.Deps.Jars = []string{"/opt/mine.jar"}
	if got := appVerdict(t, c, app); !strings.Contains(got, `spec.deps.jars[0] "/opt/mine.jar"`) {
		t.Errorf("the tenant's own local jar: %q", got)
	}
	if doc := dependenciesDocument(app, c.layerConf("etl")); !doc["jars"].User {
		t.Errorf("the tenant's own jars in the document: %+v", doc["jars"])
	}
}
