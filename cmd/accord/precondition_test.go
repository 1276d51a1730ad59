package main

import (
	"net/http"
	"strings"
)

// setPrecondition gives a PUT or DELETE of an override or a dataset the
// precondition a careful client sends: the ETag it reads first (If-Match),
// or If-None-Match: * to create an override that is not there.
func setPrecondition(req *http.Request, base, token string) {
	if req.Method != http.MethodPut && req.Method != http.MethodDelete {
		return
	}
	if !strings.HasPrefix(req.URL.Path, "/v1/registry/") && !strings.HasPrefix(req.URL.Path, "/v1/datasets/") {
		return
	}
	get, _ := http.NewRequest(http.MethodGet, base+req.URL.Path, nil)
	get.Header.Set("Authorization", token)
	resp, err := http.DefaultClient.Do(get)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK && resp.Header.Get("ETag") != "" {
			req.Header.Set("If-Match", resp.Header.Get("ETag"))
			return
		}
	}
	if req.Method == http.MethodPut && strings.HasPrefix(req.URL.Path, "/v1/registry/") {
		req.Header.Set("If-None-Match", "*")
		return
	}
	req.Header.Set("If-Match", "*")
}
