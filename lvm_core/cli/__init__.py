"""python -m lvm_core: the parser and error policy (main), one module per group of commands."""
