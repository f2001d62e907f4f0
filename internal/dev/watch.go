package dev

import (
	"io/fs"
	"path/filepath"
	"time"
)

// stamp is what polling compares: a save changes the size or the modification time.
type stamp struct {
	size int64
	mod  time.Time
}

// poller notices changed, added and removed files under a few folders by comparing
// stat results between polls. A few dozen files polled 20 times a second cost
// nothing measurable, need no dependency and behave the same on every OS and editor
// (in-place writes and rename-into-place saves alike).
type poller struct {
	roots []string
	seen  map[string]stamp
}

func newPoller(roots ...string) *poller {
	p := &poller{roots: roots}
	p.seen = p.scan()
	return p
}

func (p *poller) scan() map[string]stamp {
	now := map[string]stamp{}
	for _, root := range p.roots {
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil // a folder that vanished mid-walk is seen next poll
			}
			if info, err := d.Info(); err == nil {
				now[path] = stamp{info.Size(), info.ModTime()}
			}
			return nil
		})
	}
	return now
}

// changed returns the files that differ from the previous poll.
func (p *poller) changed() []string {
	now := p.scan()
	var out []string
	for path, st := range now {
		if old, ok := p.seen[path]; !ok || old != st {
			out = append(out, path)
		}
	}
	for path := range p.seen {
		if _, ok := now[path]; !ok {
			out = append(out, path)
		}
	}
	p.seen = now
	return out
}
