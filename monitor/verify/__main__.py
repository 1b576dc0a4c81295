"""`python -m monitor.verify EXPORT_DIR [--key KEY]`: runs the offline verifier of an audit-log export."""
import sys

from monitor.verify.verifier import main

sys.exit(main())
