package mutate

import (
	"math"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay/sparkvalue"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// AppSize is what a SparkApplication's pods request, as Spark sizes them.
type AppSize struct {
	// Driver and Executor are one pod of each role.
	Driver, Executor PodSize
	// Executors is the most executors the application may run at once:
	// spark.executor.instances, or with dynamic allocation its
	// maxExecutors; -1 when nothing bounds it (dynamic allocation without
	// maxExecutors).
	Executors int64
	// DynamicAllocation reports whether executors are allocated
	// dynamically.
	DynamicAllocation bool
	// driverRequests and executorRequests are what Spark writes on each
	// role's pod, which Driver and Executor count.
	driverRequests, executorRequests sparkRequests
}

// sparkRequests are the Spark container's requests as Spark writes them
// on the pod: the CPU of request.cores as written (else cores), and the
// memory as "<n>Mi". Unlike a PodSize they are not capped at what Strata
// counts, so the pod launched from an application that asks for more is
// refused as the pod Spark would create is, naming what it asks for.
type sparkRequests struct {
	cpu       resource.Quantity
	memoryMiB int64
}

// requests returns the requests of role's pod.
func (a *AppSize) requests(role v1alpha1.Role) corev1.ResourceList {
	r := a.driverRequests
	if role == v1alpha1.RoleExecutor {
		r = a.executorRequests
	}
	// Spark writes "<n>Mi"; the API server reads what is beyond an int64
	// of bytes as the largest one, as resource.ParseQuantity does.
	mem, err := resource.ParseQuantity(strconv.FormatInt(r.memoryMiB, 10) + "Mi")
	if err != nil { // never: n is a whole number, at least 0
		mem = *resource.NewQuantity(math.MaxInt64, resource.BinarySI)
	}
	return corev1.ResourceList{corev1.ResourceCPU: r.cpu, corev1.ResourceMemory: mem}
}

// PodSize is one pod's requests, each at most what Strata counts
// (v1alpha1.MaxCountableCPUMilli, MaxCountableMemoryBytes).
type PodSize struct {
	CPUMilli    int64 `json:"cpuMilli"`
	MemoryBytes int64 `json:"memoryBytes"`
}

// Spark's sizing defaults.
const (
	// minOverheadMiB is Spark's least memory overhead, 384 MiB.
	minOverheadMiB = 384
	// The default memory overhead factors: JVM jobs, and Python and R
	// jobs (spark.kubernetes.memoryOverheadFactor's documented default).
	jvmOverheadFactor    = 0.1
	nonJVMOverheadFactor = 0.4
)

// SizeOf sizes the pods of a SparkApplication from its effective
// configuration (EffectiveConf), each setting read as Spark reads it
// (sparkvalue): CPU is the role's request.cores, else its cores (1 by
// default); memory is memory (1g by default) plus overhead, the explicit
// memoryOverhead or the overhead factor times memory, at least
// minMemoryOverhead (384 MiB by default); an executor's also holds its
// off-heap memory when enabled, and a Python application's PySpark memory,
// as Spark computes the pod's request: in whole MiB, each setting read in
// MiB and the factor's overhead truncated to a MiB, so a pod's request is
// the "<n>Mi" Spark writes. A value Spark would not accept is
// an error naming its key.
func SizeOf(s *sparkv1beta2.Spec) (AppSize, error) {
	conf := sparkvalue.Conf(EffectiveConf(s))
	var out AppSize
	factor := jvmOverheadFactor
	python, r := language(s)
	if python || r {
		factor = nonJVMOverheadFactor
	}
	// The key wins over spec.memoryOverheadFactor (the operator passes
	// the field before sparkConf); an error names the spelling in effect.
	const factorKey = "spark.kubernetes.memoryOverheadFactor"
	if _, key := s.SparkConf[factorKey]; !key && s.MemoryOverheadFactor != nil {
		f, err := sparkvalue.ParseFactor(*s.MemoryOverheadFactor)
		if err != nil {
			return AppSize{}, &sparkvalue.Error{Key: "spec.memoryOverheadFactor", Value: *s.MemoryOverheadFactor, Kind: sparkvalue.Factor}
		}
		factor = f
	} else if f, ok, err := conf.Factor(factorKey); err != nil {
		return AppSize{}, err
	} else if ok {
		factor = f
	}
	for _, role := range Roles() {
		size, req, err := podSize(conf, role, factor)
		if err != nil {
			return AppSize{}, err
		}
		if role == v1alpha1.RoleDriver {
			out.Driver, out.driverRequests = size, req
			continue
		}
		// Off-heap and PySpark memory are the executor's, beside its
		// heap and overhead (ResourceProfile's totalMemMiB).
		extra, err := executorExtraMemory(conf, python)
		if err != nil {
			return AppSize{}, err
		}
		req.memoryMiB += extra
		size.MemoryBytes = bytesOfMiB(req.memoryMiB)
		out.Executor, out.executorRequests = size, req
	}
	var err error
	if out.DynamicAllocation, _, err = conf.Switch("spark.dynamicAllocation.enabled"); err != nil {
		return AppSize{}, err
	}
	key := "spark.executor.instances"
	// Spark's default (SchedulerBackendUtils). The operator's defaulting
	// webhook sets spec.executor.instances to 1 when neither spelling is
	// set, but an app the validating webhook sees without either has
	// passed every mutating webhook: the operator passes none, and Spark
	// runs two.
	out.Executors = 2
	if out.DynamicAllocation {
		key, out.Executors = "spark.dynamicAllocation.maxExecutors", -1
	}
	if n, ok, err := conf.Count(key); err != nil {
		return AppSize{}, err
	} else if ok {
		out.Executors = n
	}
	return out, nil
}

// language reports a Python or an R application, by spec.type or by its
// main file's name, which is how spark-submit tells them
// (SparkSubmit.isPython, isR): either counts, so an application is never
// sized as the JVM's when Spark runs it as Python or R.
func language(s *sparkv1beta2.Spec) (python, r bool) {
	python, r = strings.EqualFold(s.Type, "python"), strings.EqualFold(s.Type, "r")
	if f := s.MainApplicationFile; f != nil {
		python = python || strings.HasSuffix(*f, ".py")
		r = r || strings.HasSuffix(*f, ".R") || strings.HasSuffix(*f, ".r")
	}
	return python, r
}

// podSize sizes role's pod: its requests as Spark writes them, and
// counted.
func podSize(conf sparkvalue.Conf, role v1alpha1.Role, factor float64) (PodSize, sparkRequests, error) {
	r := string(role)
	req := sparkRequests{cpu: *resource.NewQuantity(1, resource.DecimalSI)}
	if q, ok, err := conf.CPU("spark.kubernetes." + r + ".request.cores"); err != nil {
		return PodSize{}, sparkRequests{}, err
	} else if ok {
		req.cpu = q
	} else if n, ok, err := conf.Count("spark." + r + ".cores"); err != nil {
		return PodSize{}, sparkRequests{}, err
	} else if ok {
		req.cpu = *resource.NewQuantity(n, resource.DecimalSI) // n fits an int32
	}
	memMiB, ok, err := sizeMiB(conf, "spark."+r+".memory")
	if err != nil {
		return PodSize{}, sparkRequests{}, err
	}
	if !ok {
		memMiB = 1024
	}
	if f, ok, err := conf.Factor("spark." + r + ".memoryOverheadFactor"); err != nil {
		return PodSize{}, sparkRequests{}, err
	} else if ok {
		factor = f
	}
	floorMiB, ok, err := sizeMiB(conf, "spark."+r+".minMemoryOverhead")
	if err != nil {
		return PodSize{}, sparkRequests{}, err
	}
	if !ok {
		floorMiB = minOverheadMiB
	}
	// (factor * memory).toInt: truncated to a whole MiB, at most Java's
	// largest int (clamped before the conversion, which Go leaves
	// undefined beyond int64).
	overheadMiB := max(int64(math.Min(factor*float64(memMiB), math.MaxInt32)), floorMiB)
	if explicit, ok, err := sizeMiB(conf, "spark."+r+".memoryOverhead"); err != nil {
		return PodSize{}, sparkRequests{}, err
	} else if ok {
		overheadMiB = explicit
	}
	req.memoryMiB = memMiB + overheadMiB
	return PodSize{CPUMilli: clampMilli(req.cpu), MemoryBytes: bytesOfMiB(req.memoryMiB)}, req, nil
}

// maxCountableMiB is v1alpha1.MaxCountableMemoryBytes in MiB.
const maxCountableMiB = v1alpha1.MaxCountableMemoryBytes >> 20

// sizeMiB reads a memory setting in whole MiB, as Spark reads it
// (JavaUtils.byteStringAs in MiB, or a size in bytes divided down: what is
// below a MiB is dropped), at most 2^43 (sparkvalue.ParseSize's largest
// int64 of bytes), so a pod's sum of four never overflows; ok is false
// when it is unset.
func sizeMiB(conf sparkvalue.Conf, key string) (int64, bool, error) {
	b, ok, err := conf.Size(key)
	return b >> 20, ok, err
}

// bytesOfMiB is a pod's memory request of n MiB (Spark writes it as "nMi"),
// at most MaxCountableMemoryBytes.
func bytesOfMiB(n int64) int64 { return min(n, maxCountableMiB) << 20 }

// executorExtraMemory is what an executor's memory holds beside its heap
// and overhead, in MiB: its off-heap memory when
// spark.memory.offHeap.enabled, and a Python application's
// spark.executor.pyspark.memory.
func executorExtraMemory(conf sparkvalue.Conf, python bool) (int64, error) {
	var extra int64
	on, _, err := conf.Switch("spark.memory.offHeap.enabled")
	if err != nil {
		return 0, err
	}
	if on {
		size, _, err := sizeMiB(conf, "spark.memory.offHeap.size")
		if err != nil {
			return 0, err
		}
		extra = size
	}
	if python {
		size, _, err := sizeMiB(conf, "spark.executor.pyspark.memory")
		if err != nil {
			return 0, err
		}
		extra += size
	}
	return extra, nil
}

// clampMilli is q in millicores, at most MaxCountableCPUMilli.
func clampMilli(q resource.Quantity) int64 {
	if q.Cmp(*resource.NewMilliQuantity(v1alpha1.MaxCountableCPUMilli, resource.DecimalSI)) > 0 {
		return v1alpha1.MaxCountableCPUMilli
	}
	return q.MilliValue()
}
