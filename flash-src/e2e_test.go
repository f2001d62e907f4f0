package flashsrc_test

import (
	"testing"

	"github.com/web-socket-js/web-socket-js/internal/browser"
)

func runEndToEnd(t *testing.T, b *browser.Browser) {}
