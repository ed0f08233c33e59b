package mutate

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
)

// confKeyFields are the fields of an application the Spark Operator passes
// inside a --conf key, each with a setter that gives it the key or name
// "a=b" and the --conf key the operator would pass.
var confKeyFields = []struct {
	field string // as the error names it
	set   func(*sparkv1beta2.Spec)
	key   string
}{
	{`spec.sparkConf["spark.eventLog.dir=s3a://b/x"]`, func(s *sparkv1beta2.Spec) { s.SparkConf = map[string]string{"spark.eventLog.dir=s3a://b/x": "y"} }, "spark.eventLog.dir=s3a://b/x"},
	{`spec.hadoopConf["fs.s3a.endpoint=http://e/?q"]`, func(s *sparkv1beta2.Spec) { s.HadoopConf = map[string]string{"fs.s3a.endpoint=http://e/?q": "1"} }, "spark.hadoop.fs.s3a.endpoint=http://e/?q"},
	{`spec.nodeSelector["a=b"]`, func(s *sparkv1beta2.Spec) { s.NodeSelector = map[string]string{"a=b": "c"} }, "spark.kubernetes.node.selector.a=b"},
	{`spec.driver.labels["a=b"]`, func(s *sparkv1beta2.Spec) { s.Driver.Labels = map[string]string{"a=b": "c"} }, "spark.kubernetes.driver.label.a=b"},
	{`spec.executor.labels["a=b"]`, func(s *sparkv1beta2.Spec) { s.Executor.Labels = map[string]string{"a=b": "c"} }, "spark.kubernetes.executor.label.a=b"},
	{`spec.driver.annotations["iam.amazonaws.com/role=arn"]`, func(s *sparkv1beta2.Spec) {
		s.Driver.Annotations = map[string]string{"iam.amazonaws.com/role=arn": "aws:iam::1:role/x"}
	}, "spark.kubernetes.driver.annotation.iam.amazonaws.com/role=arn"},
	{`spec.executor.annotations["a=b"]`, func(s *sparkv1beta2.Spec) { s.Executor.Annotations = map[string]string{"a=b": "c"} }, "spark.kubernetes.executor.annotation.a=b"},
	{`spec.driver.nodeSelector["a=b"]`, func(s *sparkv1beta2.Spec) { s.Driver.NodeSelector = map[string]string{"a=b": "c"} }, "spark.kubernetes.driver.node.selector.a=b"},
	{`spec.executor.nodeSelector["a=b"]`, func(s *sparkv1beta2.Spec) { s.Executor.NodeSelector = map[string]string{"a=b": "c"} }, "spark.kubernetes.executor.node.selector.a=b"},
	{`spec.driver.envVars["A=B"]`, func(s *sparkv1beta2.Spec) { s.Driver.EnvVars = map[string]string{"A=B": "c"} }, "spark.kubernetes.driverEnv.A=B"},
	{`spec.executor.envVars["A=B"]`, func(s *sparkv1beta2.Spec) { s.Executor.EnvVars = map[string]string{"A=B": "c"} }, "spark.executorEnv.A=B"},
	{`spec.driver.envSecretKeyRefs["A=B"]`, func(s *sparkv1beta2.Spec) {
		s.Driver.EnvSecretKeyRefs = map[string]sparkv1beta2.NameKey{"A=B": {Name: "s", Key: "k"}}
	}, "spark.kubernetes.driver.secretKeyRef.A=B"},
	{`spec.executor.envSecretKeyRefs["A=B"]`, func(s *sparkv1beta2.Spec) {
		s.Executor.EnvSecretKeyRefs = map[string]sparkv1beta2.NameKey{"A=B": {Name: "s", Key: "k"}}
	}, "spark.kubernetes.executor.secretKeyRef.A=B"},
	{`spec.driver.secrets[1].name "a=b"`, func(s *sparkv1beta2.Spec) {
		s.Driver.Secrets = []sparkv1beta2.SecretInfo{{Name: "ok", Path: "/o"}, {Name: "a=b", Path: "/p"}}
	}, "spark.kubernetes.driver.secrets.a=b"},
	{`spec.executor.secrets[0].name "a=b"`, func(s *sparkv1beta2.Spec) { s.Executor.Secrets = []sparkv1beta2.SecretInfo{{Name: "a=b", Path: "/p"}} }, "spark.kubernetes.executor.secrets.a=b"},
	{`spec.driver.volumeMounts[0].name "a=b"`, func(s *sparkv1beta2.Spec) {
		s.Driver.VolumeMounts = []corev1.VolumeMount{{Name: "a=b", MountPath: "/p"}}
	}, "spark.kubernetes.driver.volumes.<type>.a=b.mount.path"},
	{`spec.executor.volumeMounts[0].name "a=b"`, func(s *sparkv1beta2.Spec) {
		s.Executor.VolumeMounts = []corev1.VolumeMount{{Name: "a=b", MountPath: "/p"}}
	}, "spark.kubernetes.executor.volumes.<type>.a=b.mount.path"},
	{`spec.driver.serviceLabels["a=b"]`, func(s *sparkv1beta2.Spec) { s.Driver.ServiceLabels = map[string]string{"a=b": "c"} }, "spark.kubernetes.driver.service.label.a=b"},
	{`spec.driver.serviceAnnotations["a=b"]`, func(s *sparkv1beta2.Spec) { s.Driver.ServiceAnnotations = map[string]string{"a=b": "c"} }, "spark.kubernetes.driver.service.annotation.a=b"},
}

// TestConfKeysHoldingEquals: every key or name the operator passes inside
// a --conf key is refused when it holds "=", naming the field, the
// argument and the key spark-submit would read; the same keys without
// "=" pass, and so does "=" in a value.
func TestConfKeysHoldingEquals(t *testing.T) {
	for _, f := range confKeyFields {
		app := &sparkv1beta2.SparkApplication{}
		f.set(&app.Spec)
		err := CheckApp(app)
		if err == nil {
			t.Errorf("%s: not refused", f.field)
			continue
		}
		read, _, _ := strings.Cut(f.key, "=")
		want := f.field + `: must not hold "=": the Spark Operator passes it to spark-submit as --conf ` + f.key + `=<value>, which spark-submit reads as key "` + read + `"`
		if !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s:\n got %s\nwant %s...", f.field, err, want)
		}
		// Without "=" in the key or name, the same application passes.
		ok := &sparkv1beta2.SparkApplication{}
		f.set(&ok.Spec)
		replaceEquals(t, reflect.ValueOf(&ok.Spec).Elem())
		if err := CheckConfKeys(ok); err != nil {
			t.Errorf("%s without \"=\": %v", f.field, err)
		}
	}
	values := &sparkv1beta2.SparkApplication{}
	values.Spec.SparkConf = map[string]string{"spark.driver.extraJavaOptions": "-Da=b -Dc=d"}
	values.Spec.Driver.Labels = map[string]string{"a": "b=c"}
	if err := CheckApp(values); err != nil {
		t.Errorf(`"=" in values: %v`, err)
	}
}

// TestConfKeysFirstInOrder: of several keys holding "=", the error names
// the same one every time, the least.
func TestConfKeysFirstInOrder(t *testing.T) {
	app := &sparkv1beta2.SparkApplication{}
	app.Spec.SparkConf = map[string]string{}
	for _, k := range []string{"spark.z=1", "spark.b=1", "spark.m=1", "spark.a=1", "spark.q=1"} {
		app.Spec.SparkConf[k] = ""
	}
	for range 20 {
		if err := CheckConfKeys(app); err == nil || !strings.HasPrefix(err.Error(), `spec.sparkConf["spark.a=1"]`) {
			t.Fatalf("got %v, want spark.a=1 named", err)
		}
	}
}

// TestConfKeysClipped: a long key is named in part, so a denial stays
// readable.
func TestConfKeysClipped(t *testing.T) {
	app := &sparkv1beta2.SparkApplication{}
	app.Spec.SparkConf = map[string]string{"spark.a=" + strings.Repeat("x", 1<<20): ""}
	err := CheckConfKeys(app)
	if err == nil || len(err.Error()) > 4*maxQuoted || !strings.Contains(err.Error(), `reads as key "spark.a"`) {
		t.Errorf("got %d bytes: %.300v", len(err.Error()), err)
	}
}

// TestConfKeyFieldsAreEveryMap: every map of the mirror whose keys the
// operator could pass is in confKeyFields, or listed here as one it does
// not pass in a key; a map added to the mirror fails until it is decided.
func TestConfKeyFieldsAreEveryMap(t *testing.T) {
	// The queue's resources are the PodGroup's, never a Spark key.
	// The UI's Service and Ingress metadata are theirs, never Spark keys.
	notInKeys := []string{"spec.batchSchedulerOptions.resources", "spec.sparkUIOptions.serviceAnnotations",
		"spec.sparkUIOptions.serviceLabels", "spec.sparkUIOptions.ingressAnnotations"}
	var maps []string
	var walk func(path string, typ reflect.Type)
	walk = func(path string, typ reflect.Type) {
		for f := range typ.Fields() {
			name := strings.Split(f.Tag.Get("json"), ",")[0]
			p := path
			if name != "" {
				p += "." + name
			}
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			switch {
			case ft.Kind() == reflect.Map && ft.Key().Kind() == reflect.String:
				maps = append(maps, p)
			case ft.Kind() == reflect.Struct && ft.PkgPath() == typ.PkgPath():
				walk(p, ft)
			}
		}
	}
	walk("spec", reflect.TypeFor[sparkv1beta2.Spec]())
	for _, m := range maps {
		if slices.Contains(notInKeys, m) {
			continue
		}
		found := false
		for _, f := range confKeyFields {
			found = found || strings.HasPrefix(f.field, m+"[")
		}
		if !found {
			t.Errorf("%s: a map of the mirror that confKeyFields does not cover", m)
		}
	}
	if len(maps) < 10 {
		t.Errorf("found only %v", maps)
	}
}

// replaceEquals replaces "=" with "-" in every map key and Name field
// under v, a spec being built.
func replaceEquals(t *testing.T, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			replaceEquals(t, v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).Name == "Name" && v.Field(i).Kind() == reflect.String {
				v.Field(i).SetString(strings.ReplaceAll(v.Field(i).String(), "=", "-"))
				continue
			}
			if v.Type().Field(i).IsExported() {
				replaceEquals(t, v.Field(i))
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			replaceEquals(t, v.Index(i))
		}
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String || v.IsNil() {
			return
		}
		fixed := reflect.MakeMap(v.Type())
		for _, k := range v.MapKeys() {
			fixed.SetMapIndex(reflect.ValueOf(strings.ReplaceAll(k.String(), "=", "-")).Convert(v.Type().Key()), v.MapIndex(k))
		}
		v.Set(fixed)
	}
}
