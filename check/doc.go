// Package check will hold the health-check scheduler and every checker type.
// Not built yet (see README).
package check
