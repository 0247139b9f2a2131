"""AWS's metering rules, one module per service: what one run, request or stored byte bills, before any price.

Both sources meter through here (a usage file's planned runs and a snapshot's observed ones), so an estimate
and every savings rule bill a run the same way.
"""
