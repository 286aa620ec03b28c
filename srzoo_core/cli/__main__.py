from srzoo_core.cli.app import main

main()
