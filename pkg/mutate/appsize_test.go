package mutate

import (
	"strings"
	"testing"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
)

func TestSizeOf(t *testing.T) {
	const gi, mi = int64(1) << 30, int64(1) << 20
	str := func(s string) *string { return &s }
	i32 := func(n int32) *int32 { return &n }
	tests := []struct {
		name      string
		spec      sparkv1beta2.Spec
		driver    PodSize
		executor  PodSize
		executors int64
		err       string
	}{
		{name: "defaults: 1 core, 1g and the 384 MiB least overhead, 1 executor",
			driver: PodSize{1000, gi + 384*mi}, executor: PodSize{1000, gi + 384*mi}, executors: 1},
		{name: "JVM overhead is 10% of memory", spec: sparkv1beta2.Spec{Executor: sparkv1beta2.ExecutorSpec{
			SparkPodSpec: sparkv1beta2.SparkPodSpec{Memory: str("8g"), Cores: i32(4)}, Instances: i32(10)}},
			driver: PodSize{1000, gi + 384*mi}, executor: PodSize{4000, 8*gi + 858993459}, executors: 10},
		{name: "Python overhead is 40%", spec: sparkv1beta2.Spec{Type: "Python", SparkConf: map[string]string{"spark.executor.memory": "4g"}},
			driver: PodSize{1000, gi + 429496729}, executor: PodSize{1000, 4*gi + 1717986918}, executors: 1},
		{name: "explicit overhead, request cores over cores", spec: sparkv1beta2.Spec{SparkConf: map[string]string{
			"spark.driver.memoryOverhead": "1g", "spark.kubernetes.driver.request.cores": "500m", "spark.driver.cores": "2"}},
			driver: PodSize{500, 2 * gi}, executor: PodSize{1000, gi + 384*mi}, executors: 1},
		{name: "the overhead factor, spark.kubernetes.memoryOverheadFactor over spec.memoryOverheadFactor",
			spec:   sparkv1beta2.Spec{MemoryOverheadFactor: str("0.5"), SparkConf: map[string]string{"spark.kubernetes.memoryOverheadFactor": "0.25", "spark.executor.memory": "4096m"}},
			driver: PodSize{1000, gi + 384*mi}, executor: PodSize{1000, 5 * gi}, executors: 1},
		{name: "dynamic allocation counts maxExecutors", spec: sparkv1beta2.Spec{DynamicAllocation: &sparkv1beta2.DynamicAllocation{Enabled: true, MaxExecutors: i32(40)},
			Executor: sparkv1beta2.ExecutorSpec{Instances: i32(2)}},
			driver: PodSize{1000, gi + 384*mi}, executor: PodSize{1000, gi + 384*mi}, executors: 40},
		{name: "dynamic allocation without a maximum is unbounded", spec: sparkv1beta2.Spec{SparkConf: map[string]string{"spark.dynamicAllocation.enabled": "true"}},
			driver: PodSize{1000, gi + 384*mi}, executor: PodSize{1000, gi + 384*mi}, executors: -1},
		{name: "a size too large to count is capped", spec: sparkv1beta2.Spec{SparkConf: map[string]string{"spark.executor.memory": "99999999p"}},
			driver: PodSize{1000, gi + 384*mi}, executor: PodSize{1000, 1 << 50}, executors: 1},
		{name: "not a size", spec: sparkv1beta2.Spec{SparkConf: map[string]string{"spark.executor.memory": "lots"}},
			err: `spark.executor.memory: "lots" is not a Spark memory size`},
		{name: "cores of a huge exponent is not a CPU quantity, refused before it is parsed (it would take minutes)",
			spec: sparkv1beta2.Spec{SparkConf: map[string]string{"spark.executor.cores": "1e-999999999"}},
			err:  `spark.executor.cores: "1e-999999999" is not a CPU quantity`},
		{name: "nor is one it would take minutes to compare", spec: sparkv1beta2.Spec{SparkConf: map[string]string{"spark.kubernetes.driver.request.cores": "1.5e999999999"}},
			err: `spark.kubernetes.driver.request.cores: "1.5e999999999" is not a CPU quantity`},
		{name: "cores of a small exponent are counted", spec: sparkv1beta2.Spec{SparkConf: map[string]string{"spark.executor.cores": "2.5e0", "spark.driver.cores": "1e30"}},
			driver: PodSize{1 << 40, gi + 384*mi}, executor: PodSize{2500, gi + 384*mi}, executors: 1},
		{name: "not a count", spec: sparkv1beta2.Spec{SparkConf: map[string]string{"spark.executor.instances": "-3"}},
			err: `spark.executor.instances: "-3" is not a count of executors`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SizeOf(&tc.spec)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Driver != tc.driver || got.Executor != tc.executor || got.Executors != tc.executors {
				t.Errorf("got driver %+v executor %+v executors %d; want %+v %+v %d", got.Driver, got.Executor, got.Executors, tc.driver, tc.executor, tc.executors)
			}
		})
	}
}
