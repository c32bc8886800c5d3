// orders-worker: takes each order orders-api queued in Redis, processes it, and hands it to
// orders-mailer.
package main

import (
	"log"
	"time"

	"example.com/demo-orders/internal/settings"
)

func main() {
	config, err := settings.Read()
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("demo-orders-worker started (namespace value: %s, Redis at %s)", config.NamespaceValue, config.RedisAddress)
	for {
		id, err := config.Redis.Do(10*time.Second, "BLPOP", settings.OrdersQueue, "5")
		if err != nil {
			log.Printf("Redis not reachable at %s (%v); retrying", config.RedisAddress, err)
			time.Sleep(2 * time.Second)
			continue
		}
		if id == "" {
			continue
		}
		if _, err := config.Redis.Do(2*time.Second, "INCR", settings.Processed); err != nil {
			log.Printf("order %s: %v", id, err)
			continue
		}
		if _, err := config.Redis.Do(2*time.Second, "RPUSH", settings.MailQueue, id); err != nil {
			log.Printf("order %s: %v", id, err)
			continue
		}
		log.Printf("processed order %s", id)
	}
}
