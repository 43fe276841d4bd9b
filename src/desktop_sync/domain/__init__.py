"""Plain business objects and rules. No I/O; imports nothing else of ours."""
