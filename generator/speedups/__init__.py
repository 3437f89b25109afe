"""Re-implementations of library calls for speed, quarantined: each has the library's signature,
falls back to the library on any surprise, and has an equals-the-reference test."""
