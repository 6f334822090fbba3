// Package browsertest drives examples/connect in headless Chromium. It is
// its own module so that the SDK's go.mod keeps its four dependencies;
// chromedp is needed here only.
package browsertest
