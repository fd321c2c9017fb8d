import sys

from ._product.cli import main

sys.exit(main())
