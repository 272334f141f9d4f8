package main

// values.schema.json validation (JSON Schema draft 7 through gojsonschema, as Helm 3 did).

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/xeipuuv/gojsonschema"
)

func validateSchema(c *Chart, values map[string]interface{}) []string {
	if len(c.Schema) == 0 {
		return nil
	}
	// Round-trip through JSON so YAML ints and maps look like JSON to the validator.
	raw, err := json.Marshal(values)
	if err != nil {
		return []string{fmt.Sprintf("values cannot be represented as JSON: %v", err)}
	}
	res, err := gojsonschema.Validate(gojsonschema.NewBytesLoader(c.Schema), gojsonschema.NewBytesLoader(raw))
	if err != nil {
		return []string{fmt.Sprintf("values.schema.json: %v", err)}
	}
	var errs []string
	for _, e := range res.Errors() {
		errs = append(errs, fmt.Sprintf("%s: %s", e.Field(), e.Description()))
	}
	sort.Strings(errs)
	return errs
}
