// orders-mailer: "mails" each order orders-worker processed.
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
	log.Printf("demo-orders-mailer started (namespace value: %s, Redis at %s)", config.NamespaceValue, config.RedisAddress)
	for {
		id, err := config.Redis.Do(10*time.Second, "BLPOP", settings.MailQueue, "5")
		if err != nil {
			log.Printf("Redis not reachable at %s (%v); retrying", config.RedisAddress, err)
			time.Sleep(2 * time.Second)
			continue
		}
		if id == "" {
			continue
		}
		if _, err := config.Redis.Do(2*time.Second, "INCR", settings.Mailed); err != nil {
			log.Printf("order %s: %v", id, err)
			continue
		}
		log.Printf("mailed order %s", id)
	}
}
