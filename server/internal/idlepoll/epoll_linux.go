package idlepoll

import (
	"fmt"
	"os"
	"syscall"
)

// poller is an epoll instance and the goroutine that waits on it.
type poller struct{ epfd int }

// start creates the epoll instance and its goroutine, which calls ready
// with each descriptor that fires.
func start(ready func(fd int)) (*poller, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	p := &poller{epfd: epfd}
	go p.run(ready)
	return p, nil
}

// add registers fd for one readiness report (EPOLLONESHOT). epoll checks
// readiness when a descriptor is added, so bytes that came before the call
// are not missed.
func (p *poller) add(fd int) error {
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT, Fd: int32(fd)}
	if err := syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return os.NewSyscallError("epoll_ctl", err)
	}
	return nil
}

// remove drops fd's registration. A one-shot registration that has fired
// stays in the set, disabled, until removed.
func (p *poller) remove(fd int) {
	syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, fd, nil)
}

// run waits for ever; the blocked system call holds a thread, not a P.
func (p *poller) run(ready func(fd int)) {
	events := make([]syscall.EpollEvent, 128)
	for {
		n, err := syscall.EpollWait(p.epfd, events, -1)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			panic(fmt.Sprintf("idlepoll: epoll_wait: %v", err)) // only a bad epfd can cause it
		}
		for _, ev := range events[:n] {
			ready(int(ev.Fd))
		}
	}
}
