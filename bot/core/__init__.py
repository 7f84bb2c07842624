"""The pure protocol core: lifecycle, deadlines and the rollback rule. No I/O, no clock reads."""
