pytest_plugins = ["tandem_kit.testing"]
