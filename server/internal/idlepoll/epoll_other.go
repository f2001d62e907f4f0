//go:build !linux

package idlepoll

type poller struct{}

func start(func(fd int)) (*poller, error) { return nil, ErrUnsupported }
func (*poller) add(int) error             { return ErrUnsupported }
func (*poller) remove(int)                {}
