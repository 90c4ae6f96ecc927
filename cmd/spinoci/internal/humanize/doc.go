// Package humanize formats byte counts for people: "214 B", "1.5 KiB",
// "143 MiB". The spinoci CLI uses it in progress bars, info lines and
// `inspect`; JSON output keeps exact byte counts.
package humanize
