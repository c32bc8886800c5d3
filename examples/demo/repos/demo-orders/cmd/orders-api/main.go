// orders-api: demo-orders' HTTP API. POST /orders queues an order in Redis for orders-worker;
// the page shows what the workers did. Runs under delve (headless, DAP) on DEBUG_PORT.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"strconv"
	"time"

	"example.com/demo-orders/internal/settings"
)

func main() {
	config, err := settings.Read()
	if err != nil {
		log.Fatal(err)
	}
	http.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	http.HandleFunc("/orders", func(w http.ResponseWriter, r *http.Request) { order(config, w, r) })
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { index(config, w, r) })
	log.Printf("orders-api listening on :8080 (Redis at %s)", config.RedisAddress)
	log.Fatal(http.ListenAndServe(":8080", nil))
}

func index(config settings.Settings, w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	pong, err := config.Redis.Do(2*time.Second, "PING")
	if err != nil {
		pong = "NOT REACHABLE (" + err.Error() + ")"
	}
	processed := count(config, settings.Processed)
	mailed := count(config, settings.Mailed)
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprintf(w, "service: demo-orders\n")
	fmt.Fprintf(w, "namespace value: %s\n", config.NamespaceValue)
	fmt.Fprintf(w, "redis: %s at %s\n", pong, config.RedisAddress)
	fmt.Fprintf(w, "orders processed by demo-orders-worker: %d\n", processed)
	fmt.Fprintf(w, "mails sent by demo-orders-mailer: %d\n", mailed)
	fmt.Fprintf(w, "debugger: delve on container port %s\n", os.Getenv("DEBUG_PORT"))
	fmt.Fprintf(w, "version: %s\n", config.Version)
}

func order(config settings.Settings, w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST an order", http.StatusMethodNotAllowed)
		return
	}
	id := strconv.FormatInt(time.Now().UnixNano(), 36)
	queued, err := config.Redis.Do(2*time.Second, "RPUSH", settings.OrdersQueue, id)
	if err != nil {
		http.Error(w, "cannot queue the order: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprintf(w, "order %s queued (%s waiting)\n", id, queued)
}

func count(config settings.Settings, key string) int {
	value, err := config.Redis.Do(2*time.Second, "GET", key)
	if err != nil {
		return 0
	}
	number, _ := strconv.Atoi(value)
	return number
}
