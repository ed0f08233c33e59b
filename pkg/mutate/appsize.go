package mutate

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay/quantity"
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
}

// PodSize is one pod's requests.
type PodSize struct {
	CPUMilli    int64 `json:"cpuMilli"`
	MemoryBytes int64 `json:"memoryBytes"`
}

// Spark's sizing defaults.
const (
	// minOverheadBytes is Spark's least memory overhead, 384 MiB.
	minOverheadBytes = 384 << 20
	// The default memory overhead factors: JVM jobs, and Python and R
	// jobs (spark.kubernetes.memoryOverheadFactor's documented default).
	jvmOverheadFactor    = 0.1
	nonJVMOverheadFactor = 0.4
)

// SizeOf sizes the pods of a SparkApplication from its effective
// configuration (EffectiveConf): CPU is the role's request.cores, else its
// cores (1 by default); memory is memory (1g by default) plus overhead,
// the explicit memoryOverhead or the overhead factor times memory, at
// least 384 MiB, as Spark computes the pod's request. A value Spark would
// not accept is an error naming its key.
func SizeOf(s *sparkv1beta2.Spec) (AppSize, error) {
	conf := EffectiveConf(s)
	var out AppSize
	var err error
	factor := jvmOverheadFactor
	if t := strings.ToLower(s.Type); t == "python" || t == "r" {
		factor = nonJVMOverheadFactor
	}
	if v, ok := conf["spark.kubernetes.memoryOverheadFactor"]; ok {
		if factor, err = parseFactor("spark.kubernetes.memoryOverheadFactor", v); err != nil {
			return AppSize{}, err
		}
	} else if s.MemoryOverheadFactor != nil {
		if factor, err = parseFactor("spec.memoryOverheadFactor", *s.MemoryOverheadFactor); err != nil {
			return AppSize{}, err
		}
	}
	for _, role := range Roles() {
		size, err := podSize(conf, role, factor)
		if err != nil {
			return AppSize{}, err
		}
		if role == v1alpha1.RoleDriver {
			out.Driver = size
		} else {
			out.Executor = size
		}
	}
	out.DynamicAllocation = conf["spark.dynamicAllocation.enabled"] == "true"
	key := "spark.executor.instances"
	out.Executors = 1 // the operator's default
	if out.DynamicAllocation {
		key, out.Executors = "spark.dynamicAllocation.maxExecutors", -1
	}
	if v, ok := conf[key]; ok {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
		if err != nil || n < 0 {
			return AppSize{}, fmt.Errorf("%s: %q is not a count of executors", key, v)
		}
		out.Executors = n
	}
	return out, nil
}

func podSize(conf map[string]string, role v1alpha1.Role, factor float64) (PodSize, error) {
	r := string(role)
	var size PodSize
	cpuKey := "spark.kubernetes." + r + ".request.cores"
	cpu, ok := conf[cpuKey]
	if !ok {
		cpuKey = "spark." + r + ".cores"
		cpu, ok = conf[cpuKey]
	}
	size.CPUMilli = 1000
	if ok {
		q, err := quantity.Parse(strings.TrimSpace(cpu))
		if err != nil || q.Sign() < 0 {
			return PodSize{}, fmt.Errorf("%s: %q is not a CPU quantity", cpuKey, cpu)
		}
		size.CPUMilli = clampMilli(q)
	}
	memKey := "spark." + r + ".memory"
	mem := int64(1 << 30)
	if v, ok := conf[memKey]; ok {
		var err error
		if mem, err = sparkBytes(memKey, v); err != nil {
			return PodSize{}, err
		}
	}
	overhead := int64(math.Min(factor*float64(mem), float64(v1alpha1.MaxCountableMemoryBytes)))
	if rf, ok := conf["spark."+r+".memoryOverheadFactor"]; ok {
		f, err := parseFactor("spark."+r+".memoryOverheadFactor", rf)
		if err != nil {
			return PodSize{}, err
		}
		overhead = int64(math.Min(f*float64(mem), float64(v1alpha1.MaxCountableMemoryBytes)))
	}
	overhead = max(overhead, minOverheadBytes)
	ohKey := "spark." + r + ".memoryOverhead"
	if v, ok := conf[ohKey]; ok {
		var err error
		if overhead, err = sparkBytes(ohKey, v); err != nil {
			return PodSize{}, err
		}
	}
	size.MemoryBytes = min(mem+overhead, v1alpha1.MaxCountableMemoryBytes)
	return size, nil
}

// clampMilli is q in millicores, at most MaxCountableCPUMilli.
func clampMilli(q resource.Quantity) int64 {
	if q.Cmp(*resource.NewMilliQuantity(v1alpha1.MaxCountableCPUMilli, resource.DecimalSI)) > 0 {
		return v1alpha1.MaxCountableCPUMilli
	}
	return q.MilliValue()
}

func parseFactor(key, v string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || f < 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%s: %q is not a memory overhead factor", key, v)
	}
	return f, nil
}

// sparkBytes parses a Spark memory size: a whole number with an optional
// binary unit (k, m, g, t, p, with or without b; MiB when none), capped at
// what Strata counts.
func sparkBytes(key, v string) (int64, error) {
	s := strings.ToLower(strings.TrimSpace(v))
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if i == 0 || err != nil {
		return 0, fmt.Errorf("%s: %q is not a Spark memory size (e.g. 4g, 512m)", key, v)
	}
	shift := map[string]uint{"": 20, "b": 0, "k": 10, "kb": 10, "m": 20, "mb": 20, "g": 30, "gb": 30, "t": 40, "tb": 40, "p": 50, "pb": 50}
	sh, ok := shift[s[i:]]
	if !ok {
		return 0, fmt.Errorf("%s: %q is not a Spark memory size (e.g. 4g, 512m)", key, v)
	}
	if n > v1alpha1.MaxCountableMemoryBytes>>sh {
		return v1alpha1.MaxCountableMemoryBytes, nil
	}
	return n << sh, nil
}

// Total is the whole application's requests when every executor runs
// (Executors of them), capped at what Strata counts; ok is false when
// nothing bounds the executors.
func (a AppSize) Total() (total PodSize, pods int64, ok bool) {
	if a.Executors < 0 {
		return PodSize{}, 0, false
	}
	mul := func(per, n, limit int64) int64 {
		if per != 0 && n > (limit-0)/per {
			return limit
		}
		return min(per*n, limit)
	}
	total.CPUMilli = min(a.Driver.CPUMilli+mul(a.Executor.CPUMilli, a.Executors, v1alpha1.MaxCountableCPUMilli), v1alpha1.MaxCountableCPUMilli)
	total.MemoryBytes = min(a.Driver.MemoryBytes+mul(a.Executor.MemoryBytes, a.Executors, v1alpha1.MaxCountableMemoryBytes), v1alpha1.MaxCountableMemoryBytes)
	return total, a.Executors + 1, true
}
