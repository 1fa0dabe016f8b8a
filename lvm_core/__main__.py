import sys

from lvm_core.cli.main import main

sys.exit(main())
