// Package settings reads what local-dev gives every demo-orders process: config/demo.env (the
// namespace's secret, injected into the clone from configs/<namespace>/demo.env) and Redis's
// address (REDIS_HOST, REDIS_PORT in the container's environment).
package settings

import (
	"fmt"
	"os"
	"strings"

	"example.com/demo-orders/internal/redis"
)

// Settings of one process.
type Settings struct {
	NamespaceValue string
	RedisAddress   string
	Redis          redis.Client
	Version        string
}

// Queues the API and the workers share in Redis.
const (
	OrdersQueue = "demo:orders:queue"
	MailQueue   = "demo:orders:mail"
	Processed   = "demo:orders:processed"
	Mailed      = "demo:orders:mailed"
)

// Read fails when config/demo.env is missing, saying where it comes from.
func Read() (Settings, error) {
	text, err := os.ReadFile("config/demo.env")
	if err != nil {
		return Settings{}, fmt.Errorf("config/demo.env: %w (local-dev injects it from configs/<namespace>/demo.env)", err)
	}
	values := map[string]string{}
	for _, line := range strings.Split(string(text), "\n") {
		line = strings.TrimSpace(line)
		if key, value, found := strings.Cut(line, "="); found && !strings.HasPrefix(line, "#") {
			values[strings.TrimSpace(key)] = strings.Trim(strings.TrimSpace(value), `"'`)
		}
	}
	version, _ := os.ReadFile("VERSION")
	address := fmt.Sprintf("%s:%s", getenv("REDIS_HOST", "localhost"), getenv("REDIS_PORT", "6379"))
	return Settings{
		NamespaceValue: values["DEMO_NAMESPACE_VALUE"],
		RedisAddress:   address,
		Redis:          redis.Client{Address: address},
		Version:        strings.TrimSpace(string(version)),
	}, nil
}

func getenv(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}
