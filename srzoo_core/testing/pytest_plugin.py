"""pytest plugin (entry point ``pytest11: srzoo``): fixtures for plugin authors' tests."""
