package app

import (
	"encoding/xml"
	"fmt"
	"os"
	"strings"
)

// suiteResult is what one PolicyTest's cases gave, in their order.
type suiteResult struct {
	file, name string
	cases      []caseResult
}

// caseResult is one case's result: what differs from what it expects,
// none when it passed.
type caseResult struct {
	name     string
	problems []string
}

func (r *suiteResult) failed() int {
	n := 0
	for _, c := range r.cases {
		if len(c.problems) > 0 {
			n++
		}
	}
	return n
}

func (r *suiteResult) passed() int { return len(r.cases) - r.failed() }

// The JUnit report's elements, as CI systems (Jenkins, GitLab, GitHub
// reporters) read them. No time is recorded: the same results give the
// same report.
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name     string      `xml:"name,attr"`
		File     string      `xml:"file,attr"`
		Tests    int         `xml:"tests,attr"`
		Failures int         `xml:"failures,attr"`
		Cases    []junitCase `xml:"testcase"`
	}
	junitCase struct {
		Name      string        `xml:"name,attr"`
		ClassName string        `xml:"classname,attr"`
		File      string        `xml:"file,attr"`
		Failure   *junitFailure `xml:"failure,omitempty"`
	}
	junitFailure struct {
		Message string `xml:"message,attr"`
		Text    string `xml:",chardata"`
	}
)

// junitReport is results as a JUnit report: a testsuite per PolicyTest
// (named as composer test prints it), a testcase per case, its failure
// what differs, a line each.
func junitReport(results []suiteResult) ([]byte, error) {
	report := junitSuites{Name: "composer test"}
	for _, r := range results {
		suite := junitSuite{Name: r.name, File: r.file, Tests: len(r.cases), Failures: r.failed()}
		for _, c := range r.cases {
			tc := junitCase{Name: c.name, ClassName: r.name, File: r.file}
			if len(c.problems) > 0 {
				tc.Failure = &junitFailure{Message: c.problems[0], Text: strings.Join(c.problems, "\n")}
			}
			suite.Cases = append(suite.Cases, tc)
		}
		report.Tests, report.Failures = report.Tests+suite.Tests, report.Failures+suite.Failures
		report.Suites = append(report.Suites, suite)
	}
	out, err := xml.MarshalIndent(report, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding the JUnit report: %w", err)
	}
	return append([]byte(xml.Header), append(out, '\n')...), nil
}

// writeJUnit writes results to file as a JUnit report.
func writeJUnit(file string, results []suiteResult) error {
	out, err := junitReport(results)
	if err != nil {
		return err
	}
	if err := os.WriteFile(file, out, 0o644); err != nil {
		return fmt.Errorf("--junit: %w", err)
	}
	return nil
}
