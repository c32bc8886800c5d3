// Package redis is the few Redis commands demo-orders needs, over RESP on a plain TCP connection.
//
// A real service would require a client module (github.com/redis/go-redis); the demo's repo has
// no third-party module because the machines it is tested on reach Debian's mirror and the npm
// registry, but no Go module proxy.
package redis

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// Client talks to one Redis server; each call opens its own connection (enough for a demo).
type Client struct {
	Address string
}

// Do sends one command and returns its reply as text: a status, an integer, a bulk string, or ""
// for a nil reply (BLPOP's timeout).
func (c Client) Do(timeout time.Duration, args ...string) (string, error) {
	conn, err := net.DialTimeout("tcp", c.Address, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return "", err
	}
	var request strings.Builder
	fmt.Fprintf(&request, "*%d\r\n", len(args))
	for _, arg := range args {
		fmt.Fprintf(&request, "$%d\r\n%s\r\n", len(arg), arg)
	}
	if _, err := conn.Write([]byte(request.String())); err != nil {
		return "", err
	}
	return readReply(bufio.NewReader(conn))
}

func readReply(reader *bufio.Reader) (string, error) {
	line, err := reader.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("empty reply")
	}
	switch line[0] {
	case '+', ':':
		return line[1:], nil
	case '-':
		return "", fmt.Errorf("redis: %s", line[1:])
	case '$':
		size, err := strconv.Atoi(line[1:])
		if err != nil || size < 0 {
			return "", err
		}
		buffer := make([]byte, size+2)
		if _, err := io.ReadFull(reader, buffer); err != nil {
			return "", err
		}
		return string(buffer[:size]), nil
	case '*':
		count, err := strconv.Atoi(line[1:])
		if err != nil || count < 0 {
			return "", err
		}
		// BLPOP answers [list, value]: the value is what the caller wants.
		var last string
		for i := 0; i < count; i++ {
			if last, err = readReply(reader); err != nil {
				return "", err
			}
		}
		return last, nil
	}
	return "", fmt.Errorf("unexpected reply %q", line)
}
