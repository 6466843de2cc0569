"""ergod: an ergonomic workstation reminder daemon.

It measures continuous sitting from keyboard and mouse timestamps, prompts
movement and stretch breaks, and keeps a local adherence log. Importing the
package does no work: heavy libraries load inside the adapters that need them.
"""

__version__ = "0.1.0"
