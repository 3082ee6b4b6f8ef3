// Package exchange sends a MuSIC cloud's violations and trust changes to the other community clouds as IDMEF alerts over RabbitMQ, and turns the alerts it receives, deduplicated and correlated, into reputation input of its trust level manager.
package exchange
