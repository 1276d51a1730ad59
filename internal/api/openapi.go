package api

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"

	"gopkg.in/yaml.v3"
)

// OpenAPIYAML is the OpenAPI 3.1 document describing this API: the
// contract that the tests hold requests and responses to.
//
//go:embed openapi.yaml
var OpenAPIYAML []byte

// openAPIJSON is OpenAPIYAML as JSON, served at /v1/openapi.json.
var openAPIJSON = func() []byte {
	b, err := yamlToJSON(OpenAPIYAML)
	if err != nil {
		// The document is embedded at build time and checked by the tests.
		panic(fmt.Sprintf("embedded openapi.yaml: %v", err))
	}
	return b
}()

// yamlToJSON converts a YAML document whose mapping keys are strings.
func yamlToJSON(y []byte) ([]byte, error) {
	var v any
	if err := yaml.Unmarshal(y, &v); err != nil {
		return nil, err
	}
	return json.MarshalIndent(v, "", "  ")
}

func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(openAPIJSON)
}
