// Package browsertest drives a real Chromium (Debian package chromium)
// through github.com/chromedp/chromedp for the console's tests, and checks
// each page with axe-core (npm axe-core 4.14.1, vendored under testdata/
// with its licence; tests only, never served).
//
// Without a chromium binary, Start skips the test with a message saying how
// to install it; with CI=true in the environment it fails instead, so that
// CI cannot pass without running the browser tests.
//
//	b := browsertest.Start(t)
//	b.Go(t, srv.URL+"/console/signin")
//	b.Axe(t, "sign-in")
package browsertest

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

//go:embed testdata/axe.min.js
var axeSource string

// Browser is one headless Chromium with one tab.
type Browser struct {
	// Ctx is the tab's chromedp context, for chromedp.Run and chromedp.Do.
	Ctx context.Context
	// Screenshots, when not empty, is the folder Shot saves PNGs to.
	Screenshots string
}

// chromiumPath finds the browser: $CHROMIUM, then the Debian names.
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Start launches a headless Chromium with a fresh profile, closed when the
// test ends. ACCORD_CONSOLE_SCREENSHOTS names a folder for Shot.
func Start(t testing.TB) *Browser {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no chromium: CI must run the browser tests; .ci/run installs it with apt-get install -y chromium")
		}
		t.Skip("no chromium binary: install it (apt-get install -y chromium) or set CHROMIUM=/path/to/chrome to run the browser tests")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatalf("start chromium (%s): %v", path, err)
	}
	// Record every Content-Security-Policy violation of every page, from
	// its first byte (the script is the browser's, not the page's).
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspWatch}); err != nil {
		t.Fatalf("watch CSP: %v", err)
	}
	return &Browser{Ctx: ctx, Screenshots: os.Getenv("ACCORD_CONSOLE_SCREENSHOTS")}
}

// run runs steps within 30 s, failing the test on error.
func (b *Browser) run(t testing.TB, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// Go opens url and waits for the page's main heading.
func (b *Browser) Go(t testing.TB, url string) {
	t.Helper()
	b.run(t, "open "+url, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("main h1")))
}

// Submit clicks the button (a CSS selector) and waits for the next page's
// main heading.
func (b *Browser) Submit(t testing.TB, button string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(button)))); err != nil {
		t.Fatalf("click %s: %v", button, err)
	}
	b.run(t, "after "+button, chromedp.WaitVisible(chromedp.CSS("main h1")))
}

// Click clicks the element (a CSS selector) and waits until after is
// visible: for a click that changes the page in place (htmx), not a load.
func (b *Browser) Click(t testing.TB, sel, after string) {
	t.Helper()
	b.run(t, "click "+sel, chromedp.Click(chromedp.CSS(sel)), chromedp.WaitVisible(chromedp.CSS(after)))
}

// Type sets the value of the input (a CSS selector).
func (b *Browser) Type(t testing.TB, input, value string) {
	t.Helper()
	b.run(t, "type into "+input, chromedp.SetValue(chromedp.CSS(input), value))
}

// Upload chooses file for the file input (a CSS selector).
func (b *Browser) Upload(t testing.TB, input, file string) {
	t.Helper()
	b.run(t, "upload into "+input, chromedp.SetUploadFiles(chromedp.CSS(input), []string{file}))
}

// Text returns the text of the first element matching the CSS selector.
func (b *Browser) Text(t testing.TB, sel string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// Eval evaluates a JavaScript expression (awaiting a promise) and decodes
// its value into out.
func (b *Browser) Eval(t testing.TB, expr string, out any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 60*time.Second)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate: %v", err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("evaluate: %v: %s", err, raw)
		}
	}
}

// HTML returns the page's HTML.
func (b *Browser) HTML(t testing.TB) string {
	t.Helper()
	var s string
	b.Eval(t, `document.documentElement.outerHTML`, &s)
	return s
}

// Fetch fetches path from the page (with its cookies, as a link would)
// and returns the status and body.
func (b *Browser) Fetch(t testing.TB, path string) (int, string) {
	t.Helper()
	var r struct {
		Status int    `json:"status"`
		Body   string `json:"body"`
	}
	js, _ := json.Marshal(path)
	b.Eval(t, `fetch(`+string(js)+`, {credentials: "same-origin"}).then(async r => ({status: r.status, body: await r.text()}))`, &r)
	return r.Status, r.Body
}

// cspWatch keeps the page's CSP violations in window.__csp.
const cspWatch = `window.__csp = []; document.addEventListener("securitypolicyviolation", e => window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || "") + ":" + e.lineNumber));`

// CSP fails the test when the page broke its Content-Security-Policy:
// something the page needs (an inline style a library adds, a script from
// elsewhere) was blocked.
func (b *Browser) CSP(t testing.TB, page string) {
	t.Helper()
	var vs []string
	b.Eval(t, `window.__csp || []`, &vs)
	for _, v := range vs {
		t.Errorf("%s: CSP violation: %s", page, v)
	}
}

// Violation is one axe-core rule a page breaks.
type Violation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// Axe runs axe-core in the page (WCAG 2.0/2.1 A and AA rules and best
// practices) and fails the test on a serious or critical violation; lesser
// ones are logged. It returns every violation. It checks the page's CSP
// first (see CSP).
func (b *Browser) Axe(t testing.TB, page string) []Violation {
	t.Helper()
	b.CSP(t, page)
	vs := b.axeViolations(t)
	for _, v := range vs {
		msg := fmt.Sprintf("%s: axe %s (%s): %s at %s", page, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, ", "))
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Error(msg)
		} else {
			t.Log(msg)
		}
	}
	return vs
}

// axeViolations runs axe-core in the page and returns its violations.
func (b *Browser) axeViolations(t testing.TB) []Violation {
	t.Helper()
	var loaded bool
	b.Eval(t, `!!window.axe`, &loaded)
	if !loaded {
		// Evaluated by DevTools, not by the page: the page's CSP stays
		// as it is for everything else.
		b.Eval(t, axeSource+"\n;!!window.axe", &loaded)
	}
	if !loaded {
		t.Fatal("axe-core did not load")
	}
	var vs []Violation
	b.Eval(t, `axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))})))`, &vs)
	return vs
}

// Shot saves a full-page PNG of the page as name.png in b.Screenshots,
// when set.
func (b *Browser) Shot(t testing.TB, name string) {
	t.Helper()
	if b.Screenshots == "" {
		return
	}
	ctx, cancel := context.WithTimeout(b.Ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(b.Screenshots, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.Screenshots, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
