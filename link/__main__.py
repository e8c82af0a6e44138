from xld.link.cli import main; import sys; sys.exit(main())
