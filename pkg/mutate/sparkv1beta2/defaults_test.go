package sparkv1beta2

import (
	"encoding/json"
	"testing"
)

// TestSetOperatorDefaults: each default the Spark Operator's webhook
// writes, and what keeps it from writing one, read from JSON as the
// operator would receive the application.
func TestSetOperatorDefaults(t *testing.T) {
	for _, tc := range []struct {
		name, spec, want string
	}{
		{"nothing set", `{}`,
			`{"type":"Scala","restartPolicy":{"type":"Never"},"mode":"cluster","driver":{"cores":1,"memory":"1g"},"executor":{"cores":1,"memory":"1g","instances":1}}`},
		{"retries get intervals", `{"restartPolicy":{"type":"OnFailure","onFailureRetries":3,"onSubmissionFailureRetryInterval":60}}`,
			`{"type":"Scala","restartPolicy":{"type":"OnFailure","onFailureRetries":3,"onSubmissionFailureRetryInterval":60,"onFailureRetryInterval":5},"mode":"cluster","driver":{"cores":1,"memory":"1g"},"executor":{"cores":1,"memory":"1g","instances":1}}`},
		{"Always gets intervals too", `{"restartPolicy":{"type":"Always"}}`,
			`{"type":"Scala","restartPolicy":{"type":"Always","onSubmissionFailureRetryInterval":5,"onFailureRetryInterval":5},"mode":"cluster","driver":{"cores":1,"memory":"1g"},"executor":{"cores":1,"memory":"1g","instances":1}}`},
		{"the keys keep the sizes unset", `{"type":"Python","mode":"cluster","restartPolicy":{"type":"Never"},"sparkConf":{"spark.driver.cores":"2","spark.driver.memory":"4g","spark.executor.cores":"3","spark.executor.memory":"8g","spark.executor.instances":"7"}}`,
			`{"type":"Python","restartPolicy":{"type":"Never"},"mode":"cluster","sparkConf":{"spark.driver.cores":"2","spark.driver.memory":"4g","spark.executor.cores":"3","spark.executor.instances":"7","spark.executor.memory":"8g"},"driver":{},"executor":{}}`},
		{"dynamic allocation by the section", `{"restartPolicy":{"type":"Never"},"driver":{"cores":1,"memory":"1g"},"executor":{"cores":1,"memory":"1g"},"dynamicAllocation":{"enabled":true,"maxExecutors":9}}`,
			`{"type":"Scala","restartPolicy":{"type":"Never"},"mode":"cluster","driver":{"cores":1,"memory":"1g"},"executor":{"cores":1,"memory":"1g"},"dynamicAllocation":{"enabled":true,"maxExecutors":9,"shuffleTrackingEnabled":true}}`},
		{"dynamic allocation by the operator's own spelling of the key", `{"restartPolicy":{"type":"Never"},"sparkConf":{"spark.dynamicallocation.enabled":"true"},"driver":{"cores":1,"memory":"1g"},"executor":{"cores":1,"memory":"1g"}}`,
			`{"type":"Scala","restartPolicy":{"type":"Never"},"mode":"cluster","sparkConf":{"spark.dynamicallocation.enabled":"true"},"driver":{"cores":1,"memory":"1g"},"executor":{"cores":1,"memory":"1g"}}`},
		{"Spark's spelling does not switch it for the operator", `{"restartPolicy":{"type":"Never"},"sparkConf":{"spark.dynamicAllocation.enabled":"true"},"driver":{"cores":1,"memory":"1g"},"executor":{"cores":1,"memory":"1g"}}`,
			`{"type":"Scala","restartPolicy":{"type":"Never"},"mode":"cluster","sparkConf":{"spark.dynamicAllocation.enabled":"true"},"driver":{"cores":1,"memory":"1g"},"executor":{"cores":1,"memory":"1g","instances":1}}`},
	} {
		var app SparkApplication
		if err := json.Unmarshal([]byte(tc.spec), &app.Spec); err != nil {
			t.Fatal(err)
		}
		SetOperatorDefaults(&app)
		got, err := json.Marshal(app.Spec)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
		again := app.DeepCopy()
		SetOperatorDefaults(again)
		if twice, _ := json.Marshal(again.Spec); string(twice) != string(got) {
			t.Errorf("%s: defaulting twice changed %s to %s", tc.name, got, twice)
		}
	}
}
