package mutate

import (
	"bytes"
	stdjson "encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"gomodules.xyz/jsonpatch/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1alpha1"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// ConnectResult is the outcome of composing one SparkConnect.
type ConnectResult struct {
	// Object is the composed SparkConnect, as JSON values: the input with
	// its Spark configuration composed, every field Strata does not know
	// as written.
	Object map[string]any
	// Patch turns the input into Object; empty when nothing changed.
	Patch []jsonpatch.Operation
	// Conf is the Spark configuration the operator starts the server with
	// from Object (connectConf), but for the keys it sets itself.
	Conf map[string]string
	// Job is the composition of that configuration, as of a job
	// spark-submit submits itself (ComposeSubmitJob): its roles' layers
	// and provenance.
	Job *AppResult
	// Warnings tell the user which of their own values a layer overrode,
	// named as the SparkConnect spells them.
	Warnings []string
	// Connect is the typed view of Object: what the validating webhook
	// judges (ConnectLaunchedPod).
	Connect *sparkv1alpha1.SparkConnect
}

// ExplainPath is where the composed SparkConnect states the setting key of
// role's composition: the typed field that runs it, spec.hadoopConf or
// spec.sparkConf; false for what composing a SparkConnect does not write
// (a pod setting, which the pod webhook composes onto its pods; a key the
// operator sets; a key of the other role's composition).
func (r *ConnectResult) ExplainPath(role v1alpha1.Role, key overlay.Key) (string, bool) {
	s := &r.Connect.Spec
	switch key.Root {
	case overlay.PathSparkConf:
		if overlay.SparkKeyRole(key.Item) != role || !connectWritten(key.Item) {
			return "", false
		}
		for _, a := range connectAliases() {
			if _, typed := a.get(s); typed && a.key == key.Item { // the typed field wins
				return a.field, true
			}
		}
		return overlay.Key{Root: "spec.sparkConf", Item: key.Item, Map: true}.String(), true
	case overlay.PathHadoopConf:
		if role != v1alpha1.RoleDriver {
			return "", false
		}
		for _, k := range []string{key.Item, overlay.SparkHadoopPrefix + key.Item} {
			if hasKey(s.HadoopConf, k) {
				return overlay.Key{Root: "spec.hadoopConf", Item: k, Map: true}.String(), true
			}
		}
		if k := overlay.SparkHadoopPrefix + key.Item; hasKey(s.SparkConf, k) {
			return overlay.Key{Root: "spec.sparkConf", Item: k, Map: true}.String(), true
		}
		return overlay.Key{Root: "spec.hadoopConf", Item: key.Item, Map: true}.String(), true
	}
	return "", false
}

// connectOperatorKeys are the keys the operator sets on the server's
// command line itself: a layer's value of one has no effect, and is not
// written.
var connectOperatorKeys = []string{
	"spark.master", "spark.kubernetes.namespace", "spark.kubernetes.driver.pod.name",
	"spark.driver.bindAddress", "spark.driver.host", "spark.driver.port", "spark.driver.blockManager.port",
	"spark.kubernetes.executor.podNamePrefix", "spark.kubernetes.executor.podTemplateFile",
	"spark.kubernetes.executor.podTemplateContainerName",
}

// ComposeConnect composes the layers of snap onto the Spark configuration
// of a SparkConnect (data, JSON; one without a namespace is in
// namespace), as the admission webhook does.
//
// The server and its executors are pods, which the pod webhook composes
// when they are created (the server as a driver); what only the
// SparkConnect holds is the Spark configuration the operator starts the
// server with, which Spark reads: spec.sparkConf and spec.hadoopConf, and
// the typed fields the operator passes as keys after them (the server's
// and executors' cores and memory, the executors' instances, dynamic
// allocation). That configuration is composed as a job spark-submit
// submits itself (ComposeSubmitJob), and each setting a layer changed is
// written where it runs: in the typed field the user set when it can hold
// the value (else that field is removed and the key written), a Hadoop key
// in hadoopConf, else in sparkConf. The pod settings a key may spell
// (labels, annotations, node selectors, service account, scheduler,
// environment, images) are the pod webhook's, and the keys the operator
// sets itself are left alone. In a namespace that enforces a Pod Security
// level, the user is warned of the pods it launches that what the layers
// add breaks (connectPodSecurityWarnings), and, in a namespace placed by
// the PodNodeSelector and PodTolerationRestriction plugins, of those the
// plugins will refuse for what the layers set (connectPlacementWarnings).
func ComposeConnect(snap *overlay.Snapshot, cluster Cluster, data []byte, namespace string) (*ConnectResult, error) {
	raw, c, err := sparkv1alpha1.Decode(data)
	if err != nil {
		return nil, err
	}
	if c.Metadata.Namespace == "" {
		c.Metadata.Namespace = namespace
	}
	if c.Metadata.Namespace == "" {
		c.Metadata.Namespace = corev1.NamespaceDefault
	}
	name := c.Metadata.Namespace + "/" + c.Metadata.Name
	user := connectConf(&c.Spec)
	job, err := ComposeSubmitJob(snap, cluster, c.Metadata.Namespace, user)
	if err != nil {
		return nil, fmt.Errorf("SparkConnect %q: %w", name, err)
	}
	out := &ConnectResult{Job: job}
	spec := c.Spec
	spec.SparkConf, spec.HadoopConf = maps.Clone(spec.SparkConf), maps.Clone(spec.HadoopConf)
	if d := spec.DynamicAllocation; d != nil {
		own := *d // written through by its aliases
		spec.DynamicAllocation = &own
	}
	for _, k := range slices.Sorted(maps.Keys(job.Conf)) {
		if !connectWritten(k) {
			continue
		}
		v := job.Conf[k]
		if was, ok := user[k]; ok && was == v {
			continue
		}
		writeConnectKey(&spec, k, v)
	}
	if out.Object, err = connectValues(raw, &c.Spec, &spec); err != nil {
		return nil, fmt.Errorf("SparkConnect %q: %w", name, err)
	}
	if out.Patch, err = appPatch(raw, out.Object); err != nil {
		return nil, fmt.Errorf("SparkConnect %q: %w", name, err)
	}
	out.Connect, out.Conf = &sparkv1alpha1.SparkConnect{Metadata: c.Metadata, Spec: spec}, connectConf(&spec)
	out.Warnings = connectWarnings(out, c.Spec.SparkConf)
	podSecurity, err := connectPodSecurityWarnings(snap, cluster, c, out.Connect)
	if err != nil {
		return nil, fmt.Errorf("SparkConnect %q: %w", name, err)
	}
	out.Warnings = append(out.Warnings, podSecurity...)
	placement, err := connectPlacementWarnings(snap, cluster, c, out.Connect)
	if err != nil {
		return nil, fmt.Errorf("SparkConnect %q: %w", name, err)
	}
	out.Warnings = append(out.Warnings, placement...)
	// The server is a driver in client mode, whose pod the operator
	// creates: Spark creates the claims of its executors only.
	if w := claimWarning(snap, out.Conf, v1alpha1.RoleExecutor, c.Metadata.Namespace); w != "" {
		out.Warnings = append(out.Warnings, string(v1alpha1.RoleExecutor)+": "+w)
	}
	bounds, err := connectBoundWarnings(snap, cluster, c, out.Connect, out.Conf)
	if err != nil {
		return nil, fmt.Errorf("SparkConnect %q: %w", name, err)
	}
	out.Warnings = append(out.Warnings, bounds...)
	return out, nil
}

// CheckConnect returns an error naming the first reason Strata refuses a
// SparkConnect before any work on it: more sparkConf and hadoopConf keys
// than MaxConfKeys, or a key of either holding "=", which the operator
// passes to spark-submit as another key (CheckConfKeys says why): in
// whichever order it iterates the map, so such a key may win over the
// setting it names, past the layers' value and every rule on it. The
// webhook refuses such a SparkConnect, and the composer's dry run does
// too.
func CheckConnect(s *sparkv1alpha1.Spec) error {
	if n := len(s.SparkConf) + len(s.HadoopConf); n > MaxConfKeys {
		return fmt.Errorf("%s has %d sparkConf and hadoopConf keys; Strata admits at most %d", sparkv1alpha1.Kind, n, MaxConfKeys)
	}
	if err := keysWithout("spec.sparkConf", "", s.SparkConf); err != nil {
		return err
	}
	// The operator adds spark.hadoop. to a key that lacks it.
	bare, prefixed := map[string]string{}, map[string]string{}
	for k, v := range s.HadoopConf {
		if strings.HasPrefix(k, overlay.SparkHadoopPrefix) {
			prefixed[k] = v
		} else {
			bare[k] = v
		}
	}
	if err := keysWithout("spec.hadoopConf", overlay.SparkHadoopPrefix, bare); err != nil {
		return err
	}
	return keysWithout("spec.hadoopConf", "", prefixed)
}

// connectConf is the Spark configuration the operator starts the server
// with from s, in the order it passes it (a later key wins): the image,
// sparkConf, hadoopConf (spark.hadoop. added where missing), the typed
// sizes, dynamic allocation. The keys the operator sets itself are left
// out.
func connectConf(s *sparkv1alpha1.Spec) map[string]string {
	conf := map[string]string{}
	img := ""
	if s.Image != nil {
		img = *s.Image
	}
	if t := s.Executor.Template; t != nil && len(t.Spec.Containers) > 0 {
		i := slices.IndexFunc(t.Spec.Containers, func(c corev1.Container) bool { return c.Name == executorContainer })
		if i < 0 {
			i = 0
		}
		if t.Spec.Containers[i].Image != "" {
			img = t.Spec.Containers[i].Image
		}
	}
	if img != "" {
		conf[overlay.SparkContainerImage] = img
		conf[overlay.SparkRoleImage(v1alpha1.RoleExecutor)] = img
	}
	maps.Copy(conf, s.SparkConf)
	// Both spellings of one key in hadoopConf (K and spark.hadoop.K) are
	// passed in the map's order, which the operator does not fix:
	// composition writes both, and the bare one is read first here.
	for _, k := range slices.Sorted(maps.Keys(s.HadoopConf)) {
		v := s.HadoopConf[k]
		if !strings.HasPrefix(k, overlay.SparkHadoopPrefix) {
			k = overlay.SparkHadoopPrefix + k
		}
		conf[k] = v
	}
	for _, a := range connectAliases() {
		if v, ok := a.get(s); ok {
			conf[a.key] = v
		}
	}
	for _, k := range connectOperatorKeys {
		delete(conf, k)
	}
	return conf
}

// connectWritten reports whether composition writes key into a
// SparkConnect: not a key the operator sets itself, nor a pod setting of
// either role (an image among them: the layers' and the mirrors' images
// are written onto the pods).
func connectWritten(key string) bool {
	if slices.Contains(connectOperatorKeys, key) || key == overlay.SparkContainerImage ||
		key == overlay.SparkRoleImage(v1alpha1.RoleDriver) || key == overlay.SparkRoleImage(v1alpha1.RoleExecutor) {
		return false
	}
	for _, role := range Roles() {
		switch overlay.SparkConfTarget(role, key).Field {
		case "sparkConf", "hadoopConf":
		default:
			return false
		}
	}
	return true
}

// writeConnectKey writes a composed setting into s where it runs: the
// typed field the operator passes it from, when the user set that field
// and it holds v; a Hadoop key (spark.hadoop.K) in hadoopConf, which the
// operator passes after sparkConf, as K unless the user spelled it whole
// there; else sparkConf.
func writeConnectKey(s *sparkv1alpha1.Spec, k, v string) {
	for _, a := range connectAliases() {
		if a.key != k {
			continue
		}
		if _, typed := a.get(s); !typed {
			break
		}
		if a.set(s, v) {
			delete(s.SparkConf, k)
			return
		}
		a.clear(s)
	}
	if h, ok := strings.CutPrefix(k, overlay.SparkHadoopPrefix); ok {
		if s.HadoopConf == nil {
			s.HadoopConf = map[string]string{}
		}
		delete(s.SparkConf, k)
		if _, had := s.HadoopConf[k]; had {
			s.HadoopConf[k] = v
			if _, both := s.HadoopConf[h]; !both {
				return
			}
		}
		s.HadoopConf[h] = v
		return
	}
	if s.SparkConf == nil {
		s.SparkConf = map[string]string{}
	}
	s.SparkConf[k] = v
}

// connectWarnings are the warnings of r's composition: each of the
// user's values a layer overrode of what composing a SparkConnect writes,
// named by where the SparkConnect states it (ExplainPath), and the keys of
// the user's sparkConf spark-submit ignores. The job's other warnings are
// of pod settings, which the pod webhook warns of on the pods.
func connectWarnings(r *ConnectResult, user map[string]string) []string {
	var out []string
	for _, role := range Roles() {
		res := r.Job.Role(role)
		for _, w := range warningsAt(res.Composition.Provenance, res.Pod, res.Pod, func(f overlay.Field) (string, bool) {
			return r.ExplainPath(role, f.Key)
		}) {
			out = append(out, string(role)+": "+w)
		}
	}
	return append(out, ignoredKeyWarnings(user)...)
}

// connectValues is raw with the Spark configuration of before replaced by
// after's: each field that changed, written where it is, every other
// field shared with raw.
func connectValues(raw map[string]any, before, after *sparkv1alpha1.Spec) (map[string]any, error) {
	out := maps.Clone(raw)
	spec, _ := out["spec"].(map[string]any)
	spec = maps.Clone(spec)
	if spec == nil {
		spec = map[string]any{}
	}
	out["spec"] = spec
	for _, f := range []struct {
		path       []string
		was, value any
	}{
		{[]string{"sparkConf"}, before.SparkConf, after.SparkConf},
		{[]string{"hadoopConf"}, before.HadoopConf, after.HadoopConf},
		{[]string{"server", "cores"}, before.Server.Cores, after.Server.Cores},
		{[]string{"server", "memory"}, before.Server.Memory, after.Server.Memory},
		{[]string{"executor", "cores"}, before.Executor.Cores, after.Executor.Cores},
		{[]string{"executor", "memory"}, before.Executor.Memory, after.Executor.Memory},
		{[]string{"executor", "instances"}, before.Executor.Instances, after.Executor.Instances},
		{[]string{"dynamicAllocation"}, before.DynamicAllocation, after.DynamicAllocation},
	} {
		was, err := jsonValue(f.was)
		if err != nil {
			return nil, err
		}
		now, err := jsonValue(f.value)
		if err != nil {
			return nil, err
		}
		if equalJSON(was, now) {
			continue
		}
		setValue(spec, f.path, now)
	}
	return out, nil
}

// setValue sets path below obj to v (nil removes it), copying each object
// on the way so that what obj shared stays as it was.
func setValue(obj map[string]any, path []string, v any) {
	if len(path) > 1 {
		next, _ := obj[path[0]].(map[string]any)
		next = maps.Clone(next)
		if next == nil {
			next = map[string]any{}
		}
		obj[path[0]] = next
		setValue(next, path[1:], v)
		return
	}
	if v == nil {
		delete(obj, path[0])
		return
	}
	obj[path[0]] = v
}

// jsonValue is v encoded and decoded as a JSON value, numbers as written;
// nil for a nil pointer or an empty map.
func jsonValue(v any) (any, error) {
	data, err := stdjson.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encoding a SparkConnect: %w", err)
	}
	dec := stdjson.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("decoding a SparkConnect: %w", err)
	}
	if m, ok := out.(map[string]any); ok && len(m) == 0 {
		return nil, nil
	}
	return out, nil
}

func equalJSON(a, b any) bool {
	da, _ := stdjson.Marshal(a)
	db, _ := stdjson.Marshal(b)
	return bytes.Equal(da, db)
}
