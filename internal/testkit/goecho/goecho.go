// Package goecho is a minimal gorilla/websocket echo server for tests: the
// kind of third-party server the policy front and the doctor are for. Like
// many such servers it accepts every Origin.
package goecho

import (
	"io"
	"net/http"

	"github.com/gorilla/websocket"
)

// PlainAnswer is the body a request that is not a WebSocket upgrade gets.
const PlainAnswer = "plain HTTP from the goecho server"

// Handler echoes every message of a WebSocket and answers other requests
// with PlainAnswer.
func Handler() http.Handler {
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !websocket.IsWebSocketUpgrade(r) {
			io.WriteString(w, PlainAnswer)
			return
		}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			kind, data, err := c.ReadMessage()
			if err != nil || c.WriteMessage(kind, data) != nil {
				return
			}
		}
	})
}
